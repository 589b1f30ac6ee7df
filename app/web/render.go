package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/models"
)

// Page is the data every HTML page gets; Data holds the page's own part.
type Page struct {
	Title     string
	SiteName  string
	User      *models.User
	ctx       echo.Context
	Nonce     string
	Flash     string
	Noindex   bool
	Path      string
	Form      Form
	Data      any
	Status    int
	Providers []Provider
	Unread    int64
	Appeals   int64 // waiting appeals, for staff
	now       func() time.Time
	Assets    *Assets
	On        NavFlags

	// Announcements (notices.go), found when the layout first asks.
	noticeSource NoticeSource
	notices      Notices
	noticesDone  bool
}

// CSRF is the form token; pages without forms never compute it (and never
// give a visitor a cookie).
func (p *Page) CSRF() string { return CSRFToken(p.ctx) }

// Moderates: the header links to moderation for staff and for anyone who
// moderates at least one forum (the request's Actor, loaded once: no
// query of its own).
func (p *Page) Moderates() bool { return p.ctx != nil && Actor(p.ctx).IsModerator() }

// Assets are the cacheable URLs of the layout's files, computed once.
type Assets struct {
	CSS, JS, Icon string
}

// NavFlags mark the current section in the header (aria-current).
type NavFlags struct {
	Home, Latest, Search, MyForums, Questions, Messages, Notifications, Bookmarks, Account, Admin, Review, Moderation, SignIn, SignUp bool
}

func navFlags(path string) NavFlags {
	var n NavFlags
	switch path {
	case "/":
		n.Home = true
	case "/latest":
		n.Latest = true
	case "/search":
		n.Search = true
	case "/my/forums":
		n.MyForums = true
	case "/questions":
		n.Questions = true
	case "/messages":
		n.Messages = true
	case "/notifications":
		n.Notifications = true
	case "/bookmarks":
		n.Bookmarks = true
	case "/account":
		n.Account = true
	case "/admin/forums":
		n.Admin = true
	case "/review/credentials":
		n.Review = true
	case "/moderation":
		n.Moderation = true
	case "/signin":
		n.SignIn = true
	case "/signup":
		n.SignUp = true
	}
	return n
}

// Provider is an external sign-in option shown on the sign-in page.
type Provider struct {
	Key   string
	Label string
	Href  string // where its button leads (keeps the page to return to)
}

// Form keeps what the user typed and what was wrong with it.
type Form struct {
	Values  map[string]string
	Errors  map[string]string
	Message string
}

// Value returns the submitted value of a field.
func (f Form) Value(name string) string { return f.Values[name] }

// Error returns the message for a field, or "".
func (f Form) Error(name string) string { return f.Errors[name] }

// Keep puts back what the user typed (when values is not nil) and, when err
// is a validation error, what was wrong with it, so a refused form comes
// back filled in with its field errors.
func (f *Form) Keep(values map[string]string, err error) {
	if values != nil {
		f.Values = values
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		f.Errors, f.Message = ve.Fields, ve.Message
	}
}

// bufPool reuses page buffers: pages are tens of kilobytes, and growing a
// fresh buffer for each one was the largest allocation per request.
var bufPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 64<<10)) }}

// Renderer holds every page template. The layouts and partials are
// parsed at start-up; each page is parsed into its own copy of them when
// first rendered or by ParseAll, which `kindred serve` runs once it
// listens (so a start does not wait for a hundred clones) and which the
// tests run: a broken page stops the app, a missing one stops New.
type Renderer struct {
	base     *template.Template
	tfs      fs.FS
	baseMu   sync.Mutex // Clone of base, one at a time
	pages    map[string]*pageTemplate
	static   *Static
	assets   *Assets
	cookies  Cookies
	siteName string
	now      func() time.Time // the clock relative times are read against
	notices  NoticeSource     // announcements (nil: none)
}

// SetClock sets the clock pages read "3 hours ago" against (tests use a
// fake one).
func (r *Renderer) SetClock(now func() time.Time) { r.now = now }

