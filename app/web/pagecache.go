package web

import (
	"github.com/labstack/echo/v4"
)

// Visitor reports whether a request carries no sign of a person: no
// session cookie (signed in or half signed in), no one-time message to
// show, no Authorization header. Only such requests may be answered with
// bytes rendered for someone else (app/pagecache).
func (k Cookies) Visitor(c echo.Context) bool {
	return k.Get(c, SessionCookie) == "" && k.Get(c, flashCookie) == "" &&
		c.Request().Header.Get(echo.HeaderAuthorization) == ""
}

// CSRFIssued reports whether this response computed a CSRF token: the page
// holds a form bound to this browser, so its bytes must not be shared.
func CSRFIssued(c echo.Context) bool {
	s, _ := c.Get(ctxCSRF).(string)
	return s != ""
}
