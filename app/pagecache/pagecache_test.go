package pagecache

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// server is an Echo with the nonce middleware, one cached thread route and
// a handler the test swaps; renders counts the handler's runs.
type server struct {
	e       *echo.Echo
	cache   *Cache
	clock   *fakeClock
	mu      sync.Mutex
	handler echo.HandlerFunc
	renders int
}

func newServer(t *testing.T, maxBytes int64) *server {
	t.Helper()
	s := &server{e: echo.New(), clock: &fakeClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}}
	s.cache = New(nil, Options{MaxBytes: maxBytes, TTL: 10 * time.Second, Now: s.clock.Now})
	s.cache.setEnabled(true) // as when listening
	s.handler = func(c echo.Context) error {
		return c.HTML(http.StatusOK, `<script nonce="`+web.Nonce(c)+`"></script><p>thread `+c.Param("id")+`</p>`)
	}
	s.e.Use(web.SecurityHeaders(false, nil), web.CSRF([]byte("0123456789abcdef0123456789abcdef")))
	s.e.GET("/t/:id", func(c echo.Context) error {
		s.mu.Lock()
		s.renders++
		h := s.handler
		s.mu.Unlock()
		return h(c)
	}, s.cache.Page(Thread, web.Cookies{}))
	return s
}

func (s *server) get(path string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

func (s *server) setHandler(h echo.HandlerFunc) {
	s.mu.Lock()
	s.handler = h
	s.mu.Unlock()
}

// Answers that must not be shared are sent as rendered and never kept.
func TestUnshareableAnswersAreNotKept(t *testing.T) {
	cases := map[string]echo.HandlerFunc{
		"sets a cookie": func(c echo.Context) error {
			c.SetCookie(&http.Cookie{Name: "x", Value: "y"})
			return c.HTML(http.StatusOK, "<p>hi</p>")
		},
		"no-store": func(c echo.Context) error {
			c.Response().Header().Set("Cache-Control", "private, no-store")
			return c.HTML(http.StatusOK, "<p>hi</p>")
		},
		"a CSRF token": func(c echo.Context) error {
			return c.HTML(http.StatusOK, `<input name="csrf_token" value="`+web.CSRFToken(c)+`">`)
		},
		"noindex": func(c echo.Context) error {
			return c.HTML(http.StatusOK, `<meta name="robots" content="noindex"><p>hi</p>`)
		},
		"not found": func(c echo.Context) error { return c.HTML(http.StatusNotFound, "<p>gone</p>") },
		"an error":  func(c echo.Context) error { return echo.ErrInternalServerError },
		"varies with the language": func(c echo.Context) error {
			c.Response().Header().Add("Vary", "Accept-Language")
			return c.HTML(http.StatusOK, "<p>hi</p>")
		},
		"not a page": func(c echo.Context) error { return c.Blob(http.StatusOK, "image/png", []byte("png")) },
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, 1<<20)
			s.setHandler(h)
			first := s.get("/t/1")
			if first.Header().Get("ETag") != "" || first.Header().Get("Cache-Control") == CacheControl {
				t.Errorf("cache headers on an answer not kept: %v", first.Header())
			}
			s.get("/t/1")
			if s.renders != 2 {
				t.Errorf("%d renders for two requests, want 2", s.renders)
			}
			if st := s.cache.Stats(); st.Entries != 0 {
				t.Errorf("%d entries kept", st.Entries)
			}
		})
	}
}

// Requests with a session, a flash message or a token are rendered for
// themselves, and do not fill the cache either.
func TestPersonalRequestsBypass(t *testing.T) {
	s := newServer(t, 1<<20)
	for _, hdr := range [][]string{{"Cookie", "kindred_session=abc"}, {"Cookie", "kindred_flash=Saved"}, {"Authorization", "Bearer t"}} {
		s.get("/t/1", hdr...)
		s.get("/t/1", hdr...)
	}
	if s.renders != 6 || s.cache.Stats().Entries != 0 {
		t.Fatalf("%d renders, %d entries; want 6 and 0", s.renders, s.cache.Stats().Entries)
	}
	if r := s.get("/t/1"); r.Header().Get(Header) != "miss" {
		t.Fatalf("a visitor after them: %q, want miss", r.Header().Get(Header))
	}
}

