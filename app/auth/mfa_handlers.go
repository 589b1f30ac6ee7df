package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Strong sign-in pages.
const (
	TplSecondFactor  = "pages/auth/second_factor.html"
	TplSecurity      = "pages/account/security.html"
	TplRecoveryCodes = "pages/account/recovery_codes.html"
)

// SecondFactorPath is the sign-in's second step.
const SecondFactorPath = "/signin/second-factor"

// HasSecondFactor reports whether the account passes a second step at
// sign-in.
func (s *Service) HasSecondFactor(ctx context.Context, userID int64) (bool, error) {
	return hasSecondFactor(ctx, s.db.Gorm, userID)
}

// NoticeNewDevice e-mails the owner about a sign-in from a browser that
// holds no mark of theirs (see DeviceMark), before the mark is given.
func (s *Service) NoticeNewDevice(ctx context.Context, u *models.User, cl Client) {
	if u.Email == nil || s.knownDevice(u, cl) {
		return
	}
	device := clip(cl.UserAgent, 160)
	if device == "" {
		device = "an unnamed browser"
	}
	if cl.IP != "" {
		device += " (address " + clip(cl.IP, 64) + ")"
	}
	if _, err := s.db.River.Insert(ctx, AccountEmailArgs{UserID: u.ID, Purpose: noticeNewDevice, Device: device}, nil); err != nil {
		s.log.WarnContext(ctx, "new-device notice not queued", "user_id", u.ID, "error", err.Error())
	}
}

