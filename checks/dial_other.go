//go:build !linux || 386

package checks

import (
	"context"
	"net"
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
