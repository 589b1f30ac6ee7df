// Package pagecache keeps the rendered bytes of public pages (home, forum,
// thread) for visitors, so that a thread shared widely is rendered once
// per change instead of once per visitor.
//
// Rules, each checked on every request or response:
//   - Only visitors are answered from it or cause a page to be kept: no
//     session or flash cookie, no Authorization header (web.Cookies.Visitor).
//   - Only a 200 is kept, and only when the response sets no cookie, says
//     nothing against storing (no-store, private, no-cache), varies only
//     with Cookie, Authorization or Accept-Encoding, computed no CSRF token
//     (a form bound to one browser) and is not marked noindex (sensitive and
//     clinician-only forums, which visitors cannot read anyway).
//   - The CSP nonce is never replayed: kept bytes are split around the
//     nonce the page was rendered with, and each answer puts in its own.
//   - Writes that change pages reach every instance through PostgreSQL
//     (channel kindred_pages, migration 00048). While the LISTEN connection
//     is down the cache is emptied and bypassed; a render that overlapped a
//     change is not kept. A short TTL is the safety net for what changes
//     with time alone (scheduled announcements, "3 minutes ago").
package pagecache

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
)

// Channel is the PostgreSQL notification channel of page changes.
const Channel = "kindred_pages"

// CacheControl is what a visitor's cacheable page says to browsers and
// proxies: anyone may keep it, for a second (a new reply shows within
// one), then ask again with If-None-Match.
const CacheControl = "public, max-age=1"

// Header tells whether an answer came from the cache (hit), was rendered
// and kept (miss) or was rendered for this request only (bypass).
const Header = "X-Kindred-Page-Cache"

// Options size the cache.
type Options struct {
	MaxBytes int64         // all kept pages together; the least recently used go first
	TTL      time.Duration // the longest a page is kept without a change
	// Redrop repeats each invalidation after this delay (0: never), for
	// visitors' reads served by a replica that may lag behind the primary.
	Redrop time.Duration
	Now    func() time.Time
	Log    *slog.Logger
}

// Route describes one cached page: the query parameters that change it
// (any other is ignored, so links with tracking parameters share one
// entry) and, for thread pages, the path parameter holding the thread id.
type Route struct {
	Name        string
	Params      []string
	ThreadParam string
}

// The public pages Kindred caches.
var (
	Home   = Route{Name: "home"}
	Forum  = Route{Name: "forum", Params: []string{"cursor", "answered"}}
	Thread = Route{Name: "thread", Params: []string{"after", "before", "page"}, ThreadParam: "id"}
	// Their JSON counterparts, for API clients without a token.
	ForumThreadsAPI = Route{Name: "api-forum-threads", Params: []string{"cursor", "clinician_answered"}}
	ThreadAPI       = Route{Name: "api-thread", ThreadParam: "id"}
	ThreadPostsAPI  = Route{Name: "api-thread-posts", Params: []string{"after", "before"}, ThreadParam: "id"}
)

type entry struct {
	key         string
	thread      int64 // 0: a list (home, forum page)
	parts       [][]byte
	size        int64
	etag        string
	contentType string
	expires     time.Time
	replay      func(echo.Context)
}

// Cache is one instance's page cache.
type Cache struct {
	o     Options
	pool  *pgxpool.Pool
	ready chan struct{}
	once  sync.Once

	mu       sync.Mutex
	enabled  bool
	gen      uint64 // changes with every invalidation
	lru      *list.List
	byKey    map[string]*list.Element
	byThread map[int64]map[string]struct{}
	bytes    int64

	hits, misses, bypasses atomic.Int64
}

// New returns a cache that stays off until Run is listening.
func New(pool *pgxpool.Pool, o Options) *Cache {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Cache{o: o, pool: pool, ready: make(chan struct{}), lru: list.New(),
		byKey: map[string]*list.Element{}, byThread: map[int64]map[string]struct{}{}}
}

// Ready is closed once the cache first listens for changes.
func (c *Cache) Ready() <-chan struct{} { return c.ready }

