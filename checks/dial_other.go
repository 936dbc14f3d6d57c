//go:build !linux || 386

package checks

import (
	"context"
	"net"
	"net/netip"
	"time"
)

func dialTCP(ctx context.Context, addr string) error { return dialWithNet(ctx, "tcp", addr) }

func dialWithNet(ctx context.Context, network, addr string) error {
	conn, err := dialer.DialContext(ctx, network, addr)
	if err != nil {
		return err
	}
	return conn.Close()
}

func dialConn(ctx context.Context, network, addr string, keep bool) (net.Conn, error) {
	return dialer.DialContext(ctx, network, addr)
}

// spareSocket keeps nothing here: see dial_linux.go.
type spareSocket struct{}

func (*spareSocket) close() {}

func dialIP(ctx context.Context, ap netip.AddrPort, deadline time.Time, keep bool, _ *spareSocket) (net.Conn, error) {
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	conn, err := dialer.DialContext(ctx, "tcp", ap.String())
	if err != nil || keep {
		return conn, err
	}
	return nil, conn.Close()
}
