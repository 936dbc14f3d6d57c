package checks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/initbox/initbox/internal/bodytext"
	"github.com/initbox/initbox/internal/option"
	"github.com/initbox/initbox/internal/redact"
)

// HTTPOptions configures http:// and https:// targets. The zero value sends
// GET and accepts 200–399, like a kubelet httpGet probe.
type HTTPOptions struct {
	Method          string   // default GET
	Headers         []string // "Name: value"
	HeaderFiles     []string // "Name=/path/to/file": the value is the file's content, trimmed (mounted secrets)
	Body            string   // request body, sent afresh on every attempt
	Status          string   // accepted statuses, e.g. "200-399" (default) or "200,204,300-302"
	ExpectBody      string   // the body must contain this
	ExpectRegex     string   // the body must match this regular expression
	FollowRedirects bool     // follow redirects instead of judging the 3xx itself
	TLS             TLSOptions
}

// maxBody bounds how much of a response body is read, so a huge or endless
// body cannot exhaust memory or the attempt's time.
const maxBody = 1 << 20

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
	follow   bool
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
		contains: o.ExpectBody, follow: o.FollowRedirects}
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
	if u.Scheme == "https" || o.TLS != (TLSOptions{}) {
		if h.tls, err = newTLSConfig(o.TLS); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Check sends one complete, fresh request on a new connection and judges the
// answer.
func (h *HTTP) Check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, h.method, h.url, strings.NewReader(h.body))
	if err != nil {
		return err
	}
	req.Header = h.header.Clone()
	if h.host != "" {
		req.Host = h.host
	}
	resp, err := h.client().Do(req)
	if err != nil {
		return unwrapURLError(err)
	}
	defer resp.Body.Close()
	return h.judge(resp)
}

func (h *HTTP) judge(resp *http.Response) error {
	wantBody := h.contains != "" || h.re != nil
	if !h.status.has(resp.StatusCode) {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 2048)) // past an HTML page's <head>
		return &StatusError{Code: resp.StatusCode, Want: h.status.String(), Body: string(snippet)}
	}
	if !wantBody {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("reading body: %w", err)
	}
	if h.contains != "" && !strings.Contains(string(body), h.contains) {
		return fmt.Errorf("status %d but body does not contain %q", resp.StatusCode, h.contains)
	}
	if h.re != nil && !h.re.Match(body) {
		return fmt.Errorf("status %d but body does not match /%s/", resp.StatusCode, h.re)
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
	c := &http.Client{Transport: tr}
	if !h.follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
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
