//go:build !linux

package search

import (
	"context"
	"net"
	"time"
)

// quickAckDialer is a plain dialer where TCP_QUICKACK does not exist.
func quickAckDialer(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return d.DialContext
}
