package checks

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// kubeClient makes the few requests a waiter needs: list, watch and
// discovery. One client serves one target, over one connection (HTTP/2
// carries the watch and any list side by side).
type kubeClient struct {
	conn *kubeConn
	http *http.Client
}

func newKubeClient(c *kubeConn) *kubeClient {
	tr := &http.Transport{
		Proxy:               nil, // the API server is reached directly, as kubectl does without proxy-url
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     c.tls.Clone(),
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
		IdleConnTimeout:     90 * time.Second,
		// A watch may be silent for minutes: pings find a dead peer (an
		// API server killed without closing its sockets) within ~45 s.
		HTTP2: &http.HTTP2Config{SendPingTimeout: 30 * time.Second, PingTimeout: 15 * time.Second},
	}
	return &kubeClient{conn: c, http: &http.Client{Transport: tr}}
}

// obj is an API object as decoded JSON; accessors in k8s_obj.go read it.
type obj = map[string]any

// APIError is an answer of the API server other than success, from its
// Status object: Code is the HTTP status, Reason e.g. "Forbidden", "Gone".
type APIError struct {
	Code    int
	Reason  string
	Message string
	Verb    string // what was asked: get, list, watch
	Path    string // the request's path
}

func (e *APIError) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("API server: %s", e.Message)
	}
	return fmt.Sprintf("API server: %s %s: %d %s", e.Verb, e.Path, e.Code, e.Reason)
}

func (c *kubeClient) request(ctx context.Context, verb, path string, q url.Values) (*http.Response, error) {
	u := *c.conn.server
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "initbox")
	if err := c.authorize(req); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is the server's, already known
		}
		return nil, fmt.Errorf("API server %s: %w", c.conn.server.Host, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, readAPIError(resp, verb, path)
	}
	return resp, nil
}

// authorize reads the token file again for every request: a projected
// service account token is replaced about hourly, and a request after a
// reconnect must carry the new one.
func (c *kubeClient) authorize(req *http.Request) error {
	token := c.conn.token
	if c.conn.tokenFile != "" {
		b, err := os.ReadFile(c.conn.tokenFile)
		if err != nil {
			return fmt.Errorf("reading the service account token: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	switch {
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	case c.conn.user != "":
		req.SetBasicAuth(c.conn.user, c.conn.password)
	}
	return nil
}

func readAPIError(resp *http.Response, verb, path string) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var st struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	e := &APIError{Code: resp.StatusCode, Verb: verb, Path: path}
	if json.Unmarshal(body, &st) == nil {
		e.Reason, e.Message = st.Reason, st.Message
	} else {
		e.Message = truncate(strings.TrimSpace(string(body)), 200)
	}
	if e.Reason == "" {
		e.Reason = http.StatusText(resp.StatusCode)
	}
	return e
}

// getJSON reads one JSON answer (discovery, a list) whole.
func (c *kubeClient) getJSON(ctx context.Context, verb, path string, q url.Values, v any) error {
	resp, err := c.request(ctx, verb, path, q)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("API server: decoding the answer to %s %s: %w", verb, path, err)
	}
	return nil
}

// kubeList is a list answer: its items and the version to watch from.
type kubeList struct {
	Metadata struct {
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Items []obj `json:"items"`
}

func (c *kubeClient) list(ctx context.Context, path string, sel url.Values) (*kubeList, error) {
	var l kubeList
	if err := c.getJSON(ctx, "list", path, sel, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// kubeEvent is one event of a watch stream.
type kubeEvent struct {
	Type   string `json:"type"` // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
	Object obj    `json:"object"`
}

// watchStream decodes a watch answer event by event.
type watchStream struct {
	body io.ReadCloser
	dec  *json.Decoder
}

func (c *kubeClient) watch(ctx context.Context, path string, sel url.Values, rv string, timeout time.Duration) (*watchStream, error) {
	q := url.Values{}
	for k, v := range sel {
		q[k] = v
	}
	q.Set("watch", "1")
	q.Set("resourceVersion", rv)
	q.Set("allowWatchBookmarks", "true")
	q.Set("timeoutSeconds", fmt.Sprint(int(timeout.Seconds())))
	resp, err := c.request(ctx, "watch", path, q)
	if err != nil {
		return nil, err
	}
	return &watchStream{body: resp.Body, dec: json.NewDecoder(bufio.NewReader(resp.Body))}, nil
}

// next returns the next event, io.EOF when the server ended the watch.
func (w *watchStream) next() (kubeEvent, error) {
	var ev kubeEvent
	err := w.dec.Decode(&ev)
	return ev, err
}

func (w *watchStream) close() { w.body.Close() }

// statusError turns a watch ERROR event's Status object into an *APIError.
func statusError(o obj, path string) *APIError {
	return &APIError{Code: int(num(o, "code")), Reason: str(o, "reason"), Message: str(o, "message"), Verb: "watch", Path: path}
}

func apiCode(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}
