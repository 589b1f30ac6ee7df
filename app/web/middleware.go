package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/models"
)

// RandomToken returns n random bytes, base64url-encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("web: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// SecurityHeaders sets a per-response CSP nonce and the headers that keep
// pages from being framed, sniffed or leaking their address. formTargets,
// when set, names the other origins a form may lead to through a redirect
// (sign-in providers: linking, re-authentication, logout); browsers apply
// form-action to the redirect's target too.
func SecurityHeaders(tls bool, formTargets func() string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			nonce := RandomToken(16)
			c.Set(ctxNonce, nonce)
			h := c.Response().Header()
			formAction := "'self'"
			if formTargets != nil {
				if more := formTargets(); more != "" {
					formAction += " " + more
				}
			}
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+nonce+"'; style-src 'self'; img-src 'self' data:; "+
				"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action "+formAction)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
			if tls {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			return next(c)
		}
	}
}

// NoStoreWithCredentials keeps what is answered to a request that carries
// a session cookie, a one-time message (the flash cookie: the page shows
// one person's message) or an Authorization header out of every cache (the
// browser's own and any proxy's): Cache-Control: private, no-store, set
// before the handler runs so that error pages carry it too. Every answer
// varies with vary ("Cookie" for pages, "Authorization" for the API), so
// a shared cache never hands one person's answer to another.
func NoStoreWithCredentials(cookies Cookies, vary string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Add("Vary", vary)
			if cookies.Get(c, SessionCookie) != "" || cookies.Get(c, flashCookie) != "" || c.Request().Header.Get(echo.HeaderAuthorization) != "" {
				h.Set("Cache-Control", "private, no-store")
			}
			return next(c)
		}
	}
}

// AccessLog logs one line per request: never the query string, bodies,
// cookies or tokens, since links carry secrets in their query.
func AccessLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			status := c.Response().Status
			attrs := []any{
				"method", c.Request().Method,
				"path", c.Request().URL.Path,
				"status", status,
				"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
				"bytes", c.Response().Size,
				"ip", c.RealIP(),
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID),
			}
			if u := CurrentUser(c); u != nil {
				attrs = append(attrs, "user_id", u.ID)
			}
			log.InfoContext(c.Request().Context(), "request", attrs...)
			return nil
		}
	}
}

// ActorSessionResolver is a SessionResolver that also loads, in the same
// round trip, the Actor and the per-member figures (Preloaded).
type ActorSessionResolver interface {
	// page: the request asks for a page (GET), which shows the bell.
	ResolveSessionActor(ctx context.Context, token, ip, userAgent string, page bool) (*models.User, *models.Session, *models.Actor, map[string]int64, error)
}

// ActorTokenResolver is a TokenResolver that also loads, in the same round
// trip, the Actor and the per-member figures (Preloaded).
type ActorTokenResolver interface {
	ResolveAPITokenActor(ctx context.Context, raw string) (*models.User, *models.APIToken, *models.Actor, map[string]int64, error)
}

// SessionResolver turns a session cookie into its user; auth implements it.
type SessionResolver interface {
	ResolveSession(ctx context.Context, token, ip, userAgent string) (*models.User, *models.Session, error)
}

// TokenResolver turns a bearer token into its user; auth implements it.
type TokenResolver interface {
	ResolveAPIToken(ctx context.Context, token string) (*models.User, *models.APIToken, error)
}

// SessionCookie is the base name of the session cookie.
const SessionCookie = "kindred_session"

const browserCookie = "kindred_browser"

// LoadSession attaches the signed-in user (if any) and a browser id.
func LoadSession(res SessionResolver, cookies Cookies) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if tok := cookies.Get(c, SessionCookie); tok != "" {
				var u *models.User
				var s *models.Session
				var a *models.Actor
				var figures map[string]int64
				var err error
				if full, ok := res.(ActorSessionResolver); ok {
					u, s, a, figures, err = full.ResolveSessionActor(c.Request().Context(), tok, c.RealIP(), c.Request().UserAgent(), c.Request().Method == http.MethodGet)
				} else {
					u, s, err = res.ResolveSession(c.Request().Context(), tok, c.RealIP(), c.Request().UserAgent())
				}
				if err != nil {
					return err
				}
				if u != nil && a != nil && !s.MFAPending {
					c.Set(ctxActor, *a)
					c.Set(ctxFigures, preloaded{u, figures})
				}
				switch {
				case u == nil:
					cookies.Clear(c, SessionCookie)
				case s.MFAPending:
					// Half signed in: only the second step sees it
					// (PendingSignIn); everything else sees a visitor.
					c.Set(ctxPendingUser, u)
					c.Set(ctxPendingSession, s)
				default:
					c.Set(ctxUser, u)
					c.Set(ctxSession, s)
				}
			}
			c.Set(ctxCookies, cookies)
			if b := cookies.Get(c, browserCookie); len(b) >= 32 && len(b) <= 64 {
				c.Set(ctxBrowser, b)
			}
			return next(c)
		}
	}
}

// CSRF is a synchronizer-token check: the token is an HMAC of the session
// (or, signed out, of the browser id) under the server's secret, so it
// changes at sign-in and cannot be made by another site.
func CSRF(secret []byte) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Set(ctxSecret, secret)
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			want := CSRFToken(c)
			got := c.Request().Header.Get("X-CSRF-Token")
			if got == "" {
				got = c.FormValue("csrf_token")
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				return ErrBadCSRF
			}
			return next(c)
		}
	}
}

