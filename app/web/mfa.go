package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/models"
)

// PendingSignIn is the user and session of a browser half-way through
// signing in: the password (or provider) was right and the second factor
// is still to come. Such a browser is a visitor everywhere else.
func PendingSignIn(c echo.Context) (*models.User, *models.Session) {
	u, _ := c.Get(ctxPendingUser).(*models.User)
	s, _ := c.Get(ctxPendingSession).(*models.Session)
	if u == nil || s == nil {
		return nil, nil
	}
	return u, s
}

// ErrMFARequired is the API's answer to someone whose role needs a second
// factor they have not set up.
var ErrMFARequired = &models.ForbiddenError{Code: "mfa_required",
	Message: "Your role needs a second way to confirm it is you (an authenticator app). Set one up at /account/security first."}

// ErrReauthRequired is the API's answer to a sensitive action: these are
// done in the browser, after confirming it is you (sudo mode).
var ErrReauthRequired = &models.ForbiddenError{Code: "reauth_required",
	Message: "This action needs you to confirm it is you, which is done in the browser: please use the website."}

// MFASetupPath is the page where a second factor is set up.
const MFASetupPath = "/account/security"

// RequireMFA guards staff pages and API endpoints: someone whose role
// requires a second factor (models.Actor.MFARequired) and has none is sent
// to set one up (pages) or refused with 403 mfa_required (API). Members
// without such a role pass: the handler decides what they may do. optional
// switches the rule off; only tests set it (server.Deps), no setting does.
func RequireMFA(optional bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if optional {
			return next
		}
		return func(c echo.Context) error {
			a := Actor(c)
			if !a.MFARequired() || a.MFA {
				return next(c)
			}
			if WantsJSON(c) {
				return ErrMFARequired
			}
			if cookies, ok := CookiesOf(c); ok {
				cookies.SetFlash(c, "Your role needs a second way to confirm it is you. Please set up an authenticator app to continue.")
			}
			return Redirect(c, MFASetupPath+"?next="+url.QueryEscape(nextAfter(c)))
		}
	}
}

// Freshness says whether a session's owner proved who they are recently
// enough for a sensitive action (10 minutes), and checks a second-factor
// code sent with an API request; auth implements it.
type Freshness interface {
	Fresh(s *models.Session) bool
	// CheckCode is false for a wrong, used or replayed code; the error is
	// for anything else (a rate limit among them).
	CheckCode(ctx context.Context, u *models.User, code string) (bool, error)
}

// CodeHeader carries a current second-factor code (authenticator app or
// recovery code) with an API request that needs sudo mode.
const CodeHeader = "X-Kindred-Code"

// RequireRecentAuth is sudo mode: the action behind it runs only when the
// browser session's owner proved who they are (password, provider or
// second factor) within the last ten minutes. Pages are sent to /reauth and
// come back (to the page itself for a GET, to the page the form was on
// for a POST); API requests, which have no session to refresh, get 403
// reauth_required, unless they carry a right second-factor code in the
// X-Kindred-Code header (accounts without a second factor do these in the
// browser). Use it on a route:
//
//	acct.POST("/delete", h.Delete, web.RequireRecentAuth(a.Auth))
func RequireRecentAuth(f Freshness) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return RequireUser(func(c echo.Context) error {
			s := CurrentSession(c)
			if s != nil && f.Fresh(s) {
				return next(c)
			}
			if s == nil {
				code := c.Request().Header.Get(CodeHeader)
				if code == "" {
					return ErrReauthRequired
				}
				ok, err := f.CheckCode(c.Request().Context(), CurrentUser(c), code)
				if err != nil {
					return err
				}
				if !ok {
					return ErrReauthRequired
				}
				return next(c)
			}
			if WantsJSON(c) {
				return ErrReauthRequired
			}
			return Redirect(c, "/reauth?next="+url.QueryEscape(nextAfter(c)))
		})
	}
}

// nextAfter is where to come back to: the page itself for a GET, the
// same-site page a form was posted from otherwise.
func nextAfter(c echo.Context) string {
	r := c.Request()
	if r.Method == http.MethodGet {
		return SafeNext(r.URL.RequestURI())
	}
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		return SafeNext(ref.RequestURI())
	}
	return "/"
}