// Enabled reports whether pages are being kept (the LISTEN connection is up).
func (c *Cache) Enabled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.enabled
}

// Stats are counters for operators and tests.
type Stats struct {
	Hits, Misses, Bypasses int64
	Entries                int
	Bytes                  int64
}

// Stats returns the counters so far.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Bypasses: c.bypasses.Load(), Entries: len(c.byKey), Bytes: c.bytes}
}

// Run listens for page changes until ctx ends, reconnecting after a lost
// connection; the cache is off (emptied, bypassed) while it is not
// listening, since a change may have been missed.
func (c *Cache) Run(ctx context.Context) {
	delay := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := c.listen(ctx)
		c.setEnabled(false)
		if ctx.Err() != nil {
			return
		}
		c.o.Log.WarnContext(ctx, "page cache: listening failed; pages are not cached until it is back", "error", err.Error(), "in", delay.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		if delay < 5*time.Second {
			delay *= 2
		}
	}
}

func (c *Cache) listen(ctx context.Context) error {
	pooled, err := c.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A LISTENing connection must not go back to the pool.
	conn := pooled.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	c.setEnabled(true)
	c.once.Do(func() { close(c.ready) })
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		c.Invalidate(n.Payload)
		if c.o.Redrop > 0 {
			p := n.Payload
			time.AfterFunc(c.o.Redrop, func() { c.Invalidate(p) })
		}
	}
}

// setEnabled turns the cache on or off; either way it starts empty, and
// no render begun before is kept.
func (c *Cache) setEnabled(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enabled = on
	c.gen++
	c.clearLocked()
}

func (c *Cache) clearLocked() {
	c.lru.Init()
	c.byKey = map[string]*list.Element{}
	c.byThread = map[int64]map[string]struct{}{}
	c.bytes = 0
}

// Invalidate drops what a change makes stale: "t<id>" a thread's pages and
// the lists (home, forum pages); anything else every page.
func (c *Cache) Invalidate(payload string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if id, ok := strings.CutPrefix(payload, "t"); ok {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
			c.dropThreadLocked(n)
			c.dropThreadLocked(0)
			return
		}
	}
	c.clearLocked()
}

func (c *Cache) dropThreadLocked(id int64) {
	for key := range c.byThread[id] {
		if el, ok := c.byKey[key]; ok {
			c.removeLocked(el)
		}
	}
	delete(c.byThread, id)
}

func (c *Cache) removeLocked(el *list.Element) {
	e := el.Value.(*entry)
	c.lru.Remove(el)
	delete(c.byKey, e.key)
	if set := c.byThread[e.thread]; set != nil {
		delete(set, e.key)
		if len(set) == 0 {
			delete(c.byThread, e.thread)
		}
	}
	c.bytes -= e.size
}

// get returns a live entry and the generation to store under otherwise.
func (c *Cache) get(key string) (*entry, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.enabled {
		return nil, 0, false
	}
	if el, ok := c.byKey[key]; ok {
		e := el.Value.(*entry)
		if c.o.Now().Before(e.expires) {
			c.lru.MoveToFront(el)
			return e, c.gen, true
		}
		c.removeLocked(el)
	}
	return nil, c.gen, true
}

// put keeps e unless the cache went off or something changed since gen.
func (c *Cache) put(e *entry, gen uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.enabled || c.gen != gen || e.size > c.o.MaxBytes/8 {
		return false
	}
	if el, ok := c.byKey[e.key]; ok {
		c.removeLocked(el)
	}
	e.expires = c.o.Now().Add(c.o.TTL)
	c.byKey[e.key] = c.lru.PushFront(e)
	set := c.byThread[e.thread]
	if set == nil {
		set = map[string]struct{}{}
		c.byThread[e.thread] = set
	}
	set[e.key] = struct{}{}
	c.bytes += e.size
	for c.bytes > c.o.MaxBytes {
		c.removeLocked(c.lru.Back())
	}
	return true
}

