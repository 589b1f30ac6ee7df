// Package storage keeps uploaded files (clinicians' proof documents today)
// outside the database: on local disk for one machine, or in S3-compatible
// object storage so that any number of instances can serve them.
//
// Both stores take keys made by NewKey (never a name a browser sent),
// stream content in and out, refuse content over their size limit and
// never leave half an object behind. Their shared behaviour is one
// contract test (contract_test.go) run against each.
package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

// Store is what every backend offers.
type Store interface {
	// Put stores exactly size bytes read from r under key, replacing any
	// object there. More or fewer bytes than size, or a size over the
	// store's limit, store nothing.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Open returns the object for reading (ErrNotFound when missing); the
	// caller closes it.
	Open(ctx context.Context, key string) (*Object, error)
	// Delete removes an object; a missing one is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn with every key in the store, in no set order.
	List(ctx context.Context, fn func(key string) error) error
}

// Object is an open stored object.
type Object struct {
	io.ReadCloser
	Size int64
}

var (
	// ErrNotFound: no object under that key.
	ErrNotFound = errors.New("storage: not found")
	// ErrTooLarge: the content is over the store's size limit.
	ErrTooLarge = errors.New("storage: content over the size limit")
	// ErrSizeMismatch: the reader gave more or fewer bytes than announced.
	ErrSizeMismatch = errors.New("storage: content length differs from its announced size")
	// ErrUnavailable wraps failures to reach the store (time-outs, refused
	// connections, server errors): worth retrying later.
	ErrUnavailable = errors.New("storage: store unavailable")
	// ErrBadKey: a key NewKey could not have made.
	ErrBadKey = errors.New("storage: invalid key")
)

var keyPattern = regexp.MustCompile(`^[0-9a-z][0-9a-z_-]{0,127}$`)

// ValidKey reports whether key is safe as a file name and an object name:
// lower-case letters, digits, '-' and '_', no dots or slashes.
func ValidKey(key string) bool { return keyPattern.MatchString(key) }

// NewKey returns a new random key: 32 hex digits (128 bits).
func NewKey() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func checkPut(key string, size, max int64) error {
	switch {
	case !ValidKey(key):
		return ErrBadKey
	case size < 0:
		return fmt.Errorf("%w: negative size", ErrSizeMismatch)
	case max > 0 && size > max:
		return ErrTooLarge
	}
	return nil
}

// exactReader yields exactly size bytes of r and fails otherwise. Before
// it hands over the last bytes it makes sure r has nothing more, so a body
// that is too long never reaches its end: an upload of it is cut short and
// the store keeps nothing.
type exactReader struct {
	r    io.Reader
	left int64
	err  error
}

func newExactReader(r io.Reader, size int64) *exactReader { return &exactReader{r: r, left: size} }

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.left == 0 {
		if e.err = e.probeEnd(); e.err == nil {
			e.err = io.EOF
		}
		return 0, e.err
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	switch {
	case err == io.EOF && e.left > 0:
		e.err = fmt.Errorf("%w: %d bytes missing", ErrSizeMismatch, e.left)
		return 0, e.err
	case err != nil && err != io.EOF:
		e.err = err
		return n, err
	case e.left == 0:
		if e.err = e.probeEnd(); e.err != nil {
			return 0, e.err
		}
		e.err = io.EOF
		return n, nil
	}
	return n, nil
}

func (e *exactReader) probeEnd() error {
	var one [1]byte
	n, err := io.ReadFull(e.r, one[:])
	switch {
	case n > 0:
		return fmt.Errorf("%w: more bytes than announced", ErrSizeMismatch)
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return nil
	default:
		return err
	}
}

// watchdog cancels an operation that makes no progress for a while: a
// hung store must not hold a request forever, yet a large transfer that
// keeps moving is not cut short by a fixed deadline.
type watchdog struct {
	mu      sync.Mutex
	timer   *time.Timer
	d       time.Duration
	stopped bool
	fired   atomic.Bool
}

func newWatchdog(d time.Duration, cancel context.CancelFunc) *watchdog {
	w := &watchdog{d: d}
	w.timer = time.AfterFunc(d, func() { w.fired.Store(true); cancel() })
	return w
}

// Fired reports whether the watchdog cancelled the operation.
func (w *watchdog) Fired() bool { return w.fired.Load() }

// arm (re)starts the countdown.
func (w *watchdog) arm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.timer.Reset(w.d)
	}
}

// pause stops the countdown until the next arm.
func (w *watchdog) pause() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer.Stop()
}

// stop ends it for good.
func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.timer.Stop()
}

// progressReader re-arms a watchdog after every read: the upload stalls
// only when the store stops taking bytes (or stops answering after them).
type progressReader struct {
	r  io.Reader
	wd *watchdog
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.wd.arm()
	return n, err
}

// guardedBody times each read of a download: time spent between reads
// (writing to a slow viewer) does not count, a read that hangs does.
type guardedBody struct {
	rc     io.ReadCloser
	wd     *watchdog
	cancel context.CancelFunc
}

func (g *guardedBody) Read(b []byte) (int, error) {
	g.wd.arm()
	n, err := g.rc.Read(b)
	g.wd.pause()
	if err != nil && err != io.EOF && g.wd.Fired() {
		err = fmt.Errorf("%w: read stalled: %w", ErrUnavailable, err)
	}
	return n, err
}

func (g *guardedBody) Close() error {
	g.wd.stop()
	err := g.rc.Close()
	g.cancel()
	return err
}
