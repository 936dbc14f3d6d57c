package fetch

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/initbox/initbox/internal/atomicfile"
)

// copyLocal fetches a file:// URL: the same atomic, verified, idempotent
// copy as a download, without the network.
func (t *target) copyLocal(ctx context.Context) (Result, error) {
	if res, ok, err := t.skip(ctx); ok || err != nil {
		return res, err
	}
	src, err := os.Open(t.url.Path)
	if err != nil {
		return t.result(), err
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return t.result(), err
	}
	if !fi.Mode().IsRegular() {
		return t.result(), fmt.Errorf("%s is not a regular file", t.url.Path)
	}
	if err := t.checkSize(fi.Size()); err != nil {
		return t.result(), err
	}
	if t.want.IsZero() {
		t.cond = loadManifest(t.dest, t.url.String(), t.f.opts.StateDir)
		if res, ok, err := t.sameAsLast(ctx, fi.Size()); ok || err != nil {
			return res, err
		}
	}
	if err := makeDir(t.dest); err != nil {
		return t.result(), err
	}
	f, err := atomicfile.Create(t.dest, t.f.opts.Mode)
	if err != nil {
		return t.result(), err
	}
	t.part = &partial{file: f, info: partialInfo{Size: fi.Size()}}
	t.dig = newDigests(t.want.SHA512 != nil)
	t.job.Progress.setDest(t.dest)
	t.job.Progress.setTotal(fi.Size())
	n, err := pump(ctx, src, t.dig.stages(newWriteBehind(f.File, 0)), t.job.Progress.add)
	t.part.size = n
	if err != nil {
		t.part.discard()
		return t.result(), err
	}
	return t.finish(ctx)
}

// sameAsLast reports whether the source still hashes to what the manifest
// says was copied last time: then nothing is written, not even a temp file
// that would change the directory.
func (t *target) sameAsLast(ctx context.Context, size int64) (Result, bool, error) {
	if t.cond == nil || size != t.cond.Size || t.cond.Extracted != t.f.opts.Extract {
		return Result{}, false, nil
	}
	got, _, err := hashFile(ctx, t.url.Path, false)
	if err != nil || hex.EncodeToString(got.SHA256) != t.cond.SHA256 {
		return Result{}, false, err
	}
	return Result{Dest: t.dest, Status: Unchanged, Size: size, SHA256: t.cond.SHA256}, true, nil
}