// afterFirstFactor gives the browser its session after a right password
// (or provider sign-in, or reset link). An account with a second factor
// got a half-signed session and goes to the second step.
func (h *Handlers) afterFirstFactor(c echo.Context, u *models.User, token, next string, cl Client) error {
	h.signIn(c, token)
	pending, err := h.svc.HasSecondFactor(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	if pending {
		return web.Redirect(c, SecondFactorPath+"?next="+url.QueryEscape(next))
	}
	return h.finishSignIn(c, u, next, cl)
}

// finishSignIn ends a complete sign-in: the owner hears of a new browser,
// the browser is remembered, and someone whose role requires a second
// factor without one is sent to set it up.
func (h *Handlers) finishSignIn(c echo.Context, u *models.User, next string, cl Client) error {
	to, err := h.signInTarget(c, u, next, cl)
	if err != nil {
		return err
	}
	return web.Redirect(c, to)
}

// signInTarget does finishSignIn's work and says where to go.
func (h *Handlers) signInTarget(c echo.Context, u *models.User, next string, cl Client) (string, error) {
	ctx := c.Request().Context()
	h.svc.NoticeNewDevice(ctx, u, cl)
	h.rememberDevice(c, u)
	if !h.svc.opts.StaffMFAOptional {
		a, err := h.svc.Actor(ctx, u)
		if err != nil {
			return "", err
		}
		if a.MFARequired() && !a.MFA {
			h.cookies.SetFlash(c, "Your role needs a second way to confirm it is you. Please set up an authenticator app now: staff pages open once it is done.")
			return web.MFASetupPath + "?next=" + url.QueryEscape(next), nil
		}
	}
	return next, nil
}

// SecondFactorPage asks a half-signed browser for a code.
func (h *Handlers) SecondFactorPage(c echo.Context) error {
	if u, _ := web.PendingSignIn(c); u == nil {
		return web.Redirect(c, "/signin")
	}
	return h.secondFactorPage(c, http.StatusOK, nil)
}

func (h *Handlers) secondFactorPage(c echo.Context, status int, verr *models.ValidationError) error {
	p := h.page(c, "Confirm it is you")
	p.Noindex = true
	next := web.SafeNext(c.QueryParam("next"))
	if c.Request().Method == http.MethodPost {
		next = web.SafeNext(c.FormValue("next"))
	}
	p.Form.Values["next"] = next
	if verr != nil {
		p.Form.Errors, p.Form.Message = verr.Fields, verr.Message
	}
	if u, _ := web.PendingSignIn(c); u != nil {
		keys, err := h.svc.Passkeys(c.Request().Context(), u.ID)
		if err != nil {
			return err
		}
		p.Data = struct{ HasPasskey bool }{len(keys) > 0}
	}
	return h.r.Render(c, status, TplSecondFactor, p)
}

// SecondFactor checks the code and completes the sign-in.
func (h *Handlers) SecondFactor(c echo.Context) error {
	u, sess := web.PendingSignIn(c)
	if u == nil {
		h.cookies.SetFlash(c, "That sign-in has expired. Please sign in again.")
		return web.Redirect(c, "/signin")
	}
	cl := client(c)
	token, err := h.svc.CompleteSecondFactor(c.Request().Context(), PendingSession{User: u, Session: sess}, c.FormValue("code"), cl)
	var rl *models.RateLimitedError
	switch {
	case errors.As(err, &rl):
		v := tooManyCodes(c, rl)
		return h.secondFactorPage(c, http.StatusTooManyRequests, v)
	case errors.Is(err, ErrBadSecondFactor):
		v := models.NewValidationError()
		v.Message = "That code is not right, or was already used."
		v.Add("code", "Type the current 6-digit code from your app, or one of your recovery codes.")
		return h.secondFactorPage(c, http.StatusUnprocessableEntity, v)
	case err != nil:
		return err
	}
	h.cookies.Set(c, web.SessionCookie, token, 0)
	return h.finishSignIn(c, u, web.SafeNext(c.FormValue("next")), cl)
}

type securityData struct {
	MFA      MFAStatus
	Pending  *TOTPEnrolment
	Required bool
	Next     string
}

// SecurityPage shows the account's second factors and sets up the app.
func (h *Handlers) SecurityPage(c echo.Context) error {
	return h.securityPage(c, http.StatusOK, nil)
}

func (h *Handlers) securityPage(c echo.Context, status int, verr *models.ValidationError) error {
	u := web.CurrentUser(c)
	ctx := c.Request().Context()
	st, err := h.svc.MFA(ctx, u.ID)
	if err != nil {
		return err
	}
	var pending *TOTPEnrolment
	if st.TOTPPending {
		if pending, err = h.svc.PendingTOTP(ctx, u); err != nil {
			return err
		}
	}
	p := h.page(c, "Sign-in security")
	p.Noindex = true
	next := web.SafeNext(c.QueryParam("next"))
	if c.Request().Method == http.MethodPost {
		next = web.SafeNext(c.FormValue("next"))
	}
	p.Data = securityData{MFA: st, Pending: pending, Required: web.Actor(c).MFARequired(), Next: next}
	if verr != nil {
		p.Form.Errors, p.Form.Message = verr.Fields, verr.Message
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.r.Render(c, status, TplSecurity, p)
}

// BeginTOTP makes a new secret and shows it on the security page.
func (h *Handlers) BeginTOTP(c echo.Context) error {
	if _, err := h.svc.BeginTOTP(c.Request().Context(), web.CurrentUser(c)); err != nil {
		var cerr *models.ConflictError
		if errors.As(err, &cerr) {
			return h.securityPage(c, http.StatusConflict, sectionError("totp", cerr.Message))
		}
		return err
	}
	return web.Redirect(c, web.MFASetupPath+"?next="+url.QueryEscape(web.SafeNext(c.FormValue("next")))+"#totp")
}

// ConfirmTOTP checks the first code from the app; the first second factor
// shows its recovery codes once.
func (h *Handlers) ConfirmTOTP(c echo.Context) error {
	codes, err := h.svc.ConfirmTOTP(c.Request().Context(), web.CurrentUser(c), web.CurrentSession(c), c.FormValue("code"), client(c))
	var rl *models.RateLimitedError
	switch {
	case errors.As(err, &rl):
		v := tooManyCodes(c, rl)
		return h.securityPage(c, http.StatusTooManyRequests, v)
	case errors.Is(err, ErrBadSecondFactor):
		v := models.NewValidationError()
		v.Message = "That code is not right. Check that your phone's clock is right and type the code the app shows now."
		v.Add("code", "Type the 6-digit code your app shows now.")
		return h.securityPage(c, http.StatusUnprocessableEntity, v)
	case err != nil:
		return err
	}
	next := web.SafeNext(c.FormValue("next"))
	if codes != nil {
		return h.recoveryCodes(c, codes, "Your authenticator app is set up. Your other browsers were signed out.", next)
	}
	h.cookies.SetFlash(c, "Your authenticator app is set up. Your other browsers were signed out.")
	return web.Redirect(c, next)
}

func (h *Handlers) recoveryCodes(c echo.Context, codes []string, heading, next string) error {
	p := h.page(c, "Your recovery codes")
	p.Noindex = true
	p.Data = struct {
		Heading string
		Codes   []string
		Next    string
	}{heading, codes, next}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.r.Render(c, http.StatusOK, TplRecoveryCodes, p)
}

// RemoveTOTP removes the authenticator app.
func (h *Handlers) RemoveTOTP(c echo.Context) error {
	err := h.svc.RemoveTOTP(c.Request().Context(), web.CurrentUser(c), web.Actor(c).MFARequired() && !h.svc.opts.StaffMFAOptional, client(c))
	var ferr *models.ForbiddenError
	if errors.As(err, &ferr) {
		return h.securityPage(c, http.StatusForbidden, sectionError("totp", ferr.Message))
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "The authenticator app is removed.")
	return web.Redirect(c, web.MFASetupPath)
}

// RegenerateRecoveryCodes makes new recovery codes and shows them once.
func (h *Handlers) RegenerateRecoveryCodes(c echo.Context) error {
	codes, err := h.svc.RegenerateRecoveryCodes(c.Request().Context(), web.CurrentUser(c), client(c))
	var cerr *models.ConflictError
	if errors.As(err, &cerr) {
		return h.securityPage(c, http.StatusConflict, sectionError("recovery", cerr.Message))
	}
	if err != nil {
		return err
	}
	return h.recoveryCodes(c, codes, "New recovery codes. The old ones no longer work.", web.MFASetupPath)
}

// StaffMFAOptional reports whether the second-factor rule for staff is
// switched off (tests of other features only; see Options).
func (s *Service) StaffMFAOptional() bool { return s.opts.StaffMFAOptional }

// sectionError is a refusal shown at the top of the security page, linking
// to the section it is about.
func sectionError(section, msg string) *models.ValidationError {
	v := models.NewValidationError()
	v.Message = msg
	v.Add(section, msg)
	return v
}

// tooManyCodes is the answer to a second-factor code past the rate limit:
// Retry-After set, and the form's error.
func tooManyCodes(c echo.Context, rl *models.RateLimitedError) *models.ValidationError {
	c.Response().Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds()))
	v := models.NewValidationError()
	v.Message = "Too many wrong codes. Please wait " + minutesText(rl.RetryAfter) + " and try again."
	v.Add("code", "Too many wrong codes for now.")
	return v
}
