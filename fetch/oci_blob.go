package fetch

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/initbox/initbox/internal/sleep"
)

// blob downloads the blob d into a partial file beside dest and verifies
// it: the partial is returned complete and checked, for the caller to
// commit or read; on failure it is kept to resume from (a cut, SIGTERM)
// or removed (wrong content). A partial that an earlier run left complete
// is verified and used without a request. resumed says whether an
// earlier run's bytes were used.
func (r *registry) blob(ctx context.Context, d descriptor, dest string, prog *Progress) (p *partial, resumed bool, err error) {
	p, err = openPartial(dest, d.Digest, r.f.opts.Mode, false)
	if err != nil {
		return nil, false, err
	}
	dig := newDigests(false)
	if p.size > 0 {
		if _, err := dig.hashFrom(ctx, io.NewSectionReader(p.file, 0, p.size)); err != nil {
			p.release(err)
			return nil, false, fmt.Errorf("reading the partial blob: %w", err)
		}
		prog.addInt64(p.size)
		resumed = true
	}
	err = r.transferBlob(ctx, d, p, dig, prog)
	if err == nil && resumed && blobDigest(dig) != d.Digest {
		// The earlier run's bytes are wrong (altered on disk since): they
		// get one fresh download, not the blame.
		r.f.log.Info("restarting", "blob", d.Digest, "reason", "the partial blob an earlier run left does not match its digest")
		resumed = false
		if err = r.restartBlob(d, p, dig, prog); err == nil {
			err = r.transferBlob(ctx, d, p, dig, prog)
		}
	}
	if err == nil && blobDigest(dig) != d.Digest {
		err = &DigestError{What: "blob", Digest: d.Digest, Got: blobDigest(dig)}
	}
	if err != nil {
		if isDigestError(err) {
			p.discard()
		} else {
			p.release(err)
		}
		return nil, false, err
	}
	return p, resumed, nil
}

func blobDigest(d *digests) string { return "sha256:" + hex.EncodeToString(d.sums().SHA256) }

func isDigestError(err error) bool {
	var de *DigestError
	return errors.As(err, &de)
}

// transferBlob makes attempts until the partial holds d.Size bytes,
// resuming after each cut with a growing pause while no progress is made.
func (r *registry) transferBlob(ctx context.Context, d descriptor, p *partial, dig *digests, prog *Progress) error {
	fails := 0
	for p.size < d.Size { // an empty blob needs no request: its digest is checked all the same
		before := p.size
		err := r.blobAttempt(ctx, d, p, dig, prog)
		var cut *cutError
		switch {
		case err == nil:
			continue
		case !errors.As(err, &cut) || ctx.Err() != nil:
			return err
		}
		if p.size > before {
			fails = 0
		}
		r.f.log.Info("resuming", "blob", d.Digest, "at", p.size, "reason", cut.err.Error())
		wait := backoff(r.f.opts.RetryWaitMin, r.f.opts.RetryWaitMax, fails, nil)
		fails++
		if err := sleep.For(ctx, wait); err != nil {
			return fmt.Errorf("%w (%v)", err, cut)
		}
	}
	return nil
}

// blobAttempt sends one GET of the blob, for the bytes after the partial
// if it holds some, and streams the answer into it.
func (r *registry) blobAttempt(ctx context.Context, d descriptor, p *partial, dig *digests, prog *Progress) error {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	h := http.Header{}
	if p.size > 0 {
		// A digest names immutable content: Range needs no If-Range.
		h.Set("Range", fmt.Sprintf("bytes=%d-", p.size))
	}
	resp, err := r.send(actx, http.MethodGet, "blobs/"+d.Digest, h)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		if p.size > 0 {
			r.f.log.Info("restarting", "blob", d.Digest, "reason", "the registry sent the whole blob")
		}
		if err := r.restartBlob(d, p, dig, prog); err != nil {
			return err
		}
	case http.StatusPartialContent:
		if start, _, ok := parseContentRange(resp.Header.Get("Content-Range")); !ok || start != p.size {
			if err := r.restartBlob(d, p, dig, prog); err != nil {
				return err
			}
			return &cutError{errors.New("the registry's Content-Range does not continue the partial blob")}
		}
	case http.StatusRequestedRangeNotSatisfiable:
		if err := r.restartBlob(d, p, dig, prog); err != nil {
			return err
		}
		return &cutError{errors.New("the registry found no more bytes to send after the partial blob")}
	default:
		return r.failed(resp, "blob", d.Digest)
	}
	return r.streamBlob(ctx, actx, cancel, d, p, dig, prog, resp.Body)
}

// restartBlob empties the partial and records, before any byte is
// written, which blob it will hold: a run killed midway leaves a pair the
// next run resumes.
func (r *registry) restartBlob(d descriptor, p *partial, dig *digests, prog *Progress) error {
	prog.addInt64(-p.size)
	dig.reset()
	if err := p.reset(); err != nil {
		return err
	}
	return p.begin(partialInfo{URL: r.ref.String(), Key: urlKey(d.Digest), ETag: `"` + d.Digest + `"`, Size: d.Size})
}

// streamBlob copies the body into the partial, hashing it, and never
// past the size the descriptor announced.
func (r *registry) streamBlob(ctx, actx context.Context, cancel context.CancelCauseFunc, d descriptor, p *partial, dig *digests, prog *Progress, body io.Reader) error {
	if _, err := p.file.Seek(p.size, io.SeekStart); err != nil {
		return err
	}
	stall := r.f.opts.StallTimeout
	w := &watchdog{r: body, stall: stall, left: d.Size - p.size}
	w.timer = time.AfterFunc(stall, func() { cancel(errStalled) })
	defer w.timer.Stop()
	n, err := pump(actx, w, dig.stages(newWriteBehind(p.file.File, p.size)), prog.add)
	p.size += n
	switch {
	case errors.Is(err, errTooBig):
		return &DigestError{What: "blob", Digest: d.Digest, Got: fmt.Sprintf("more than the %d bytes its descriptor says", d.Size)}
	case err == nil && p.size < d.Size:
		return &cutError{fmt.Errorf("the body ended at %d of %d bytes", p.size, d.Size)}
	case err == nil, isWriteError(err):
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("%w with %d of %d bytes of blob %s fetched", ctx.Err(), p.size, d.Size, d.Digest)
	case errors.Is(context.Cause(actx), errStalled):
		return &cutError{fmt.Errorf("%w (%v)", errStalled, stall)}
	}
	return &cutError{unwrapURLError(err)}
}

// addInt64 counts bytes that did not come through a read: a partial
// blob's (which may exceed an int on 32-bit platforms).
func (p *Progress) addInt64(n int64) {
	if p != nil {
		p.done.Add(n)
	}
}
