package checks

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"time"
)

// exchange sends req on a connection of its own and reads the answer with
// net/http's own writer and reader. An attempt that follows no redirect
// needs nothing more, and this costs about half of what a Transport does,
// with its pool, its two goroutines per connection and its buffers, none
// of which one request on one connection uses. That matters to serve,
// which checks many targets for as long as the pod lives.
//
// It does what http.Client and Transport would for this request: basic
// auth from the URL, the TLS server name from the host, "Connection:
// close", and 1xx answers skipped. The caller closes the body, which
// closes the connection.
func (h *HTTP) exchange(ctx context.Context, req *http.Request) (*http.Response, error) {
	conn, err := dialConn(ctx, "tcp", requestAddr(req), true)
	if err != nil {
		return nil, stableOpError(err)
	}
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	closeAll := func() { stop(); conn.Close() }
	if req.URL.Scheme == "https" {
		cfg := h.tlsOrDefault()
		if cfg.ServerName == "" {
			cfg.ServerName = req.URL.Hostname()
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			closeAll()
			return nil, ctxOr(ctx, err)
		}
		conn = tc
	}
	if u := req.URL.User; u != nil && req.Header.Get("Authorization") == "" {
		pass, _ := u.Password()
		req.SetBasicAuth(u.Username(), pass)
	}
	req.Close = true
	if err := req.Write(conn); err != nil {
		closeAll()
		return nil, ctxOr(ctx, err)
	}
	br := bufio.NewReader(conn)
	for {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			closeAll()
			return nil, ctxOr(ctx, err)
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			resp.Body = &connBody{ReadCloser: resp.Body, ctx: ctx, close: closeAll}
			return resp, nil
		}
		resp.Body.Close() // 100 Continue, 103 Early Hints: the answer follows
	}
}

// requestAddr is the URL's host with the scheme's port if it names none.
func requestAddr(req *http.Request) string {
	port := req.URL.Port()
	if port == "" {
		port = "80"
		if req.URL.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(req.URL.Hostname(), port)
}

func (h *HTTP) tlsOrDefault() *tls.Config {
	if h.tls != nil {
		return h.tls.clone()
	}
	return &tls.Config{}
}

// ctxOr returns the context's error when it ended the exchange, as a
// Transport would: the socket's own "i/o timeout", which fires with the
// same deadline, would read as another reason. The deadline decides, not
// which of the two timers fired first.
func ctxOr(ctx context.Context, err error) error {
	if ended(ctx) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return context.DeadlineExceeded
	}
	return stableOpError(err)
}

// stableOpError drops the local address of a socket error, as
// unwrapURLError does.
func stableOpError(err error) error {
	if op, ok := err.(*net.OpError); ok && op.Source != nil {
		stable := *op
		stable.Source = nil
		return &stable
	}
	return err
}

// connBody closes the connection with the body, and reports a read cut
// short by the context as the context's error.
type connBody struct {
	io.ReadCloser
	ctx   context.Context
	close func()
}

func (b *connBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = ctxOr(b.ctx, err)
	}
	return n, err
}

func (b *connBody) Close() error {
	err := b.ReadCloser.Close()
	b.close()
	return err
}