const replayKey = "kindred.pagecache.replay"

// OnHit asks that f run again whenever the page being rendered is served
// from the cache (announcements count their visitors' impressions).
func OnHit(ec echo.Context, f func(echo.Context)) { ec.Set(replayKey, f) }

// Page is the middleware of one cached route. cookies names the cookies
// that make a request personal.
func (c *Cache) Page(r Route, cookies web.Cookies) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ec echo.Context) error {
			req := ec.Request()
			if req.Method != http.MethodGet || !cookies.Visitor(ec) {
				return next(ec)
			}
			var thread int64
			if r.ThreadParam != "" {
				n, err := strconv.ParseInt(ec.Param(r.ThreadParam), 10, 64)
				if err != nil || n <= 0 {
					return next(ec)
				}
				thread = n
			}
			key := r.key(req)
			e, gen, on := c.get(key)
			if !on {
				c.bypasses.Add(1)
				ec.Response().Header().Set(Header, "bypass")
				return next(ec)
			}
			if e != nil {
				c.hits.Add(1)
				if e.replay != nil {
					e.replay(ec)
				}
				return c.serve(ec, e)
			}
			c.misses.Add(1)
			return c.render(ec, next, key, thread, gen)
		}
	}
}

// key is the route, the path and the parameters that change the page.
func (r Route) key(req *http.Request) string {
	var b strings.Builder
	b.WriteString(r.Name)
	b.WriteByte(' ')
	b.WriteString(req.URL.Path)
	if len(r.Params) > 0 && req.URL.RawQuery != "" {
		q := req.URL.Query()
		kept := url.Values{}
		for _, p := range r.Params {
			if v, ok := q[p]; ok {
				kept[p] = v
			}
		}
		if len(kept) > 0 {
			b.WriteByte('?')
			b.WriteString(kept.Encode()) // sorted by name
		}
	}
	return b.String()
}

// serve answers from e, with this response's own nonce.
func (c *Cache) serve(ec echo.Context, e *entry) error {
	h := ec.Response().Header()
	h.Set(echo.HeaderContentType, e.contentType)
	cacheHeaders(h, e.etag)
	h.Set(Header, "hit")
	if notModified(ec.Request(), e.etag) {
		return notModifiedAnswer(ec)
	}
	nonce := []byte(web.Nonce(ec))
	n := 0
	for i, p := range e.parts {
		if i > 0 {
			n += len(nonce)
		}
		n += len(p)
	}
	h.Set(echo.HeaderContentLength, strconv.Itoa(n))
	res := ec.Response()
	res.WriteHeader(http.StatusOK)
	for i, p := range e.parts {
		if i > 0 {
			if _, err := res.Write(nonce); err != nil {
				return nil // the client went away
			}
		}
		if _, err := res.Write(p); err != nil {
			return nil
		}
	}
	return nil
}

// render runs the handler with its answer held back, keeps it when it may
// be shared, and sends it.
func (c *Cache) render(ec echo.Context, next echo.HandlerFunc, key string, thread int64, gen uint64) error {
	res := ec.Response()
	rec := &recorder{w: res.Writer, limit: int(c.o.MaxBytes / 8)}
	res.Writer = rec
	err := next(ec)
	res.Writer = rec.w
	if rec.passthrough || rec.code == 0 {
		return err
	}
	if err != nil {
		rec.spill()
		return err
	}
	h := res.Header()
	body := rec.buf.Bytes()
	if !shareable(ec, h, body) {
		h.Set(Header, "bypass")
		rec.spill()
		return nil
	}
	e := &entry{key: key, thread: thread, contentType: h.Get(echo.HeaderContentType)}
	if nonce := web.Nonce(ec); nonce != "" {
		e.parts = bytes.Split(body, []byte(nonce))
	} else {
		e.parts = [][]byte{body}
	}
	sum := sha256.New()
	for _, p := range e.parts {
		e.size += int64(len(p))
		sum.Write(p)
		sum.Write([]byte{0})
	}
	e.size += int64(len(key)) + 200
	// Weak: the bytes differ from one answer to the next by the nonce.
	e.etag = `W/"` + hex.EncodeToString(sum.Sum(nil)[:16]) + `"`
	if f, ok := ec.Get(replayKey).(func(echo.Context)); ok {
		e.replay = f
	}
	if !c.put(e, gen) {
		h.Set(Header, "bypass")
		rec.spill()
		return nil
	}
	cacheHeaders(h, e.etag)
	h.Set(Header, "miss")
	if notModified(ec.Request(), e.etag) {
		// Nothing was sent yet: the held-back 200 becomes a 304.
		res.Committed, res.Status, res.Size = false, 0, 0
		return notModifiedAnswer(ec)
	}
	rec.spill()
	return nil
}