// NewRenderer parses layouts/ and partials/ into a base set and each file
// under pages/ and errors/ into its own clone of it, named by its path.
func NewRenderer(tfs fs.FS, static *Static, cookies Cookies) (*Renderer, error) {
	funcs := template.FuncMap{
		"static":    static.URL,
		"device":    DeviceName,
		"dec":       func(n int64) int64 { return n - 1 },
		"join":      strings.Join,
		"hasPrefix": strings.HasPrefix,
		// unixDate shows a day from unix seconds: "2 Jan 2026" (UTC).
		"unixDate": func(sec int64) string { return time.Unix(sec, 0).UTC().Format("2 Jan 2006") },
		// sanitized marks HTML that app/markdown produced (goldmark, then
		// bluemonday). Never use it on anything else.
		"sanitized": func(s string) template.HTML { return template.HTML(s) },
		// formerMember: an erased account's tombstone, shown as "a former member".
		"formerMember": models.IsFormerMember,
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"deref": func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		},
		"list": func(xs ...string) []string { return xs },
		// highlighted marks search snippets that app/search escaped, with
		// only <mark> tags added. Never use it on anything else.
		"highlighted": func(s string) template.HTML { return template.HTML(s) },
		"datePtrISO": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"deref64": func(n *int64) int64 {
			if n == nil {
				return 0
			}
			return *n
		},
	}
	base := template.New("base").Funcs(funcs)
	for _, pattern := range []string{"layouts/*.html", "partials/*.html"} {
		matches, _ := fs.Glob(tfs, pattern)
		if len(matches) == 0 {
			continue
		}
		if _, err := base.ParseFS(tfs, pattern); err != nil {
			return nil, fmt.Errorf("web: templates %s: %w", pattern, err)
		}
	}
	r := &Renderer{base: base, tfs: tfs, pages: map[string]*pageTemplate{}, static: static, cookies: cookies, siteName: "Kindred",
		assets: &Assets{CSS: static.URL("css/app.css"), JS: static.URL("js/app.js"), Icon: static.URL("img/favicon.svg")}}
	err := fs.WalkDir(tfs, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".html" {
			return err
		}
		if strings.HasPrefix(p, "pages/") || strings.HasPrefix(p, "errors/") {
			r.pages[p] = &pageTemplate{}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// pageTemplate is one page, parsed once.
type pageTemplate struct {
	once sync.Once
	t    *template.Template
	err  error
}

// page returns the parsed template of a page.
func (r *Renderer) page(name string) (*template.Template, error) {
	pt, ok := r.pages[name]
	if !ok {
		return nil, fmt.Errorf("web: no template %q", name)
	}
	pt.once.Do(func() { pt.t, pt.err = r.parse(name) })
	return pt.t, pt.err
}

// parse parses a page into its own copy of the base set.
func (r *Renderer) parse(name string) (*template.Template, error) {
	r.baseMu.Lock()
	t, err := r.base.Clone()
	r.baseMu.Unlock()
	if err == nil {
		_, err = t.ParseFS(r.tfs, name)
	}
	if err != nil {
		return nil, fmt.Errorf("web: template %s: %w", name, err)
	}
	return t, nil
}

// ParseAll checks that every page parses and returns the first error. A
// page is kept only once it is served: each holds its own copy of the
// layouts and partials, some 150 KB, and keeping all hundred of them was a
// third of what a serving Kindred keeps live (the collector walks it all
// on every cycle) for pages most instances show rarely.
func (r *Renderer) ParseAll() error {
	names := make([]string, 0, len(r.pages))
	for name := range r.pages {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := r.parse(name); err != nil {
			return err
		}
	}
	return nil
}

// Has reports whether a page template exists (used by start-up checks).
func (r *Renderer) Has(name string) bool { _, ok := r.pages[name]; return ok }

// NewPage fills the base data from the request.
func (r *Renderer) NewPage(c echo.Context, title string) *Page {
	return &Page{
		now:      r.now,
		Title:    title,
		SiteName: r.siteName,
		User:     CurrentUser(c),
		ctx:      c,
		Nonce:    Nonce(c),
		Flash:    r.cookies.TakeFlash(c),
		Path:     c.Request().URL.Path,
		Unread:   UnreadCount(c),
		Appeals:  AppealsCount(c),
		Assets:   r.assets,
		On:       navFlags(c.Request().URL.Path),
		Form:     Form{Values: map[string]string{}, Errors: map[string]string{}},

		noticeSource: r.notices,
	}
}

// Render writes a page with a status code.
func (r *Renderer) Render(c echo.Context, status int, name string, p *Page) error {
	t, err := r.page(name)
	if err != nil {
		return err
	}
	p.Status = status
	buf := bufPool.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 { // let the odd huge page go
			buf.Reset()
			bufPool.Put(buf)
		}
	}()
	if err := t.ExecuteTemplate(buf, "layout", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	h := c.Response().Header()
	if p.Noindex {
		h.Set("X-Robots-Tag", "noindex")
	}
	// A known length lets net/http send the page in one piece instead of
	// chunks (the gzip middleware drops it when it compresses).
	h.Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	return c.HTMLBlob(status, buf.Bytes())
}

// RenderForm re-shows a form with the user's input and the errors of err
// (a *models.ValidationError), status 422.
func (r *Renderer) RenderForm(c echo.Context, name string, p *Page, values map[string]string, verr *models.ValidationError) error {
	p.Form.Values = values
	p.Form.Errors = verr.Fields
	p.Form.Message = verr.Message
	return r.Render(c, http.StatusUnprocessableEntity, name, p)
}
