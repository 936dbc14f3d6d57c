package fetch

import (
	"bufio"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

// A server that hangs up before answering gives its client an end of stream
// or a reset, whichever wins a race with the request; both must read as one
// reason, so that retrying is logged once, not at each flip.
func TestHangUpsGiveOneRetryingReason(t *testing.T) {
	var conns atomic.Int32
	addr := testnet.Serve(t, func(c net.Conn) {
		defer c.Close()
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		switch n := conns.Add(1); {
		case n > 4:
			c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\npayload"))
		case n%2 == 0:
			c.(*net.TCPConn).SetLinger(0) // close with a reset
		}
	})
	dest := filepath.Join(t.TempDir(), "f")
	f, logs := newTestFetcher(t, Options{})
	if res := f.Fetch(t.Context(), Job{URL: "http://" + addr + "/f", Dest: dest}); res.Err != nil {
		t.Fatal(res.Err)
	}
	assertContent(t, dest, []byte("payload"))
	if n := strings.Count(logs.String(), "msg=retrying"); n != 1 {
		t.Errorf("%d retrying lines, want 1:\n%s", n, logs)
	}
	if want := `reason="the server closed the connection without answering"`; !strings.Contains(logs.String(), want) {
		t.Errorf("logs lack %s:\n%s", want, logs)
	}
}
