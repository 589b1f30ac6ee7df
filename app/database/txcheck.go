package database

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
)

// txGoroutines counts, per goroutine, the InTx calls it is inside
// (Options.CheckTxConns).
type txGoroutines struct {
	mu  sync.Mutex
	ids map[uint64]int
}

func (g *txGoroutines) add(id uint64) {
	g.mu.Lock()
	g.ids[id]++
	g.mu.Unlock()
}

func (g *txGoroutines) remove(id uint64) {
	g.mu.Lock()
	if g.ids[id]--; g.ids[id] <= 0 {
		delete(g.ids, id)
	}
	g.mu.Unlock()
}

func (g *txGoroutines) has(id uint64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ids[id] > 0
}

// goroutineID reads the current goroutine's number from the first line of
// its stack ("goroutine 123 [running]:"). Go offers no other way; it is
// only used with CheckTxConns, in tests.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
