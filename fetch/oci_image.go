package fetch

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/initbox/initbox/internal/atomicfile"
)

// Layers are downloaded into a hidden cache directory first, complete
// and verified, then unpacked in order; the cache is removed once the
// image is in place, and kept after a failure to resume from.
const blobsSuffix = ".initbox-blobs"

// tree unpacks the image's layers, whiteouts applied, into a staging
// directory beside DIR, and swaps it in for DIR.
func (p *pulling) tree(ctx context.Context, m *ociManifest, rec *ociRecord) error {
	dest := filepath.Clean(p.dir)
	if fi, err := os.Lstat(dest); err == nil && !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory: remove it, or choose another destination", dest)
	}
	if err := makeDir(dest); err != nil {
		return err
	}
	cache := hiddenName(dest, blobsSuffix)
	files, err := p.layers(ctx, m, cache)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(dest)
	stage, err := os.MkdirTemp(dir, atomicfile.TempPrefix+base+".*"+atomicfile.TempSuffix)
	if err != nil {
		return err
	}
	if err := p.unpackImage(ctx, m, files, stage); err != nil {
		os.RemoveAll(stage)
		return err
	}
	if err := swap(stage, dest); err != nil {
		return err
	}
	os.RemoveAll(cache)
	rec.Tree = true
	f := recordFile{Name: ".", Digest: rec.Image, Extracted: true}
	if err := f.stamp(dest); err != nil {
		return err
	}
	rec.Files = []recordFile{f}
	return nil
}

func (p *pulling) unpackImage(ctx context.Context, m *ociManifest, files []string, stage string) error {
	if _, err := applyLayers(ctx, stage, m.Layers, files, p.f.opts.Limits); err != nil {
		return err
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		return err
	}
	return syncTree(stage)
}

// onePath unpacks the image in a hidden staging directory inside DIR and
// moves the one file asked for out of it, to DIR/<its name>, with the
// mode the image gives it. Symlinks on its path are followed inside the
// image, as they would be in a container.
func (p *pulling) onePath(ctx context.Context, m *ociManifest, rec *ociRecord) error {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return err
	}
	cache := filepath.Join(p.dir, blobsSuffix)
	files, err := p.layers(ctx, m, cache)
	if err != nil {
		return err
	}
	stage, err := os.MkdirTemp(p.dir, atomicfile.TempPrefix+"rootfs.*"+atomicfile.TempSuffix)
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	x, err := applyLayers(ctx, stage, m.Layers, files, p.f.opts.Limits)
	if err != nil {
		return err
	}
	want := strings.TrimLeft(path.Clean("/"+p.f.opts.OCI.Path), "/")
	at, ok := x.resolve(nil, want, 0)
	src := filepath.Join(stage, filepath.FromSlash(strings.Join(at, "/")))
	fi, err := os.Lstat(src)
	if !ok || err != nil || !fi.Mode().IsRegular() {
		return &ManifestError{Ref: p.r.ref.String(), Reason: fmt.Sprintf("the image has no file %s", "/"+want)}
	}
	name := path.Base(want)
	if err := syncFile(src); err != nil {
		return err
	}
	if err := os.Rename(src, filepath.Join(p.dir, name)); err != nil {
		return err
	}
	if err := atomicfile.SyncDir(p.dir); err != nil {
		return err
	}
	os.RemoveAll(cache)
	f := recordFile{Name: name, Digest: rec.Image, Size: fi.Size()}
	if err := f.stamp(p.dir); err != nil {
		return err
	}
	rec.Files = []recordFile{f}
	return nil
}

// layers makes sure every layer is in the cache, complete and verified,
// downloading the missing ones in parallel, and returns their paths.
func (p *pulling) layers(ctx context.Context, m *ociManifest, cache string) ([]string, error) {
	files := make([]string, len(m.Layers))
	var todo []descriptor
	var at []int
	for i, d := range m.Layers {
		if !digestRe().MatchString(d.Digest) || d.Size < 0 {
			return nil, &ManifestError{Ref: p.r.ref.String(), Reason: fmt.Sprintf("layer %d has no sha256 digest", i+1)}
		}
		files[i] = filepath.Join(cache, strings.Replace(d.Digest, ":", "-", 1))
		if cached(ctx, files[i], d) {
			continue
		}
		todo = append(todo, d)
		at = append(at, i)
	}
	if err := os.MkdirAll(cache, 0o700); err != nil {
		return nil, err
	}
	parts, err := p.fetchBlobs(ctx, todo, func(i int) string { return files[at[i]] })
	if err != nil {
		return nil, err
	}
	for i, part := range parts {
		part.file.NoDirSync = true // the tree is synced as a whole later
		if err := part.commit(); err != nil {
			for _, rest := range parts[i+1:] {
				rest.release(nil)
			}
			return nil, err
		}
	}
	return files, nil
}

// cached reports whether an earlier, failed run left the blob complete
// in the cache. It is hashed again, as it is when unpacked: the cache is
// a directory anyone with the volume can write to.
func cached(ctx context.Context, file string, d descriptor) bool {
	if fi, err := os.Stat(file); err != nil || fi.Size() != d.Size {
		return false
	}
	got, _, err := hashFile(ctx, file, false)
	if err != nil || "sha256:"+hex.EncodeToString(got.SHA256) != d.Digest {
		os.Remove(file)
		return false
	}
	return true
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
