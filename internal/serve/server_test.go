package serve

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// hello answers every request with its method and path.
var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "%s %s\n", r.Method, r.URL.Path)
})

// raw sends request text on a new connection and returns everything the
// server sends back until it closes the connection.
func raw(t *testing.T, addr, request string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(conn, request)
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("reading the answer to %q: %v (got %q)", request, err, b)
	}
	return string(b)
}

func TestServerKeepsAlive(t *testing.T) {
	addr := listen(t, hello)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	for _, path := range []string{"/a", "/b", "/c"} {
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %s on the kept connection: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(b) != "GET "+path+"\n" || resp.Close {
			t.Errorf("%s: %d %q close=%v", path, resp.StatusCode, b, resp.Close)
		}
	}
}

func TestServerAnswers(t *testing.T) {
	addr := listen(t, hello)
	tests := []struct {
		name, request string
		want          []string
		not           string
	}{
		{"close", "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			[]string{"HTTP/1.1 200 OK\r\n", "Content-Length: 7\r\n", "Connection: close\r\n", "\r\n\r\nGET /x\n"}, ""},
		{"HTTP/1.0 closes", "GET /x HTTP/1.0\r\n\r\n", []string{"HTTP/1.1 200 OK\r\n", "Connection: close\r\n"}, ""},
		{"HEAD has no body", "HEAD /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			[]string{"Content-Length: 8\r\n"}, "HEAD /x"},
		{"a body is read and dropped", "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
			[]string{"POST /x\n"}, ""},
		{"garbage", "SSH-2.0-OpenSSH_9.2\r\n\r\n", []string{"HTTP/1.1 400 Bad Request\r\n"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := raw(t, addr, tt.request)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("answer %q lacks %q", got, w)
				}
			}
			if tt.not != "" && strings.Contains(got, tt.not) {
				t.Errorf("answer %q has %q", got, tt.not)
			}
		})
	}
}

func TestServerStopsWithListener(t *testing.T) {
	ln := testnet.Listen(t)
	done := make(chan error, 1)
	go func() { done <- Serve(ln, hello) }()
	ln.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Serve returned nil after its listener closed")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve still running 30 s after its listener closed")
	}
}

func TestServerClosesPastKeptAliveLimit(t *testing.T) {
	addr := listen(t, hello)
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	ask := func(conn net.Conn) *http.Response {
		t.Helper()
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for range maxKeptAlive {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, conn)
		if resp := ask(conn); resp.Close {
			t.Fatalf("connection %d of %d closed after one answer", len(held), maxKeptAlive)
		}
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	held = append(held, conn)
	if resp := ask(conn); !resp.Close {
		t.Errorf("connection %d, past the limit of %d kept alive: kept alive", len(held), maxKeptAlive)
	}
}
