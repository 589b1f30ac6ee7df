package auth

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// The JSON API for strong sign-in. Adding the authenticator app needs a
// write token; removing it and new recovery codes need a current code as
// well ("code" in the body): a stolen token alone cannot weaken the
// account's sign-in. Passkeys are added in the browser only (the
// ceremony needs one).

type mfaCodeJSON struct {
	Code string `json:"code"`
}

// MFA lists the owner's second factors, without secrets.
func (a *API) MFA(c echo.Context) error {
	st, err := a.svc.MFA(c.Request().Context(), web.CurrentUser(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"mfa": st, "required": web.Actor(c).MFARequired()})
}

// BeginTOTP starts adding an authenticator app: the secret is in this
// response only.
func (a *API) BeginTOTP(c echo.Context) error {
	e, err := a.svc.BeginTOTP(c.Request().Context(), web.CurrentUser(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, map[string]string{"secret": e.Secret, "otpauth_uri": e.URI})
}

// ConfirmTOTP finishes adding the app with a code from it; the first
// second factor returns the recovery codes, once.
func (a *API) ConfirmTOTP(c echo.Context) error {
	var f mfaCodeJSON
	if err := c.Bind(&f); err != nil {
		return err
	}
	codes, err := a.svc.ConfirmTOTP(c.Request().Context(), web.CurrentUser(c), nil, f.Code, client(c))
	if err != nil {
		return codeError(err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"totp": true, "recovery_codes": codes})
}

// RemoveTOTP removes the app, given a current code.
func (a *API) RemoveTOTP(c echo.Context) error {
	var f mfaCodeJSON
	if err := c.Bind(&f); err != nil {
		return err
	}
	u := web.CurrentUser(c)
	if err := a.checkCode(c, u, f.Code); err != nil {
		return err
	}
	if err := a.svc.RemoveTOTP(c.Request().Context(), u, web.Actor(c).MFARequired() && !a.svc.opts.StaffMFAOptional, client(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// RegenerateRecoveryCodes replaces the recovery codes, given a current
// code; the new ones are in this response only.
func (a *API) RegenerateRecoveryCodes(c echo.Context) error {
	var f mfaCodeJSON
	if err := c.Bind(&f); err != nil {
		return err
	}
	u := web.CurrentUser(c)
	if err := a.checkCode(c, u, f.Code); err != nil {
		return err
	}
	codes, err := a.svc.RegenerateRecoveryCodes(c.Request().Context(), u, client(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"recovery_codes": codes})
}

func (a *API) checkCode(c echo.Context, u *models.User, code string) error {
	ok, err := a.svc.CheckCode(c.Request().Context(), u, code)
	if err != nil {
		return err
	}
	if !ok {
		return codeError(ErrBadSecondFactor)
	}
	return nil
}

// codeError turns a wrong code into a 422 naming the field.
func codeError(err error) error {
	if errors.Is(err, ErrBadSecondFactor) {
		v := models.NewValidationError()
		v.Message = "That code is not right, or was already used."
		v.Add("code", "Send the current 6-digit code from the app, or a recovery code.")
		return v
	}
	return err
}
