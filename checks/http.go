package checks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/initbox/initbox/internal/bodytext"
	"github.com/initbox/initbox/internal/hangup"
	"github.com/initbox/initbox/internal/option"
	"github.com/initbox/initbox/internal/redact"
)

// HTTPOptions configures http:// and https:// targets. The zero value probes
// the way a kubelet httpGet probe does: GET with "Accept: */*", redirects
// followed on the same host name, 200–399 accepted, the body read up to 10
// KiB within the attempt's time. Unlike the kubelet, certificates are
// verified unless TLS says otherwise.
type HTTPOptions struct {
	Method      string   // default GET
	Headers     []string // "Name: value"; they replace User-Agent and Accept, and an empty Accept removes it
	HeaderFiles []string // "Name=/path/to/file": the value is the file's content, trimmed (mounted secrets)
	Body        string   // request body, sent afresh on every attempt
	Status      string   // accepted statuses, e.g. "200-399" (default) or "200,204,300-302"
	ExpectBody  string   // the body must contain this
	ExpectRegex string   // the body must match this regular expression
	Redirects   Redirects
	UserAgent   string // default "initbox"; a User-Agent header wins
	TLS         TLSOptions
}

const (
	// probeBody is how much of a body the kubelet reads: all of it must
	// arrive within the attempt's time, so a stalled body fails.
	probeBody = 10 << 10
	// maxBody bounds the body read for ExpectBody and ExpectRegex, so a huge
	// or endless body cannot exhaust memory or the attempt's time.
	maxBody = 1 << 20
)

// HTTP is ready when a request to URL answers with an accepted status and,
// if asked, a body that contains or matches the expected text.
type HTTP struct {
	url      string
	target   string
	method   string
	header   http.Header
	host     string
	body     string
	status   statusSet
	contains string
	re       *regexp.Regexp
	redirect Redirects
	tls      *tlsConfig
}

func newHTTP(target string, o HTTPOptions) (*HTTP, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, usageErrorf(target, "%s", redact.ParseError(target, err))
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, usageErrorf(target, "missing host: want http://HOST[:PORT]/path")
	}
	h := &HTTP{url: target, target: redact.URL(target), method: o.Method, body: o.Body,
		contains: o.ExpectBody, redirect: o.Redirects}
	if h.method == "" {
		h.method = http.MethodGet
	}
	if h.status, err = parseStatusSet(o.Status); err != nil {
		return nil, option.Errorf(option.Status, o.Status, "%v", err)
	}
	if o.ExpectRegex != "" {
		if h.re, err = regexp.Compile(o.ExpectRegex); err != nil {
			return nil, option.Errorf(option.ExpectRegex, "", "%v", err)
		}
	}
	if h.header, h.host, err = buildHeader(o.Headers, o.HeaderFiles); err != nil {
		return nil, err
	}
	probeHeader(h.header, o.UserAgent)
	if u.Scheme == "https" || o.TLS != (TLSOptions{}) {
		if h.tls, err = newTLSConfig(o.TLS); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// probeHeader adds the headers a kubelet probe sends unless the options
// set them: its User-Agent is kube-probe/MAJOR.MINOR, ours names initbox.
func probeHeader(h http.Header, userAgent string) {
	if _, ok := h["User-Agent"]; !ok {
		h.Set("User-Agent", cmp.Or(userAgent, "initbox"))
	}
	if _, ok := h["Accept"]; !ok {
		h.Set("Accept", "*/*")
	} else if h.Get("Accept") == "" {
		h.Del("Accept") // the kubelet's way to send none
	}
}

// Check sends one complete, fresh request on a new connection and judges the
// answer.
func (h *HTTP) Check(ctx context.Context) error {
	_, err := h.CheckWarn(ctx)
	return err
}

// CheckWarn is Check that also returns a warning when the target is ready
// but its final answer was a redirect that was not followed, which the
// kubelet reports as a Warning and counts as success.
func (h *HTTP) CheckWarn(ctx context.Context) (warning string, err error) {
	_, warning, err = h.do(ctx)
	return warning, err
}

// do is CheckWarn that also returns the status of the final answer, 0 if
// none came.
func (h *HTTP) do(ctx context.Context) (code int, warning string, err error) {
	req, err := http.NewRequestWithContext(ctx, h.method, h.url, strings.NewReader(h.body))
	if err != nil {
		return 0, "", err
	}
	req.Header = h.header.Clone()
	if h.host != "" {
		req.Host = h.host
	}
	resp, err := h.client().Do(req)
	if err != nil {
		return 0, "", noAnswer(unwrapURLError(err))
	}
	defer resp.Body.Close()
	if err := h.judge(resp); err != nil {
		return resp.StatusCode, "", err
	}
	return resp.StatusCode, h.redirect.warning(resp), nil
}

// judge reads the body, as the kubelet does whatever the status, and decides.
// The body must arrive within the attempt's time: a server that sends its
// headers and then stalls is not ready.
func (h *HTTP) judge(resp *http.Response) error {
	wantBody := h.contains != "" || h.re != nil
	limit := int64(probeBody)
	if wantBody {
		limit = maxBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return &BodyError{Code: resp.StatusCode, Read: len(body), Err: unwrapURLError(err)}
	}
	if !h.status.has(resp.StatusCode) {
		// Enough for the text of an HTML error page, past its <head>.
		return &StatusError{Code: resp.StatusCode, Want: h.status.String(), Body: string(body[:min(len(body), 2048)])}
	}
	if h.contains != "" && !strings.Contains(string(body), h.contains) {
		return definite(fmt.Errorf("status %d but body does not contain %q", resp.StatusCode, h.contains))
	}
	if h.re != nil && !h.re.Match(body) {
		return definite(fmt.Errorf("status %d but body does not match /%s/", resp.StatusCode, h.re))
	}
	return nil
}

// client is new for every attempt so that no connection, TLS session or
// cookie carries over: each attempt sees the server as a new client would.
// Proxies from the environment are ignored, as kubelet probes ignore them.
func (h *HTTP) client() *http.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialConn(ctx, network, addr, true)
		},
		DisableKeepAlives:  true,
		DisableCompression: true,
	}
	if h.tls != nil {
		tr.TLSClientConfig = h.tls.clone()
	}
	return &http.Client{Transport: tr, CheckRedirect: h.redirect.check}
}

