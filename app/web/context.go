// Package web is Kindred's shared HTTP kit: rendering, page data, the error
// handler, and the middleware for sessions, CSRF, roles and headers.
package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/models"
)

const (
	ctxUser    = "kindred.user"
	ctxSession = "kindred.session"
	ctxToken   = "kindred.apitoken"
	ctxCSRF    = "kindred.csrf"
	ctxNonce   = "kindred.nonce"
	ctxBrowser = "kindred.browser"
	ctxCookies = "kindred.cookies"
	ctxSecret  = "kindred.csrfsecret"
	ctxUnread  = "kindred.unread"
	ctxFigures = "kindred.figures"
	ctxAppeals = "kindred.appeals"

	ctxPendingUser    = "kindred.pendinguser"
	ctxPendingSession = "kindred.pendingsession"
)

// UnreadCount is the signed-in user's unread notification count.
// AppealsCount is how many appeals wait (set for staff by LoadAppeals).
func AppealsCount(c echo.Context) int64 {
	n, _ := c.Get(ctxAppeals).(int64)
	return n
}

func UnreadCount(c echo.Context) int64 {
	n, _ := c.Get(ctxUnread).(int64)
	return n
}

// CurrentUser is the signed-in user, or nil.
func CurrentUser(c echo.Context) *models.User {
	u, _ := c.Get(ctxUser).(*models.User)
	return u
}

// CurrentSession is the browser session, or nil (API requests have none).
func CurrentSession(c echo.Context) *models.Session {
	s, _ := c.Get(ctxSession).(*models.Session)
	return s
}

// CurrentAPIToken is the bearer token of an API request, or nil.
func CurrentAPIToken(c echo.Context) *models.APIToken {
	t, _ := c.Get(ctxToken).(*models.APIToken)
	return t
}

// CookiesOf is the request's cookie settings (set by LoadSession).
func CookiesOf(c echo.Context) (Cookies, bool) {
	k, ok := c.Get(ctxCookies).(Cookies)
	return k, ok
}

// BrowserID is the random per-browser value that binds CSRF tokens of
// signed-out visitors and OAuth attempts to one browser. It is made (and
// its cookie set) only when first needed, so a visitor who only reads gets
// no cookie at all.
func BrowserID(c echo.Context) string {
	if s, _ := c.Get(ctxBrowser).(string); s != "" {
		return s
	}
	b := RandomToken(32)
	if cookies, ok := c.Get(ctxCookies).(Cookies); ok {
		cookies.Set(c, browserCookie, b, 0)
	}
	c.Set(ctxBrowser, b)
	return b
}

// CSRFToken is the token forms must send back as csrf_token: an HMAC of the
// session (or, signed out, of the browser id) under the server's secret.
// It is computed on first use.
func CSRFToken(c echo.Context) string {
	if s, _ := c.Get(ctxCSRF).(string); s != "" {
		return s
	}
	secret, _ := c.Get(ctxSecret).([]byte)
	if secret == nil {
		return ""
	}
	binding := ""
	if s := CurrentSession(c); s != nil {
		binding = "s:" + hex.EncodeToString(s.TokenHash)
	} else {
		binding = "b:" + BrowserID(c)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("csrf\x00" + binding))
	tok := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	c.Set(ctxCSRF, tok)
	return tok
}

// Nonce is this response's CSP nonce.
func Nonce(c echo.Context) string {
	s, _ := c.Get(ctxNonce).(string)
	return s
}

// WantsJSON decides the error format: the API, or a client that asks for JSON.
func WantsJSON(c echo.Context) bool {
	r := c.Request()
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return true
	}
	accept := r.Header.Get(echo.HeaderAccept)
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// SafeNext returns a local path to go to after sign-in, or "/".
func SafeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	// A fragment ("#sign-in") only scrolls the page: it is kept.
	if u.Fragment != "" {
		return u.RequestURI() + "#" + u.EscapedFragment()
	}
	return u.RequestURI()
}

// Redirect sends a 303 See Other, the Post/Redirect/Get answer.
func Redirect(c echo.Context, to string) error {
	return c.Redirect(http.StatusSeeOther, to)
}

// Preloaded returns a per-member figure loaded with the session (see
// auth.Service.SetSessionFigures), if it was: the signed-in user's, for
// this request only. A caller that gets false asks its own service.
func Preloaded(c echo.Context, name string) (int64, bool) {
	f, ok := c.Get(ctxFigures).(preloaded)
	if !ok || f.user == nil || f.user != CurrentUser(c) {
		return 0, false
	}
	n, ok := f.figures[name]
	return n, ok
}

// preloaded are the figures of the user they were loaded for.
type preloaded struct {
	user    *models.User
	figures map[string]int64
}
