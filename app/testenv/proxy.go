package testenv

import (
	"bytes"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Proxy is a TCP proxy between the app and PostgreSQL that a test can cut,
// as a network failure or a database restart would: Down closes every
// connection and refuses new ones, Up accepts again, and CutAtCommitAfter
// drops one connection just after it sent COMMIT, so PostgreSQL saves the
// transaction and the app never hears back.
type Proxy struct {
	Addr   string
	target string
	t      testing.TB

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
	marker []byte // armed by CutAtCommitAfter
	cuts   int
}

// NewProxy listens on a free port below the ephemeral range and forwards
// to target (host:port).
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	p := &Proxy{Addr: FixedPort(t), target: target, t: t, conns: map[net.Conn]bool{}}
	p.Up()
	t.Cleanup(p.Down)
	return p
}

// ProxiedURL is dbURL with its host replaced by the proxy's address.
func (p *Proxy) ProxiedURL(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		p.t.Fatal(err)
	}
	u.Host = p.Addr
	return u.String()
}

// Up accepts connections (again).
func (p *Proxy) Up() {
	p.t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the old socket may linger for a moment
		if ln, err = net.Listen("tcp", p.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy: listen again: %v", err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go p.accept(ln)
}

// Down closes the listener and every connection: new ones are refused.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// CutAtCommitAfter arms the proxy: the next connection that sends marker
// and then COMMIT has the COMMIT delivered and is then closed before
// PostgreSQL's answer reaches the app. The marker should be a value the
// transaction sends (a parameter): SQL text is sent only the first time a
// connection prepares a statement.
func (p *Proxy) CutAtCommitAfter(marker string) {
	p.mu.Lock()
	p.marker = []byte(marker)
	p.mu.Unlock()
}

// Cuts counts the connections CutAtCommitAfter dropped.
func (p *Proxy) Cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cuts
}

func (p *Proxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		go func() { _, _ = io.Copy(c, s); c.Close(); s.Close() }()
		go p.forward(c, s)
	}
}

var commitMessage = []byte("commit\x00")

// forward copies the app's messages to PostgreSQL, watching for the armed
// marker and the COMMIT after it.
func (p *Proxy) forward(c, s net.Conn) {
	defer c.Close()
	defer s.Close()
	buf := make([]byte, 64<<10)
	tainted := false
	var tail []byte // the end of the previous read: a marker may span two
	for {
		n, err := c.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			p.mu.Lock()
			marker := p.marker
			p.mu.Unlock()
			if marker != nil && bytes.Contains(append(tail, chunk...), marker) {
				tainted = true
			}
			tail = append(tail[:0], chunk[max(0, len(chunk)-len(marker)):]...)
			if tainted && bytes.Contains(bytes.ToLower(chunk), commitMessage) {
				// The app loses its connection first, so no answer can
				// reach it; then PostgreSQL gets the COMMIT and saves.
				c.Close()
				_, _ = s.Write(chunk)
				p.mu.Lock()
				p.marker, p.cuts = nil, p.cuts+1
				p.mu.Unlock()
				time.Sleep(200 * time.Millisecond)
				return
			}
			if _, werr := s.Write(chunk); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