func (h *HTTP) String() string { return h.target }

// StatusError is an answer with a status that was not accepted.
type StatusError struct {
	Code int
	Want string
	Body string // the start of the body, for the message
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("status %d %s, want %s", e.Code, http.StatusText(e.Code), e.Want)
	if b := bodytext.Reason(e.Body, 100); b != "" { // an HTML page's text, not its markup
		msg += fmt.Sprintf(": %q", b)
	}
	return msg
}

// NoAnswerError is a server that closed the connection before it sent a
// status line: it accepted and hung up, or closed during the TLS handshake.
type NoAnswerError struct {
	Err error // EOF or a reset: which one is a race (see hangup.Is)
}

func (e *NoAnswerError) Error() string {
	return hangup.Reason + " without answering"
}

func (e *NoAnswerError) Unwrap() error { return e.Err }

// noAnswer gives a server that hung up before answering one reason.
func noAnswer(err error) error {
	if hangup.Is(err) {
		return &NoAnswerError{err}
	}
	return err
}

// BodyError is an answer whose body could not be read in full (up to the
// limit) within the attempt's time.
type BodyError struct {
	Code int   // the status, which came before the body
	Read int   // bytes read before the error
	Err  error // often a timeout
}

func (e *BodyError) Error() string {
	// A body cut off by the attempt's deadline has no fixed length: how much
	// arrived depends on the moment, and a reason that changed with it at
	// every attempt would make the wait log each one.
	if errors.Is(e.Err, context.DeadlineExceeded) || errors.Is(e.Err, os.ErrDeadlineExceeded) {
		return fmt.Sprintf("status %d but the body was still arriving: %v", e.Code, e.Err)
	}
	return fmt.Sprintf("status %d but reading the body failed after %d bytes: %v", e.Code, e.Read, e.Err)
}

func (e *BodyError) Unwrap() error { return e.Err }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// unwrapURLError drops the "Get \"url\":" prefix, since the target is named
// by the caller, and the URL might carry a password. It also drops the
// local address, whose port changes with every attempt: the message must
// stay the same while the state does, for logs that report only changes.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if op, ok := err.(*net.OpError); ok && op.Source != nil {
		stable := *op
		stable.Source = nil
		return &stable
	}
	return err
}
