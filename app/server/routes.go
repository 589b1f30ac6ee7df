package server

import (
	"crypto/subtle"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kindred/app/auth"
	"kindred/app/config"
	"kindred/app/web"
	"kindred/models"
)

// routes is the one route table. Every route says who may use it.
func routes(e *echo.Echo, a *App, r *web.Renderer, st *web.Static, cookies web.Cookies, cfg *config.Config) {
	ah := auth.NewHandlers(a.Auth, r, cookies)
	api := auth.NewAPI(a.Auth)

	// Operations: no session, no CSRF.
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", func(c echo.Context) error {
		checks, ok := a.Ready(c.Request().Context())
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		return c.JSON(status, checks)
	})
	metrics := echo.WrapHandler(promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{DisableCompression: true})) // Echo's gzip middleware compresses
	e.GET("/metrics", func(c echo.Context) error {
		if cfg.MetricsToken != "" {
			got := c.Request().Header.Get(echo.HeaderAuthorization)
			if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+cfg.MetricsToken)) != 1 {
				return web.ErrUnauthorized
			}
		}
		return metrics(c)
	})
	e.GET("/static/:hash/*", st.Handler)
	e.GET("/robots.txt", func(c echo.Context) error {
		return c.String(http.StatusOK, "User-agent: *\nDisallow: /account\nDisallow: /admin\nDisallow: /auth\nDisallow: /api\n")
	})

	// Browser pages: session cookie and CSRF on every state change.
	b := e.Group("", web.LoadSession(a.Auth, cookies), web.CSRF(cfg.SecretKey))
	b.GET("/", homeHandler(r))
	b.GET("/signup", ah.SignUpPage)
	b.POST("/signup", ah.SignUp)
	b.GET("/signin", ah.SignInPage)
	b.POST("/signin", ah.SignIn)
	b.POST("/signout", ah.SignOut, web.RequireUser)
	b.GET("/password/forgot", ah.ForgotPage)
	b.POST("/password/forgot", ah.Forgot)
	b.GET("/password/reset", ah.ResetPage)
	b.POST("/password/reset", ah.Reset)
	b.GET("/account/verify", ah.VerifyPage)
	b.POST("/account/verify", ah.Verify)
	b.GET("/auth/complete", ah.ChooseHandlePage)
	b.POST("/auth/complete", ah.ChooseHandle)
	b.GET("/auth/:provider", ah.BeginExternal)
	b.GET("/auth/:provider/callback", ah.ExternalCallback)

	acct := b.Group("/account", web.RequireUser)
	acct.GET("", ah.Settings)
	acct.POST("/handle", ah.ChangeHandle)
	acct.POST("/email", ah.ChangeEmail)
	acct.POST("/verify/resend", ah.ResendVerification)
	acct.POST("/password", ah.ChangePassword)
	acct.POST("/sessions/:id/revoke", ah.RevokeSession)
	acct.POST("/sessions/revoke-others", ah.RevokeOtherSessions)
	acct.POST("/tokens", ah.CreateToken)
	acct.POST("/tokens/:id/revoke", ah.RevokeToken)

	admin := b.Group("/admin", web.RequireRole(models.RoleAdmin))
	admin.GET("/users", ah.AdminUsers)
	admin.POST("/users/:id/role", ah.AdminSetRole)

	// JSON API: personal bearer tokens only; write scope for changes.
	v1 := e.Group("/api/v1", web.BearerAuth(a.Auth), web.RequireScope)
	v1.GET("/me", api.Me)
	v1.GET("/sessions", api.Sessions)
	v1.DELETE("/sessions/:id", api.RevokeSession)
	v1.GET("/tokens", api.Tokens)
	v1.POST("/tokens", api.CreateToken)
	v1.DELETE("/tokens/:id", api.RevokeToken)
	e.Any("/api/*", func(c echo.Context) error { return echo.ErrNotFound })
}
