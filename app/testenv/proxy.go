package testenv

import (
	"bytes"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
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
		pr := &pair{answered: make(chan struct{})}
		go pr.back(c, s)
		go p.forward(c, s, pr)
	}
}

var commitMessage = []byte("commit\x00")

// pair is one proxied connection's state shared by its two directions.
type pair struct {
	muted    atomic.Bool   // PostgreSQL's answers are dropped, not delivered
	answered chan struct{} // closed once an answer was dropped
	once     sync.Once
}

// back copies PostgreSQL's answers to the app unless the pair is muted.
func (pr *pair) back(c, s net.Conn) {
	defer c.Close()
	defer s.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			if pr.muted.Load() {
				pr.once.Do(func() { close(pr.answered) })
			} else if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// forward copies the app's messages to PostgreSQL, watching for the armed
// marker and the COMMIT after it.
func (p *Proxy) forward(c, s net.Conn, pr *pair) {
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
				// PostgreSQL gets the COMMIT and saves, its answer is
				// dropped, and only then does the app lose its connection:
				// by the time the app answers its client, the cut is counted
				// and the transaction is visible.
				pr.muted.Store(true)
				p.mu.Lock()
				p.marker, p.cuts = nil, p.cuts+1
				p.mu.Unlock()
				if _, werr := s.Write(chunk); werr == nil {
					select {
					case <-pr.answered:
					case <-time.After(5 * time.Second):
					}
				}
				c.Close()
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
