package fetch

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/initbox/initbox/internal/bodytext"
	"github.com/initbox/initbox/internal/option"
	"github.com/initbox/initbox/internal/redact"
	"github.com/initbox/initbox/internal/sleep"
)

// target is one job on its way: where it goes, what it must hash to, and
// the state of its attempts.
type target struct {
	f      *Fetcher
	job    Job
	url    *url.URL
	method string // of the requests t.do sends; "": GET
	want   Sums
	dest   string // "" until the server names the file

	attempts   int    // requests made
	lastReason string // why the last attempt was retried

	part        *partial
	dig         *digests
	cond        *manifest // the file on disk as last fetched, if still intact
	sentCond    bool      // the last request was conditional
	noRange     bool      // the server answered a range badly: ask for whole files
	resumed     bool      // some bytes came from a range request
	notModified bool
}

func (t *target) name() string { return redact.URL(t.url.String()) }

// cutError is a body that stopped midway: the download resumes.
type cutError struct{ err error }

func (e *cutError) Error() string { return "download cut off: " + e.err.Error() }
func (e *cutError) Unwrap() error { return e.err }

var (
	errTooBig  = errors.New("larger than " + string(option.MaxSize))
	errStalled = errors.New("no data received for the stall timeout")
	errRestart = errors.New("restart without Range")
)

// StatusError is an answer that is not the file and that a retry would
// not change, such as 404 Not Found.
type StatusError struct {
	Code int
	Body string // the start of the body, for the message
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("status %d %s, want 200", e.Code, http.StatusText(e.Code))
	if b := bodytext.Reason(e.Body, 100); b != "" { // an HTML page's text, not its markup
		msg += fmt.Sprintf(": %q", b)
	}
	return msg
}

func statusError(resp *http.Response) error {
	// Enough for the text of a typical error page, past its <head>.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	return &StatusError{Code: resp.StatusCode, Body: string(snippet)}
}

func (t *target) download(ctx context.Context) (Result, error) {
	if res, ok, err := t.skip(ctx); ok || err != nil {
		return res, err
	}
	t.dig = newDigests(t.want.SHA512 != nil)
	if t.dest != "" {
		t.job.Progress.setDest(t.dest)
		if t.want.IsZero() { // with a checksum, the file on disk just failed it
			t.cond = loadManifest(t.dest, t.url.String(), t.f.opts.StateDir)
		}
		// Only a partial download an earlier run left is opened now, to
		// resume it; else the first answer with a body opens one, so that
		// a 304 leaves the directory as it was (same mtime, no temp file).
		if hasPartial(t.dest) {
			var err error
			if t.part, err = openPartial(t.dest, t.url.String(), t.f.opts.Mode, false); err != nil {
				return t.result(), err
			}
		}
	}
	if err := t.transfer(ctx); err != nil {
		if t.part != nil {
			t.part.release(err)
		}
		return t.result(), err
	}
	return t.finish(ctx)
}

// skip reports whether the destination already holds the file with the
// wanted checksum: then no request is made at all.
func (t *target) skip(ctx context.Context) (Result, bool, error) {
	if t.dest == "" || t.want.IsZero() {
		return Result{}, false, nil
	}
	if t.f.opts.Extract {
		m := loadManifest(t.dest, t.url.String(), t.f.opts.StateDir)
		if m == nil || !m.Extracted || !m.matches(t.want) {
			return Result{}, false, nil
		}
		return Result{Dest: t.dest, Status: Skipped, Size: m.Size, SHA256: m.SHA256}, true, nil
	}
	got, n, ok, err := matchesOnDisk(ctx, t.dest, t.want)
	if err != nil || !ok {
		return Result{}, false, err
	}
	return Result{Dest: t.dest, Status: Skipped, Size: n, SHA256: hex.EncodeToString(got.SHA256)}, true, nil
}

// transfer makes attempts until the whole body is on disk, the server says
// nothing changed, or an error that a retry cannot fix. A body cut off
// midway is resumed; retries of whole requests happen inside t.do.
func (t *target) transfer(ctx context.Context) error {
	fails := 0 // cuts in a row without progress
	for {
		before := t.size()
		err := t.attempt(ctx)
		var cut *cutError
		switch {
		case err == nil:
			return nil
		case errors.Is(err, errRestart):
			continue
		case !errors.As(err, &cut) || ctx.Err() != nil:
			return err
		}
		// Only bytes kept count as progress: a restart from zero loses them,
		// and a server that always cuts early must meet a growing pause,
		// not a retry every RetryWaitMin.
		// Kept for the message if the deadline then ends a request that
		// had not begun to answer: the cut is what the user should see.
		t.lastReason = cut.err.Error()
		if t.afterCut(cut) && t.size() > before {
			fails = 0
		}
		wait := backoff(t.f.opts.RetryWaitMin, t.f.opts.RetryWaitMax, fails, nil)
		fails++
		if err := sleep.For(ctx, wait); err != nil {
			return fmt.Errorf("%w (%v)", err, cut)
		}
	}
}

// afterCut decides between resuming and starting over, says so, and
// reports whether the bytes received are kept.
func (t *target) afterCut(cut *cutError) bool {
	if t.part.resumable() && !t.noRange {
		t.f.log.Info("resuming", "url", t.name(), "at", t.part.size, "reason", cut.err.Error())
		return true
	}
	t.f.log.Info("restarting", "url", t.name(), "reason", cut.err.Error()+"; the server gave no validator to resume with")
	t.part.reset()
	t.dig.reset()
	return false
}

