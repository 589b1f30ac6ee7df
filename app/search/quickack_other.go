//go:build !linux

package search

import (
	"context"
	"net"
	"time"
)

// dialQuickAck is a plain dialer where TCP_QUICKACK does not exist.
func dialQuickAck(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return d.DialContext(ctx, network, addr)
}
