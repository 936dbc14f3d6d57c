package fetch

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/initbox/initbox/internal/hangup"
	"github.com/initbox/initbox/internal/httpopt"
)

// TLSOptions configures certificate checks for https:// URLs. Certificates
// are verified against the system's roots unless told otherwise.
type TLSOptions struct {
	CAFile             string // PEM bundle to trust instead of the system roots
	CertFile, KeyFile  string // client certificate and key (PEM), for servers that ask for one
	InsecureSkipVerify bool   // accept any certificate; off unless asked for
}

// maxRedirects bounds a redirect chain, so a loop fails fast instead of
// being retried.
const maxRedirects = 10

func (f *Fetcher) newClient() (*http.Client, error) {
	cfg, err := newTLSConfig(f.opts.TLS)
	if err != nil {
		return nil, err
	}
	stall := f.opts.StallTimeout
	tr := &http.Transport{
		Proxy:                 f.opts.Proxy,
		DialContext:           (&net.Dialer{Timeout: stall, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       cfg,
		TLSHandshakeTimeout:   stall,
		ResponseHeaderTimeout: stall,
		// No Accept-Encoding: a transparently gunzipped body would break
		// ranges, sizes and checksums, which are all about the bytes the
		// server holds.
		DisableCompression:  true,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: f.opts.Parallel,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: f.checkRedirect}, nil
}

func newTLSConfig(o TLSOptions) (*tls.Config, error) {
	return httpopt.TLS{CAFile: o.CAFile, CertFile: o.CertFile, KeyFile: o.KeyFile, InsecureSkipVerify: o.InsecureSkipVerify}.Config()
}

// RedirectError is a redirect initbox will not follow: a loop, or a
// downgrade from https to http.
type RedirectError struct{ Reason string }

func (e *RedirectError) Error() string { return e.Reason }

// checkRedirect stops loops and downgrades, and keeps the user's headers
// and Authorization (often tokens) from reaching another host or port, as
// curl does with Authorization.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return &RedirectError{fmt.Sprintf("stopped after %d redirects: a redirect loop?", len(via))}
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return &RedirectError{"refusing a redirect from https to " + req.URL.Scheme}
	}
	if req.URL.Host != via[0].URL.Host {
		for name := range f.header {
			req.Header.Del(name)
		}
		// net/http keeps Authorization for the same host name on another
		// port; a registry's token is for the registry alone, not for the
		// storage it redirects blobs to.
		req.Header.Del("Authorization")
	}
	return nil
}

// do sends a GET (or t.method) with the given header through
// retryablehttp: connection errors, 408, 429 and 5xx (and 404/403 with
// RetryNotFound) are retried, with a complete fresh request each time,
// until ctx ends. The response is the first that is not retried; its
// status is the caller's to judge.
func (t *target) do(ctx context.Context, header http.Header) (*http.Response, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, cmp.Or(t.method, http.MethodGet), t.url.String(), nil)
	if err != nil {
		return nil, errors.New("bad URL")
	}
	req.Header = header
	rc := &retryablehttp.Client{
		HTTPClient:   t.f.client,
		Logger:       nil, // it would print URLs; retries are logged by t.checkRetry
		RetryWaitMin: t.f.opts.RetryWaitMin,
		RetryWaitMax: t.f.opts.RetryWaitMax,
		RetryMax:     math.MaxInt32, // the deadline bounds the retries
		CheckRetry:   t.checkRetry,
		Backoff:      backoff,
		ErrorHandler: func(resp *http.Response, err error, _ int) (*http.Response, error) {
			if resp != nil {
				resp.Body.Close()
			}
			return nil, err
		},
	}
	resp, err := rc.Do(req)
	if err != nil {
		return nil, t.failure(ctx, err)
	}
	return resp, nil
}

// failure turns the error that ended the retries into one that names no
// URL (it may hold a password) and, when the deadline or a signal ended
// them, says what the last attempt got.
func (t *target) failure(ctx context.Context, err error) error {
	err = unwrapURLError(err)
	if ctx.Err() == nil {
		return err
	}
	if t.lastReason != "" {
		return stopped(ctx, "no success before the deadline", fmt.Sprintf(" (attempts: %d; last: %s)", t.attempts, t.lastReason))
	}
	return stopped(ctx, "no answer before the deadline", "")
}