func (t *target) size() int64 {
	if t.part == nil {
		return 0
	}
	return t.part.size
}

// attempt sends one request (retried by t.do) and streams its body.
func (t *target) attempt(ctx context.Context) error {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	resp, err := t.do(actx, t.requestHeader())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusNotModified:
		if !t.sentCond {
			return statusError(resp)
		}
		t.notModified = true
		return nil
	case http.StatusOK:
		err = t.startWhole(resp)
	case http.StatusPartialContent:
		if t.part == nil { // a range that was not asked for
			return statusError(resp)
		}
		err = t.startRange(ctx, resp)
	case http.StatusRequestedRangeNotSatisfiable:
		// The partial holds the whole file already (a run died just before
		// renaming it) or more: start over rather than trust it.
		return t.restart("the server found no more bytes to send after the partial file")
	default:
		return statusError(resp)
	}
	if err != nil {
		return err
	}
	return t.stream(ctx, actx, cancel, resp.Body)
}

// requestHeader asks for the rest of a partial file, or for the file only
// if it changed since the manifest was written, or for the whole file.
func (t *target) requestHeader() http.Header {
	h := t.f.header.Clone()
	t.sentCond = false
	switch {
	case t.size() > 0 && !t.noRange:
		h.Set("Range", fmt.Sprintf("bytes=%d-", t.part.size))
		h.Set("If-Range", t.part.info.validator())
	case t.cond != nil && (t.cond.ETag != "" || t.cond.LastModified != ""):
		if t.cond.ETag != "" {
			h.Set("If-None-Match", t.cond.ETag)
		}
		if t.cond.LastModified != "" {
			h.Set("If-Modified-Since", t.cond.LastModified)
		}
		t.sentCond = true
	}
	return h
}

// startWhole prepares for a complete body: the server ignored the range,
// or the file changed (If-Range did not match), or none was asked for.
func (t *target) startWhole(resp *http.Response) error {
	if err := t.open200(resp); err != nil {
		return err
	}
	if t.part.size > 0 {
		t.f.log.Info("restarting", "url", t.name(), "reason", "the server sent the whole file: it ignored Range, or the file changed")
		if err := t.part.reset(); err != nil {
			return err
		}
	}
	t.dig.reset()
	t.resumed = false
	size := resp.ContentLength
	if err := t.checkSize(size); err != nil {
		return err
	}
	t.job.Progress.setTotal(size)
	t.job.Progress.setDone(0)
	return t.part.begin(newPartialInfo(t.url.String(), resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), size))
}

// open200 opens the partial file for a whole body, unless one is open
// already, and first names the destination if only the answer can
// (Content-Disposition, else index.html).
func (t *target) open200(resp *http.Response) error {
	if t.part != nil {
		return nil
	}
	if t.dest == "" {
		name := nameFromDisposition(resp.Header.Get("Content-Disposition"))
		if name == "" {
			name = "index.html"
		}
		t.dest = joinDir(t.job.Dir, t.f.opts.Extract, name)
		t.job.Progress.setDest(t.dest)
	}
	var err error
	t.part, err = openPartial(t.dest, t.url.String(), t.f.opts.Mode, true)
	return err
}

// startRange checks that a 206 continues the partial file exactly: same
// offset, same total size, same ETag. Otherwise the partial is dropped and
// the file fetched whole, never mixed.
func (t *target) startRange(ctx context.Context, resp *http.Response) error {
	start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
	etag := resp.Header.Get("ETag")
	if !ok || start != t.part.size || total != t.part.info.Size && t.part.info.Size >= 0 ||
		etag != "" && t.part.info.ETag != "" && etag != t.part.info.ETag {
		return t.restart("the server's Content-Range does not continue the partial file")
	}
	if t.part.info.Size < 0 {
		t.part.info.Size = total
	}
	if t.dig.n != start {
		if err := t.rehash(ctx); err != nil {
			return err
		}
	}
	t.resumed = true
	t.job.Progress.setTotal(t.part.info.Size)
	t.job.Progress.setDone(start)
	return nil
}

// restart drops the partial file and asks for the whole file next, with
// no Range.
func (t *target) restart(reason string) error {
	t.f.log.Info("restarting", "url", t.name(), "reason", reason)
	t.noRange = true
	t.dig.reset()
	if err := t.part.reset(); err != nil {
		return err
	}
	return errRestart
}

// rehash hashes what an earlier run left in the partial file, so the
// checksum covers the whole file.
func (t *target) rehash(ctx context.Context) error {
	t.dig.reset()
	r := io.NewSectionReader(t.part.file, 0, t.part.size)
	if _, err := t.dig.hashFrom(ctx, r); err != nil {
		return fmt.Errorf("reading the partial download: %w", err)
	}
	return nil
}

// parseContentRange parses "bytes START-END/TOTAL" (TOTAL may be "*": -1).
func parseContentRange(v string) (start, total int64, ok bool) {
	var end int64
	if n, _ := fmt.Sscanf(v, "bytes %d-%d/%d", &start, &end, &total); n == 3 {
		return start, total, end >= start && total > end
	}
	if n, _ := fmt.Sscanf(v, "bytes %d-%d/*", &start, &end); n == 2 {
		return start, -1, end >= start
	}
	return 0, 0, false
}

func (t *target) checkSize(size int64) error {
	if max := t.f.opts.MaxSize; max > 0 && size > max {
		return fmt.Errorf("%w: the server announces %d bytes, the limit is %d", errTooBig, size, max)
	}
	return nil
}
