package auth

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// API serves /api/v1 account endpoints. Requests authenticate with a
// personal token (web.BearerAuth).
type API struct {
	svc *Service
}

// NewAPI wires the JSON handlers.
func NewAPI(svc *Service) *API { return &API{svc: svc} }

type meJSON struct {
	ID            int64     `json:"id"`
	Handle        string    `json:"handle"`
	Email         *string   `json:"email"`
	EmailVerified bool      `json:"email_verified"`
	Role          string    `json:"role"`
	Language      string    `json:"language"`
	Region        string    `json:"region"`
	CreatedAt     time.Time `json:"created_at"`
}

// Me returns the token owner's account.
func (a *API) Me(c echo.Context) error {
	u := web.CurrentUser(c)
	return c.JSON(http.StatusOK, meJSON{ID: u.ID, Handle: u.Handle, Email: u.Email, EmailVerified: u.EmailVerifiedAt != nil, Role: string(u.Role), Language: u.Language, Region: u.Region, CreatedAt: u.CreatedAt.UTC()})
}

type sessionJSON struct {
	ID         int64     `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
}

// Sessions lists the owner's browser sessions.
func (a *API) Sessions(c echo.Context) error {
	list, err := a.svc.Sessions(c.Request().Context(), web.CurrentUser(c).ID)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, 0, len(list))
	for _, s := range list {
		out = append(out, sessionJSON{ID: s.ID, CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(), IP: s.IP, UserAgent: s.UserAgent})
	}
	return c.JSON(http.StatusOK, map[string]any{"sessions": out})
}

type signInMethodJSON struct {
	ID         int64     `json:"id"`
	Provider   string    `json:"provider"`
	Label      string    `json:"label"`
	Offered    bool      `json:"offered"` // the provider is still switched on here
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
}

// SignInMethods lists the providers the owner signs in with, and whether
// the account has a password. Linking and unlinking happen in a browser,
// where the provider can ask the person to sign in.
func (a *API) SignInMethods(c echo.Context) error {
	u := web.CurrentUser(c)
	list, err := a.svc.SignInMethods(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	out := make([]signInMethodJSON, 0, len(list))
	for _, m := range list {
		out = append(out, signInMethodJSON{ID: m.IdentityID, Provider: m.Provider, Label: m.Label, Offered: m.Configured, CreatedAt: m.CreatedAt.UTC(), LastUsedAt: m.LastUsedAt.UTC()})
	}
	return c.JSON(http.StatusOK, map[string]any{"password": u.PasswordHash != nil, "sso_only": u.SSOOnly, "providers": out})
}

// RevokeSession ends one of the owner's sessions.
func (a *API) RevokeSession(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.RevokeSession(c.Request().Context(), web.CurrentUser(c).ID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type tokenJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"` // null: until revoked
	Token      string     `json:"token,omitempty"`
}

func toTokenJSON(t *models.APIToken) tokenJSON {
	return tokenJSON{ID: t.ID, Name: t.Name, Scope: string(t.Scope), CreatedAt: t.CreatedAt.UTC(), LastUsedAt: utcPtr(t.LastUsedAt), ExpiresAt: utcPtr(t.ExpiresAt)}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Tokens lists the owner's API tokens (never their secrets).
func (a *API) Tokens(c echo.Context) error {
	list, err := a.svc.APITokens(c.Request().Context(), web.CurrentUser(c).ID)
	if err != nil {
		return err
	}
	out := make([]tokenJSON, 0, len(list))
	for i := range list {
		out = append(out, toTokenJSON(&list[i]))
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": out})
}

// CreateToken makes a token; the secret is in this response only.
func (a *API) CreateToken(c echo.Context) error {
	var f TokenForm
	if err := c.Bind(&f); err != nil {
		return err // the Binder names what is wrong
	}
	t, raw, err := a.svc.CreateAPIToken(c.Request().Context(), web.CurrentUser(c), f)
	if err != nil {
		return err
	}
	out := toTokenJSON(t)
	out.Token = raw
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, out)
}

// RevokeToken deletes one of the owner's tokens.
func (a *API) RevokeToken(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.svc.RevokeAPIToken(c.Request().Context(), web.CurrentUser(c).ID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