// A render that overlaps a change is sent but not kept: it may show the
// rows from before the change, whose notification already arrived.
func TestRenderOverlappingAChangeIsNotKept(t *testing.T) {
	s := newServer(t, 1<<20)
	s.setHandler(func(c echo.Context) error {
		s.cache.Invalidate("t1") // the change lands while the page renders
		return c.HTML(http.StatusOK, "<p>old rows</p>")
	})
	if r := s.get("/t/1"); r.Code != http.StatusOK || r.Header().Get(Header) != "bypass" {
		t.Fatalf("%d %q", r.Code, r.Header().Get(Header))
	}
	if s.cache.Stats().Entries != 0 {
		t.Fatal("a render that overlapped a change was kept")
	}
}

// "t<id>" drops that thread's pages (and lists), not other threads'; "*"
// drops all; the TTL ends an entry; while not listening nothing is kept.
func TestInvalidationAndExpiry(t *testing.T) {
	s := newServer(t, 1<<20)
	hit := func(path string) bool { return s.get(path).Header().Get(Header) == "hit" }
	s.get("/t/1")
	s.get("/t/2")
	s.get("/t/2?before=9&utm=x")
	if !hit("/t/1") || !hit("/t/2") || !hit("/t/2?before=9") {
		t.Fatal("pages not kept")
	}
	s.cache.Invalidate("t2")
	if !hit("/t/1") || hit("/t/2") || hit("/t/2?before=9") {
		t.Fatal("t2 did not drop exactly thread 2's pages")
	}
	s.cache.Invalidate("*")
	if hit("/t/1") {
		t.Fatal("* kept a page")
	}
	s.clock.Advance(11 * time.Second)
	if hit("/t/1") {
		t.Fatal("a page outlived its TTL")
	}
	s.cache.setEnabled(false)
	if r := s.get("/t/1"); r.Header().Get(Header) != "bypass" || s.cache.Stats().Entries != 0 {
		t.Fatalf("not listening: %q, %d entries", r.Header().Get(Header), s.cache.Stats().Entries)
	}
}

// Memory is bounded: the least recently used pages go first, and the
// parameters that change nothing add no entries.
func TestCacheIsBoundedByBytes(t *testing.T) {
	body := strings.Repeat("x", 1000)
	s := newServer(t, 16<<10)
	s.setHandler(func(c echo.Context) error { return c.HTML(http.StatusOK, body) })
	for i := 1; i <= 100; i++ {
		s.get("/t/" + strconv.Itoa(i))
		s.get("/t/1?junk=" + strconv.Itoa(i))
	}
	st := s.cache.Stats()
	if st.Bytes > 16<<10 || st.Entries > 16 || st.Entries == 0 {
		t.Fatalf("%d entries, %d bytes for a 16 KiB cache", st.Entries, st.Bytes)
	}
	if s.get("/t/1").Header().Get(Header) != "hit" {
		t.Fatal("the most used page was evicted")
	}
	if s.get("/t/2").Header().Get(Header) == "hit" {
		t.Fatal("the least recently used page was kept")
	}
}

// BenchmarkCachedThreadPage is a visitor's thread page served from the
// cache, in process (a 40 KB page, about a 20-post thread).
func BenchmarkCachedThreadPage(b *testing.B) {
	body := `<script nonce="NONCE"></script>` + strings.Repeat("<li>a post of about two hundred bytes, as Kindred renders them with its author and date and reactions and links……</li>", 300)
	e := echo.New()
	c := New(nil, Options{MaxBytes: 64 << 20, TTL: time.Hour})
	c.setEnabled(true)
	e.Use(web.SecurityHeaders(false, nil))
	e.GET("/t/:id", func(ec echo.Context) error {
		return ec.HTML(http.StatusOK, strings.ReplaceAll(body, "NONCE", web.Nonce(ec)))
	}, c.Page(Thread, web.Cookies{}))
	req := httptest.NewRequest(http.MethodGet, "/t/1", nil)
	e.ServeHTTP(httptest.NewRecorder(), req)
	b.ReportAllocs()
	b.ResetTimer()
	w := &discard{h: http.Header{}}
	for i := 0; i < b.N; i++ {
		clear(w.h)
		e.ServeHTTP(w, req)
		if w.h.Get(Header) != "hit" {
			b.Fatal("not a hit")
		}
	}
}

// discard is a ResponseWriter that keeps headers only, as a socket would
// take the bytes.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
