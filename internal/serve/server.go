package serve

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Limits of one connection. A probe sends one short GET and reads a short
// answer; a client slower than this is not a probe worth waiting for.
const (
	requestTimeout = 10 * time.Second // to read one request, headers and body
	writeTimeout   = 10 * time.Second
	idleTimeout    = time.Minute // between requests on a kept-alive connection
	maxBody        = 64 << 10    // a request body read and dropped; more closes
	// maxKeptAlive is how many connections may stay open between
	// requests. Past it, each connection closes after its answer, so idle
	// ones can never hold every place of a listener with a limit.
	maxKeptAlive = 16
)

// Serve answers HTTP/1.1 requests on ln with h until ln is closed, and
// returns the error that ended accepting.
//
// It is a server of its own rather than net/http's: that would link in its
// HTTP/2 and TLS server code, half a megabyte of a binary that must stay
// small, to answer probes that need neither. Requests are parsed by
// net/http's ReadRequest; answers are written whole, with Content-Length,
// and connections kept alive as HTTP/1.1 wants.
func Serve(ln net.Listener, h http.Handler) error {
	var open atomic.Int32
	for {
		conn, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		open.Add(1)
		go serveConn(conn, h, &open)
	}
}

func serveConn(conn net.Conn, h http.Handler, open *atomic.Int32) {
	defer open.Add(-1)
	defer conn.Close()
	br := bufio.NewReader(conn)
	for {
		// Wait for a request at most idleTimeout, then read it in
		// requestTimeout.
		conn.SetReadDeadline(time.Now().Add(idleTimeout))
		if _, err := br.Peek(1); err != nil {
			return
		}
		conn.SetReadDeadline(time.Now().Add(requestTimeout))
		req, err := http.ReadRequest(br)
		if err != nil {
			var ne net.Error
			if !errors.Is(err, io.EOF) && !(errors.As(err, &ne) && ne.Timeout()) {
				conn.SetWriteDeadline(time.Now().Add(writeTimeout))
				io.WriteString(conn, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}
			return
		}
		req.RemoteAddr = conn.RemoteAddr().String()
		keep := !req.Close && req.ProtoAtLeast(1, 1) && drain(req.Body) && open.Load() <= maxKeptAlive
		w := &response{header: http.Header{}}
		h.ServeHTTP(w, req)
		conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := w.send(conn, req.Method == http.MethodHead, keep); err != nil || !keep {
			return
		}
	}
}

// drain reads what is left of a request body, and reports whether the
// connection can carry another request after it.
func drain(body io.ReadCloser) bool {
	n, err := io.Copy(io.Discard, io.LimitReader(body, maxBody+1))
	body.Close()
	return err == nil && n <= maxBody
}

// response collects what a handler writes, to send it whole.
type response struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *response) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// send writes the status line, the headers and, unless the request was
// HEAD, the body.
func (w *response) send(conn net.Conn, head, keep bool) error {
	w.WriteHeader(http.StatusOK)
	h := w.header
	h.Set("Content-Length", strconv.Itoa(w.body.Len()))
	if h.Get("Content-Type") == "" && w.body.Len() > 0 {
		h.Set("Content-Type", http.DetectContentType(w.body.Bytes()))
	}
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if !keep {
		h.Set("Connection", "close")
	}
	bw := bufio.NewWriter(conn)
	fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", w.code, http.StatusText(w.code))
	h.Write(bw)
	bw.WriteString("\r\n")
	if !head {
		bw.Write(w.body.Bytes())
	}
	return bw.Flush()
}
