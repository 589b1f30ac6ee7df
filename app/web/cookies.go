package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
)

// Cookies names and sets Kindred's cookies. Under TLS they are Secure and
// carry the __Host- prefix, which pins them to this host and path /.
type Cookies struct {
	Secure bool
}

// Name returns the cookie name for base, with __Host- under TLS.
func (k Cookies) Name(base string) string {
	if k.Secure {
		return "__Host-" + base
	}
	return base
}

// Set writes an HttpOnly, SameSite=Lax cookie. maxAge 0 makes a browser-session cookie.
func (k Cookies) Set(c echo.Context, base, value string, maxAge time.Duration) {
	ck := &http.Cookie{
		Name:     k.Name(base),
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   k.Secure,
		SameSite: http.SameSiteLaxMode,
	}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge / time.Second)
		ck.Expires = time.Now().Add(maxAge)
	}
	c.SetCookie(ck)
}

// Clear deletes a cookie.
func (k Cookies) Clear(c echo.Context, base string) {
	c.SetCookie(&http.Cookie{Name: k.Name(base), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: k.Secure, SameSite: http.SameSiteLaxMode})
}

// Get reads a cookie value, or "".
func (k Cookies) Get(c echo.Context, base string) string {
	ck, err := c.Cookie(k.Name(base))
	if err != nil {
		return ""
	}
	return ck.Value
}

const flashCookie = "kindred_flash"

// SetFlash stores a one-time message shown on the next page.
func (k Cookies) SetFlash(c echo.Context, msg string) {
	k.Set(c, flashCookie, url.QueryEscape(msg), 5*time.Minute)
}

// TakeFlash reads and clears the one-time message.
func (k Cookies) TakeFlash(c echo.Context) string {
	v := k.Get(c, flashCookie)
	if v == "" {
		return ""
	}
	k.Clear(c, flashCookie)
	msg, err := url.QueryUnescape(v)
	if err != nil || len(msg) > 300 {
		return ""
	}
	return msg
}