// shareable applies the rules of the package comment to a 200 answer.
func shareable(ec echo.Context, h http.Header, body []byte) bool {
	if len(h.Values("Set-Cookie")) > 0 || web.CSRFIssued(ec) {
		return false
	}
	cc := strings.ToLower(h.Get("Cache-Control"))
	if strings.Contains(cc, "no-store") || strings.Contains(cc, "private") || strings.Contains(cc, "no-cache") {
		return false
	}
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(f)) {
			case "cookie", "authorization", "accept-encoding", "":
			default:
				return false
			}
		}
	}
	ct := h.Get(echo.HeaderContentType)
	if !strings.HasPrefix(ct, echo.MIMETextHTML) && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return false
	}
	return !bytes.Contains(body, []byte(`<meta name="robots" content="noindex">`))
}

func cacheHeaders(h http.Header, etag string) {
	h.Set("ETag", etag)
	h.Set("Cache-Control", CacheControl)
	for _, v := range h.Values("Vary") {
		if strings.Contains(strings.ToLower(v), "accept-encoding") {
			return
		}
	}
	h.Add("Vary", "Accept-Encoding")
}

// notModified reports whether the request's If-None-Match names etag
// (weak comparison, as RFC 9110 asks for If-None-Match).
func notModified(req *http.Request, etag string) bool {
	inm := req.Header.Get("If-None-Match")
	if inm == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// notModifiedAnswer is a 304 without the policy header: a browser updates
// its stored headers from a 304, and a new nonce there would no longer
// match the script tag of the page it keeps.
func notModifiedAnswer(ec echo.Context) error {
	h := ec.Response().Header()
	h.Del("Content-Security-Policy")
	h.Del(echo.HeaderContentType)
	h.Del(echo.HeaderContentLength)
	return ec.NoContent(http.StatusNotModified)
}

// recorder holds back a 200 answer (up to limit bytes) so that it can be
// kept and given cache headers; anything else passes straight through.
type recorder struct {
	w           http.ResponseWriter
	code        int
	buf         bytes.Buffer
	limit       int
	passthrough bool
}

func (r *recorder) Header() http.Header { return r.w.Header() }

func (r *recorder) WriteHeader(code int) {
	if r.passthrough {
		r.w.WriteHeader(code)
		return
	}
	r.code = code
	if code != http.StatusOK {
		r.spill()
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.passthrough {
		return r.w.Write(b)
	}
	if r.code == 0 {
		r.code = http.StatusOK
	}
	if r.buf.Len()+len(b) > r.limit {
		r.spill()
		return r.w.Write(b)
	}
	return r.buf.Write(b)
}

// Flush sends what is held and stops holding.
func (r *recorder) Flush() {
	r.spill()
	if f, ok := r.w.(http.Flusher); ok {
		f.Flush()
	}
}

// spill sends what is held back and passes everything else through.
func (r *recorder) spill() {
	if r.passthrough {
		return
	}
	r.passthrough = true
	if r.code != 0 {
		r.w.WriteHeader(r.code)
	}
	if r.buf.Len() > 0 {
		_, _ = r.w.Write(r.buf.Bytes())
	}
	r.buf = bytes.Buffer{}
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.w }
