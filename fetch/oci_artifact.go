package fetch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// unpackKey marks a layer that oras pushed from a directory: a tar.gz to
// unpack under its title, not a file.
const unpackKey = "io.deis.oras.content.unpack"

// artifactFile is one layer of an artifact and where it goes.
type artifactFile struct {
	desc    descriptor
	name    string // the title, a relative path
	out     string // relative to DIR: the title, or the directory it unpacks to
	extract bool
}

// artifact writes the titled layers the options select as files in DIR
// (unpacking archives when asked). All are downloaded and verified before
// any is renamed into place: a failure replaces nothing. Files that the
// last pull wrote with the same digest, and that are intact, are kept.
func (p *pulling) artifact(ctx context.Context, m *ociManifest, rec *ociRecord) error {
	files, err := p.selectFiles(m)
	if err != nil {
		return err
	}
	var todo []artifactFile
	for _, a := range files {
		if f, ok := p.rec.file(p.dir, a.out, a.desc.Digest, a.extract); ok {
			rec.Files = append(rec.Files, f)
			continue
		}
		todo = append(todo, a)
	}
	parts, err := p.fetchBlobs(ctx, descs(todo), func(i int) string { return filepath.Join(p.dir, todo[i].name) })
	if err != nil {
		return err
	}
	for i, a := range todo {
		if err := p.install(ctx, a, parts[i]); err != nil {
			for _, part := range parts[i+1:] {
				part.release(nil)
			}
			return err
		}
		f := recordFile{Name: a.out, Digest: a.desc.Digest, Size: a.desc.Size, Extracted: a.extract}
		if err := f.stamp(p.dir); err != nil {
			return err
		}
		rec.Files = append(rec.Files, f)
	}
	if !p.removeStale(rec) && len(todo) == 0 {
		p.unchanged = true // a new manifest, the same files
	}
	return nil
}

// install renames a verified file into place, or unpacks it.
func (p *pulling) install(ctx context.Context, a artifactFile, part *partial) error {
	if !a.extract {
		return part.commit()
	}
	defer part.discard()
	return unpack(ctx, part.file.Name(), filepath.Join(p.dir, a.out), p.f.opts.Mode, p.f.opts.Limits)
}

// selectFiles picks the titled layers the options ask for.
func (p *pulling) selectFiles(m *ociManifest) ([]artifactFile, error) {
	o := p.f.opts.OCI
	ref := p.r.ref.String()
	var files []artifactFile
	var titles []string
	seen := map[string]bool{}
	for _, d := range m.Layers {
		title := d.Annotations[titleKey]
		if title == "" {
			continue
		}
		titles = append(titles, title)
		if len(o.Files) > 0 && !slices.Contains(o.Files, title) ||
			len(o.MediaTypes) > 0 && !slices.Contains(o.MediaTypes, d.MediaType) {
			continue
		}
		name, err := cleanEntryName(title)
		if err != nil || strings.HasPrefix(filepath.Base(name), ".") {
			return nil, &ManifestError{Ref: ref, Reason: fmt.Sprintf("layer title %q is not a safe file name", truncate(title, 100))}
		}
		if !digestRe().MatchString(d.Digest) || d.Size < 0 {
			return nil, &ManifestError{Ref: ref, Reason: fmt.Sprintf("layer %q has no sha256 digest", truncate(title, 100))}
		}
		a := artifactFile{desc: d, name: name, out: name}
		if d.Annotations[unpackKey] == "true" || p.f.opts.Extract && isArchiveLayer(d, name) {
			a.extract = true
			a.out = joinDir(filepath.Dir(name), true, filepath.Base(name))
		}
		if seen[a.out] {
			return nil, &ManifestError{Ref: ref, Reason: fmt.Sprintf("two layers would write %s", a.out)}
		}
		seen[a.out] = true
		files = append(files, a)
	}
	for _, want := range o.Files {
		if !slices.Contains(titles, want) {
			return nil, &ManifestError{Ref: ref, Reason: fmt.Sprintf("no file %q in the artifact (it has: %s)", want, strings.Join(titles, ", "))}
		}
	}
	if len(files) == 0 {
		return nil, &ManifestError{Ref: ref, Reason: fmt.Sprintf("no layer matches the media types asked for (the artifact has: %s)", strings.Join(titles, ", "))}
	}
	return files, nil
}

// isArchiveLayer says whether a layer is an archive --extract unpacks:
// a tar media type, or an archive's name.
func isArchiveLayer(d descriptor, name string) bool {
	if strings.Contains(d.MediaType, ".tar") || strings.HasSuffix(d.MediaType, "tar+gzip") {
		return true
	}
	return joinDir("", true, name) != name
}

func descs(files []artifactFile) []descriptor {
	out := make([]descriptor, len(files))
	for i, f := range files {
		out[i] = f.desc
	}
	return out
}

// removeStale deletes what the last pull wrote and this one no longer
// lists: the directory holds exactly the artifact. Only names from the
// record, through an os.Root, so a forged record cannot reach outside.
// It reports whether it removed anything.
func (p *pulling) removeStale(rec *ociRecord) (removed bool) {
	if p.rec == nil {
		return false
	}
	root, err := os.OpenRoot(p.dir)
	if err != nil {
		return false
	}
	defer root.Close()
	for _, old := range p.rec.Files {
		if slices.ContainsFunc(rec.Files, func(f recordFile) bool { return f.Name == old.Name }) {
			continue
		}
		if name, err := cleanEntryName(old.Name); err == nil && name != "." {
			root.RemoveAll(name)
			removed = true
		}
	}
	return removed
}
