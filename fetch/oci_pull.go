package fetch

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/initbox/initbox/internal/option"
	"github.com/initbox/initbox/internal/redact"
)

// OCIOptions configures oci:// fetches. The caller finds the Docker
// config (DOCKER_CONFIG, ~/.docker/config.json, a mounted secret) and
// passes its path: the package reads no environment.
type OCIOptions struct {
	PlainHTTP  bool     // talk http:// to registries: local ones only
	AuthFile   string   // Docker config.json or kubernetes.io/dockerconfigjson; "": anonymous
	Platform   string   // os/arch[/variant] to choose from an index; "": the running one
	Files      []string // of an artifact, the layers (by title) to write; none: all
	MediaTypes []string // of an artifact, only layers of these media types
	Path       string   // of an image, the one file to copy out, e.g. /usr/bin/tool
}

// setupOCI validates the oci:// options, so that a bad one fails before
// any request. Its errors are *UsageError.
func (f *Fetcher) setupOCI() error {
	o := f.opts.OCI
	var err error
	if f.platform, err = ParsePlatform(o.Platform); err != nil {
		return option.Errorf(option.OCIPlatform, o.Platform, "%v", err)
	}
	if o.Path != "" {
		if _, err := cleanEntryName(strings.TrimLeft(o.Path, "/")); err != nil || path.Clean("/"+o.Path) == "/" {
			return option.Errorf(option.OCIPath, o.Path, "want the absolute path of a file in the image, such as /usr/bin/tool")
		}
	}
	for _, name := range o.Files {
		if _, err := cleanEntryName(name); err != nil {
			return option.Errorf(option.OCIFiles, name, "want a file name as the artifact lists it: %v", err)
		}
	}
	f.creds, err = loadCredentials(o.AuthFile)
	return err
}

// selection says what options chose the files, for the record: a re-run
// with other options is not the same pull.
func (f *Fetcher) selection() string {
	o := f.opts.OCI
	return fmt.Sprintf("platform=%s files=%q media-types=%q path=%q extract=%v",
		f.platform, o.Files, o.MediaTypes, o.Path, f.opts.Extract)
}

// pulling is one oci:// job on its way.
type pulling struct {
	f         *Fetcher
	r         *registry
	dir       string
	job       Job
	rec       *ociRecord // of the last pull, or nil
	resumed   atomic.Bool
	bytes     atomic.Int64
	unchanged bool // a new manifest digest, but nothing to write
}

// pull fetches an oci:// reference into the directory job names: an
// artifact's files, an image's tree (Extract), or one file of an image
// (OCIOptions.Path). A digest reference that the record says is on disk
// intact makes no request; a tag, one HEAD.
func (f *Fetcher) pull(ctx context.Context, job Job) (Result, error) {
	dir := cmpOr(job.Dest, job.Dir)
	res := Result{Dest: dir}
	ref, err := ParseOCIRef(job.URL)
	if err != nil {
		return res, &UsageError{Arg: redact.URL(job.URL), Err: err}
	}
	job.Progress.setDest(dir)
	p := &pulling{f: f, r: f.newRegistry(ref), dir: dir, job: job, rec: loadRecord(dir, f.opts.StateDir)}
	sel := f.selection()
	if ref.Digest != "" && p.rec.fresh(dir, ref.Digest, sel) {
		return p.result(Skipped, ref.Digest), nil
	}
	digest, err := p.r.resolve(ctx)
	if err != nil {
		return res, err
	}
	if p.rec.fresh(dir, digest, sel) {
		return p.result(Unchanged, digest), nil
	}
	m, image, err := p.r.image(ctx, digest, f.platform)
	if err != nil {
		return res, err
	}
	rec := &ociRecord{Ref: ref.String(), Digest: digest, Image: image, Select: sel}
	switch {
	case f.opts.OCI.Path != "":
		err = p.onePath(ctx, m, rec)
	case isArtifact(m):
		err = p.artifact(ctx, m, rec)
	case f.opts.Extract:
		err = p.tree(ctx, m, rec)
	default:
		err = &ManifestError{Ref: ref.String(), Image: true, Reason: "a container image, not an artifact (no layer has a title): " +
			"unpack its layers into the directory, or copy one path out of it"}
	}
	if err != nil {
		return res, err
	}
	if err := rec.save(dir, f.opts.StateDir); err != nil {
		f.log.Warn("cannot write the record; the next run will pull again", "dir", dir, "error", err.Error())
	}
	status := Downloaded
	switch {
	case p.resumed.Load():
		status = Resumed
	case p.unchanged:
		status = Unchanged
	}
	return p.result(status, digest), nil
}

func (p *pulling) result(s Status, digest string) Result {
	return Result{Dest: p.dir, Status: s, Size: p.bytes.Load(), SHA256: strings.TrimPrefix(digest, "sha256:")}
}

// isArtifact: an artifactType, or a layer named by a title (what oras
// push writes), makes a manifest an artifact rather than an image.
func isArtifact(m *ociManifest) bool {
	if m.ArtifactType != "" || m.Config.MediaType == emptyConfigOCI {
		return true
	}
	return slices.ContainsFunc(m.Layers, func(d descriptor) bool { return d.Annotations[titleKey] != "" })
}

// fetchBlobs downloads blobs in parallel, at most Options.Parallel at
// once, each to the partial file dest(i) names, and returns the verified
// partials. On failure the partials that completed are kept too, for the
// next run, and nothing is committed.
func (p *pulling) fetchBlobs(ctx context.Context, blobs []descriptor, dest func(int) string) ([]*partial, error) {
	var total int64
	for _, d := range blobs {
		total += d.Size
	}
	p.job.Progress.setTotal(total)
	parts := make([]*partial, len(blobs))
	errs := make([]error, len(blobs))
	sem := make(chan struct{}, p.f.opts.Parallel)
	var wg sync.WaitGroup
	for i, d := range blobs {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = context.Cause(ctx)
				return
			}
			var resumed bool
			parts[i], resumed, errs[i] = p.r.blob(ctx, d, dest(i), p.job.Progress)
			if errs[i] == nil {
				p.bytes.Add(d.Size)
				// Synced now, while other blobs still arrive, not all at
				// the end; renamed only once every blob is verified.
				if errs[i] = parts[i].file.Prepare(); errs[i] != nil {
					parts[i] = nil
				}
			}
			if resumed {
				p.resumed.Store(true)
			}
		})
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		for _, part := range parts {
			if part != nil {
				part.release(nil)
			}
		}
		return nil, err
	}
	return parts, nil
}

// firstError prefers an error that says what went wrong over the
// cancellations it caused in the other downloads.
func firstError(errs []error) error {
	var first error
	for _, err := range errs {
		if err != nil && first == nil {
			first = err
		}
		if err != nil && !strings.Contains(err.Error(), context.Canceled.Error()) {
			return err
		}
	}
	return first
}
