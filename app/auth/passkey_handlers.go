package auth

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// The passkey ceremonies are JSON exchanges driven by static/js/app.js
// (navigator.credentials needs JavaScript); the rest of the security page
// works without it.

const maxPasskeyBody = 64 << 10

func readBody(c echo.Context) ([]byte, error) {
	return io.ReadAll(io.LimitReader(c.Request().Body, maxPasskeyBody))
}

// passkeyRefused is the JSON answer to an answer that did not check out.
func passkeyRefused(c echo.Context, status int, code, msg string) error {
	return c.JSON(status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// BeginPasskey starts adding a passkey (JSON: the creation options).
func (h *Handlers) BeginPasskey(c echo.Context) error {
	opts, err := h.svc.BeginPasskeyRegistration(c.Request().Context(), web.CurrentUser(c), web.CurrentSession(c))
	var cerr *models.ConflictError
	if errors.As(err, &cerr) {
		return passkeyRefused(c, http.StatusConflict, "conflict", cerr.Message)
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, opts)
}

// FinishPasskey keeps the new passkey (JSON: where to go next).
func (h *Handlers) FinishPasskey(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	err = h.svc.FinishPasskeyRegistration(c.Request().Context(), web.CurrentUser(c), web.CurrentSession(c), c.QueryParam("name"), body, client(c))
	var verr *models.ValidationError
	var cerr *models.ConflictError
	switch {
	case errors.As(err, &verr):
		return passkeyRefused(c, http.StatusUnprocessableEntity, "invalid", verr.Fields["passkey_name"])
	case errors.As(err, &cerr):
		return passkeyRefused(c, http.StatusConflict, "conflict", cerr.Message)
	case errors.Is(err, ErrBadPasskey):
		return passkeyRefused(c, http.StatusUnprocessableEntity, "passkey_refused", "That passkey could not be checked. Please try again.")
	case err != nil:
		return err
	}
	h.cookies.SetFlash(c, "Your passkey is added.")
	return c.JSON(http.StatusOK, map[string]string{"next": web.MFASetupPath + "#passkeys"})
}

// RemovePasskey removes one passkey.
func (h *Handlers) RemovePasskey(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return models.ErrNotFound
	}
	err = h.svc.RemovePasskey(c.Request().Context(), web.CurrentUser(c), id, web.Actor(c).MFARequired() && !h.svc.opts.StaffMFAOptional, client(c))
	var ferr *models.ForbiddenError
	if errors.As(err, &ferr) {
		return h.securityPage(c, http.StatusForbidden, sectionError("passkeys", ferr.Message))
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "The passkey is removed.")
	return web.Redirect(c, web.MFASetupPath+"#passkeys")
}

// BeginPasskeySignIn starts the second step with a passkey (JSON: the
// request options), for a half-signed browser only.
func (h *Handlers) BeginPasskeySignIn(c echo.Context) error {
	u, sess := web.PendingSignIn(c)
	if u == nil {
		return passkeyRefused(c, http.StatusUnauthorized, "sign_in_expired", "That sign-in has expired. Please sign in again.")
	}
	opts, err := h.svc.BeginPasskeySignIn(c.Request().Context(), PendingSession{User: u, Session: sess})
	if errors.Is(err, ErrBadPasskey) {
		return passkeyRefused(c, http.StatusUnprocessableEntity, "no_passkey", "Your account has no passkey: use a code instead.")
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, opts)
}

// FinishPasskeySignIn checks the passkey and completes the sign-in (JSON:
// where to go next).
func (h *Handlers) FinishPasskeySignIn(c echo.Context) error {
	u, sess := web.PendingSignIn(c)
	if u == nil {
		return passkeyRefused(c, http.StatusUnauthorized, "sign_in_expired", "That sign-in has expired. Please sign in again.")
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	cl := client(c)
	token, err := h.svc.CompletePasskeySignIn(c.Request().Context(), PendingSession{User: u, Session: sess}, body, cl)
	var rl *models.RateLimitedError
	switch {
	case errors.As(err, &rl):
		return err
	case errors.Is(err, ErrBadPasskey):
		return passkeyRefused(c, http.StatusUnprocessableEntity, "passkey_refused", "That passkey could not be checked. Please try again, or use a code.")
	case err != nil:
		return err
	}
	h.cookies.Set(c, web.SessionCookie, token, 0)
	next := web.SafeNext(c.QueryParam("next"))
	to, err := h.signInTarget(c, u, next, cl)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"next": to})
}

// BeginPasskeyReauth starts /reauth with a passkey (JSON: the request
// options), for a signed-in browser.
func (h *Handlers) BeginPasskeyReauth(c echo.Context) error {
	opts, err := h.svc.BeginPasskeySignIn(c.Request().Context(), PendingSession{User: web.CurrentUser(c), Session: web.CurrentSession(c)})
	if errors.Is(err, ErrBadPasskey) {
		return passkeyRefused(c, http.StatusUnprocessableEntity, "no_passkey", "Your account has no passkey: use your password or a code instead.")
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, opts)
}

// FinishPasskeyReauth checks the passkey and confirms it is the member for
// the next ten minutes (JSON: where to go next).
func (h *Handlers) FinishPasskeyReauth(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	err = h.svc.ConfirmPasskey(c.Request().Context(), web.CurrentUser(c), web.CurrentSession(c), body)
	var rl *models.RateLimitedError
	switch {
	case errors.As(err, &rl):
		return err
	case errors.Is(err, ErrBadPasskey):
		return passkeyRefused(c, http.StatusUnprocessableEntity, "passkey_refused", "That passkey could not be checked. Please try again, or use your password or a code.")
	case err != nil:
		return err
	}
	h.cookies.SetFlash(c, "Thank you: it is confirmed that it is you.")
	return c.JSON(http.StatusOK, map[string]string{"next": web.SafeNext(c.QueryParam("next"))})
}