// RequireUser sends signed-out visitors to the sign-in page (HTML) or
// answers 401 (JSON).
func RequireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if CurrentUser(c) != nil {
			return next(c)
		}
		if WantsJSON(c) || c.Request().Method != http.MethodGet {
			return ErrUnauthorized
		}
		return Redirect(c, "/signin?next="+url.QueryEscape(c.Request().URL.RequestURI()))
	}
}

// RequireRole lets through users whose role is at least role.
func RequireRole(role models.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return RequireUser(func(c echo.Context) error {
			if CurrentUser(c).Role.Rank() < role.Rank() {
				return models.ErrForbidden
			}
			return next(c)
		})
	}
}

// RequireReviewer lets through admins and members granted the reviewer
// permission (credential review).
func RequireReviewer(next echo.HandlerFunc) echo.HandlerFunc {
	return RequireUser(func(c echo.Context) error {
		if !CurrentUser(c).CanReviewCredentials() {
			return models.ErrForbidden
		}
		return next(c)
	})
}

// NotFoundForVisitors answers 404 to signed-out requests: for private
// resources, even "please sign in" would say that something is there.
func NotFoundForVisitors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if CurrentUser(c) == nil {
			return models.ErrNotFound
		}
		return next(c)
	}
}

// BearerAuth authenticates API requests by personal token only; cookies
// are ignored under /api, so API routes need no CSRF token.
func BearerAuth(res TokenResolver) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Request().Header.Get(echo.HeaderAuthorization)
			if h == "" {
				return next(c)
			}
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || tok == "" {
				return echo.NewHTTPError(http.StatusUnauthorized, "Authorization must be \"Bearer <token>\".")
			}
			var u *models.User
			var t *models.APIToken
			var a *models.Actor
			var figures map[string]int64
			var err error
			if full, ok := res.(ActorTokenResolver); ok {
				u, t, a, figures, err = full.ResolveAPITokenActor(c.Request().Context(), strings.TrimSpace(tok))
			} else {
				u, t, err = res.ResolveAPIToken(c.Request().Context(), strings.TrimSpace(tok))
			}
			if err != nil {
				return err
			}
			if u == nil {
				return echo.NewHTTPError(http.StatusUnauthorized, "That API token is not valid.")
			}
			if a != nil {
				c.Set(ctxActor, *a)
				c.Set(ctxFigures, preloaded{u, figures})
			}
			c.Set(ctxUser, u)
			c.Set(ctxToken, t)
			return next(c)
		}
	}
}

// RequireScope lets reads through (as a visitor when no token was sent) and
// asks state-changing API requests for a token with write scope.
func RequireScope(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		t := CurrentAPIToken(c)
		if t == nil {
			return ErrUnauthorized
		}
		if t.Scope != models.ScopeWrite {
			return echo.NewHTTPError(http.StatusForbidden, "This API token is read-only.")
		}
		return next(c)
	}
}

// UnreadCounter counts a user's unread notifications; notify implements it.
// AppealsCounter counts the appeals waiting; moderation implements it.
type AppealsCounter interface {
	OpenAppeals(ctx context.Context) (int64, error)
}

// LoadAppeals puts the number of waiting appeals in a staff member's
// navigation (pages only).
func LoadAppeals(counter AppealsCounter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if u := CurrentUser(c); u != nil && u.Role.IsStaff() && c.Request().Method == http.MethodGet {
				n, err := counter.OpenAppeals(c.Request().Context())
				if err != nil {
					return err
				}
				c.Set(ctxAppeals, n)
			}
			return next(c)
		}
	}
}

type UnreadCounter interface {
	Unread(ctx context.Context, userID int64) (int64, error)
}

// FigureUnread is the name under which the bell's count may come with the
// session (Preloaded; server.go registers notify.UnreadFigure under it).
const FigureUnread = "unread"

// LoadUnread puts the bell's count on every page of a signed-in user.
func LoadUnread(counter UnreadCounter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if u := CurrentUser(c); u != nil && c.Request().Method == http.MethodGet {
				n, ok := Preloaded(c, FigureUnread)
				if !ok { // not loaded with the session: ask
					var err error
					if n, err = counter.Unread(c.Request().Context(), u.ID); err != nil {
						return err
					}
				}
				c.Set(ctxUnread, n)
			}
			return next(c)
		}
	}
}

// MarkWrites calls wrote for every request that may have written, once
// its writes are done and before the client can see the answer: caches
// that follow PostgreSQL's change signals (auth's session cache) then know
// to wait for this instance's own signals before answering from memory
// again. Every request but GET, HEAD and OPTIONS counts; those count when
// they wrote through the database layer (NoteWrite: a thread page marks
// its notifications read).
func MarkWrites(wrote func()) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			switch c.Request().Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				mark := &writeMark{}
				req := c.Request()
				c.SetRequest(req.WithContext(context.WithValue(req.Context(), writeMarkKey{}, mark)))
				c.Response().Before(func() {
					if mark.wrote.Load() {
						wrote()
					}
				})
				err := next(c)
				if mark.wrote.Load() {
					wrote()
				}
				return err
			}
			// Before: the handler's transaction has committed when it
			// answers; after: for an answer written later (by the error
			// handler) or never.
			c.Response().Before(wrote)
			err := next(c)
			wrote()
			return err
		}
	}
}

type writeMarkKey struct{}

type writeMark struct{ wrote atomic.Bool }

// NoteWrite records that the request of ctx wrote (the database layer
// calls it after each write statement; see MarkWrites).
func NoteWrite(ctx context.Context) {
	if m, ok := ctx.Value(writeMarkKey{}).(*writeMark); ok {
		m.wrote.Store(true)
	}
}
