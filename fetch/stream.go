package fetch

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
)

// stream writes the body to the partial file, hashing it on the way, and
// says how it ended: complete, cut off (resume), or stopped for good.
func (t *target) stream(ctx, actx context.Context, cancel context.CancelCauseFunc, body io.Reader) error {
	if _, err := t.part.file.Seek(t.part.size, io.SeekStart); err != nil {
		return err
	}
	w := &watchdog{r: body, stall: t.f.opts.StallTimeout, left: -1}
	if max := t.f.opts.MaxSize; max > 0 {
		w.left = max - t.part.size
	}
	w.timer = time.AfterFunc(w.stall, func() { cancel(errStalled) })
	defer w.timer.Stop()
	n, err := pump(actx, w, t.dig.stages(newWriteBehind(t.part.file.File, t.part.size)), t.job.Progress.add)
	t.part.size += n
	switch {
	case err == nil:
		if want := t.part.info.Size; want >= 0 && t.part.size < want {
			return &cutError{fmt.Errorf("the body ended at %d of %d bytes", t.part.size, want)}
		}
		return nil
	case isWriteError(err), errors.Is(err, errTooBig):
		return err
	case ctx.Err() != nil:
		return stopped(ctx, "the deadline passed", " with "+t.fetchedSoFar()+" fetched")
	case errors.Is(context.Cause(actx), errStalled):
		return &cutError{fmt.Errorf("%w (%v)", errStalled, t.f.opts.StallTimeout)}
	default:
		return &cutError{unwrapURLError(err)}
	}
}

// fetchedSoFar says how far the download got, "N of TOTAL bytes" when the
// size is known: a body still arriving, but too slowly for the deadline,
// shows as the small fraction it is.
func (t *target) fetchedSoFar() string {
	if total := t.part.info.Size; total >= 0 {
		return fmt.Sprintf("%d of %d bytes", t.part.size, total)
	}
	return fmt.Sprintf("%d bytes", t.part.size)
}

// watchdog abandons an attempt that receives nothing for the stall
// timeout (its timer cancels the attempt), and enforces --max-size on
// bodies of unknown length.
type watchdog struct {
	r     io.Reader
	timer *time.Timer
	stall time.Duration
	left  int64 // bytes still allowed; -1: no limit
}

func (w *watchdog) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.timer.Reset(w.stall)
	}
	if w.left >= 0 {
		if w.left -= int64(n); w.left < 0 {
			return n, errTooBig
		}
	}
	return n, err
}

// finish verifies the complete file and puts it in place, unless it is
// what the destination holds already.
func (t *target) finish(ctx context.Context) (Result, error) {
	if t.notModified {
		if t.part != nil { // a stale partial, not vouched for by its sidecar
			t.part.discard()
		}
		return Result{Dest: t.dest, Status: Unchanged, Size: t.cond.Size, SHA256: t.cond.SHA256}, nil
	}
	got := t.dig.sums()
	if err := verify(got, t.want); err != nil {
		t.part.discard()
		return t.result(), err
	}
	m := manifest{URL: t.name(), Key: urlKey(t.url.String()), ETag: t.part.info.ETag,
		LastModified: t.part.info.LastModified, Size: t.part.size,
		SHA256: hex.EncodeToString(got.SHA256), Extracted: t.f.opts.Extract}
	if got.SHA512 != nil {
		m.SHA512 = hex.EncodeToString(got.SHA512)
	}
	res := Result{Dest: t.dest, Status: Downloaded, Size: m.Size, SHA256: m.SHA256}
	if t.resumed {
		res.Status = Resumed
	}
	if t.cond != nil && t.cond.SHA256 == m.SHA256 && t.cond.Extracted == m.Extracted {
		// Same content: leave the file alone (same inode, same mtime).
		t.part.discard()
		res.Status = Unchanged
		t.saveManifest(m)
		return res, nil
	}
	if err := t.install(ctx); err != nil {
		return res, err
	}
	t.saveManifest(m)
	return res, nil
}

// install renames the file into place, or unpacks the archive.
func (t *target) install(ctx context.Context) error {
	if !t.f.opts.Extract {
		return t.part.commit()
	}
	defer t.part.discard()
	if err := t.part.file.Sync(); err != nil {
		return err
	}
	return unpack(ctx, t.part.file.Name(), t.dest, t.f.opts.Mode, t.f.opts.Limits)
}

// saveManifest records the fetch for the next run. Failing to is no reason
// to fail the fetch: the next run downloads again.
func (t *target) saveManifest(m manifest) {
	if err := writeManifest(t.dest, t.f.opts.StateDir, m); err != nil {
		t.f.log.Warn("cannot write the manifest; the next run will download again", "file", t.dest, "error", err.Error())
	}
}

func (t *target) result() Result {
	return Result{Dest: t.dest, Size: t.size()}
}