// stopError is a fetch that ctx ended, worded for people: "context
// deadline exceeded" says nothing of what was happening. errors.Is still
// finds the context's error.
type stopError struct {
	err error
	msg string
}

func (e *stopError) Error() string { return e.msg }
func (e *stopError) Unwrap() error { return e.err }

// stopped says why ctx ended a fetch: at the deadline, what (and detail);
// when cancelled, the context's error and detail, which the caller may
// name better (the signal).
func stopped(ctx context.Context, what, detail string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &stopError{ctx.Err(), what + detail}
	}
	return &stopError{ctx.Err(), ctx.Err().Error() + detail}
}

// checkRetry is retryablehttp's CheckRetry: it decides and logs each time
// the reason for retrying changes.
func (t *target) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	t.attempts++
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	reason, retry := retryable(resp, err, t.f.opts.RetryNotFound)
	if !retry {
		if err != nil {
			return false, err
		}
		return false, nil
	}
	if reason != t.lastReason {
		t.f.log.Info("retrying", "url", t.name(), "reason", reason, "attempt", t.attempts)
		t.lastReason = reason
	}
	return true, nil
}

// retryable says whether an attempt's outcome may change on retry, and why.
func retryable(resp *http.Response, err error, notFound bool) (string, bool) {
	if err != nil {
		var (
			redirect *RedirectError
			unknown  x509.UnknownAuthorityError
			hostname x509.HostnameError
			invalid  x509.CertificateInvalidError
			verify   *tls.CertificateVerificationError
			record   tls.RecordHeaderError
			op       *net.OpError
		)
		if errors.As(err, &redirect) || errors.As(err, &unknown) || errors.As(err, &hostname) ||
			errors.As(err, &invalid) || errors.As(err, &verify) || errors.As(err, &record) {
			return "", false
		}
		// A TLS alert from the server (crypto/tls reports it as a "remote
		// error"): it refused the handshake, e.g. no or a wrong client
		// certificate. Trying again changes nothing.
		if errors.As(err, &op) && op.Op == "remote error" {
			return "", false
		}
		// An end of stream and a reset are the same hang-up (see hangup.Is);
		// reported as they came, the reason would flip between them and
		// log a retrying line at each flip.
		if hangup.Is(err) {
			return hangup.Reason + " without answering", true
		}
		return unwrapURLError(err).Error(), true
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusTooManyRequests, code == http.StatusRequestTimeout,
		code >= 500 && code != http.StatusNotImplemented,
		notFound && (code == http.StatusNotFound || code == http.StatusForbidden):
		reason := "status " + resp.Status
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			reason += " (Retry-After " + ra + ")"
		}
		return reason, true
	}
	return "", false
}

// backoff honours Retry-After (seconds or an HTTP date) on any answer,
// but never pauses less than lo: "Retry-After: 0" or a date in the past
// would otherwise retry thousands of times a second. Without it, the pause
// doubles from lo up to hi, with 10% jitter so that pods do not retry in
// step.
func backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return max(d, lo)
		}
	}
	d := hi
	if attempt < 30 {
		d = min(lo<<attempt, hi)
	}
	return d - time.Duration(rand.Int64N(int64(d)/10+1))
}

func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && secs >= 0 {
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// unwrapURLError drops the `Get "url":` prefix net/http puts on errors: the
// URL may carry a password, and the caller names the download anyway.
func unwrapURLError(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

// small fetches a small resource, such as a checksum file, whole.
func (f *Fetcher) small(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("bad URL")
	}
	if u.Scheme == "file" {
		file, err := os.Open(u.Path)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		return readSmall(file, limit)
	}
	t := &target{f: f, url: u}
	resp, err := t.do(ctx, f.header.Clone())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp)
	}
	return readSmall(resp.Body, limit)
}
