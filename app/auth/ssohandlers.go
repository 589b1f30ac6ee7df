package auth

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// appealCookie carries the ticket a suspended member got by signing in at
// their provider, so the appeal form needs no password.
const appealCookie = "kindred_appeal"

// Public is what the member reads for each cause of a failed provider
// sign-in, with the HTTP status and the JSON error code; the one error
// handler (app/web) shows it as a page or as JSON.
func (ee *ExternalError) Public() models.PublicError {
	status, code, m := ee.explain()
	pe := models.PublicError{Status: status, Code: code, Heading: m.Heading, Message: m.Text, Link: m.Link, LinkText: m.LinkText}
	if status == http.StatusServiceUnavailable {
		pe.RetryAfter = time.Minute
	}
	return pe
}

func (ee *ExternalError) explain() (int, string, message) {
	p := ee.Provider
	if p == "" {
		p = "the sign-in service"
	}
	back := func(m message) message {
		if m.Link == "" {
			m.Link, m.LinkText = "/signin", "Back to sign in"
		}
		return m
	}
	switch ee.Kind {
	case ExtUnavailable:
		return http.StatusServiceUnavailable, "provider_unavailable", back(message{Heading: "Sign-in service not answering",
			Text: p + " is not answering right now, so you could not be signed in. Please try again in a few minutes; if your account has a password, you can use it instead."})
	case ExtMisconfigured:
		return http.StatusBadGateway, "provider_misconfigured", back(message{Heading: "Sign-in service refused Kindred",
			Text: p + " refused Kindred's sign-in request: the settings that connect the two need fixing, and the details are in Kindred's log for the administrators. Trying again will not help until then; if your account has a password, you can use it instead."})
	case ExtDeclined:
		return http.StatusForbidden, "declined", back(message{Heading: "Sign-in cancelled",
			Text: "The sign-in was cancelled at " + p + ", or " + p + " did not let Kindred know who you are, so nothing happened. You can start again whenever you like."})
	case ExtNotAllowed:
		return http.StatusForbidden, "not_allowed", back(message{Heading: "This account cannot join here",
			Text: "Your " + p + " account is not one this community accepts: it is limited to certain organisations or groups. If you think that is wrong, ask your organisation's IT team."})
	case ExtNotFresh:
		return http.StatusForbidden, "reauth_not_done", message{Heading: "Please confirm again",
			Text: p + " did not ask you to sign in again, so Kindred could not confirm it is you. Please try once more; if this keeps happening, tell the administrators.", Link: "/account", LinkText: "Back to settings"}
	case ExtNoMFA:
		return http.StatusForbidden, "mfa_required", message{Heading: "Stronger sign-in needed",
			Text: "This needs the stronger sign-in at " + p + " (for example a code from your phone), and " + p + " said it was not used. Please try again and choose the stronger method.", Link: "/account", LinkText: "Back to settings"}
	case ExtOtherPerson:
		return http.StatusForbidden, "other_person", message{Heading: "A different account",
			Text: "You signed in at " + p + " as someone other than the person signed in here. Nothing was changed.", Link: "/account", LinkText: "Back to settings"}
	case ExtInUse:
		return http.StatusConflict, "identity_in_use", message{Heading: "Already linked elsewhere",
			Text: "That " + p + " account is already how another Kindred account signs in, so it cannot be added to this one.", Link: "/account#sign-in", LinkText: "Back to settings"}
	case ExtRefused:
		return http.StatusForbidden, "sign_in_refused", back(message{Heading: "Sign-in could not be confirmed",
			Text: "Kindred could not confirm " + p + "'s answer, so you are not signed in. Please try again; if it keeps happening, tell the administrators."})
	}
	return http.StatusBadRequest, "attempt_expired", back(message{Heading: "Sign-in expired",
		Text: "This sign-in attempt has expired, was already used, or was started in another browser or tab. Please start again from the sign-in page."})
}

// BeginExternal sends the browser to a provider to sign in.
func (h *Handlers) BeginExternal(c echo.Context) error {
	to, err := h.svc.BeginExternal(c.Request().Context(), c.Param("provider"), web.BrowserID(c),
		BeginOptions{Next: c.QueryParam("next")}, client(c))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, to)
}

// BeginLink sends the signed-in member to a provider to add it as a way
// to sign in; they must have proved who they are recently.
func (h *Handlers) BeginLink(c echo.Context) error {
	u, sess := web.CurrentUser(c), web.CurrentSession(c)
	if !h.svc.Fresh(sess) {
		return web.Redirect(c, "/reauth?next="+url.QueryEscape("/account#sign-in"))
	}
	to, err := h.svc.BeginExternal(c.Request().Context(), c.Param("provider"), web.BrowserID(c),
		BeginOptions{Purpose: PurposeLink, UserID: u.ID, Next: "/account#sign-in"}, client(c))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// BeginReauth sends the signed-in member to one of their providers to
// sign in again before a sensitive action.
func (h *Handlers) BeginReauth(c echo.Context) error {
	u := web.CurrentUser(c)
	to, err := h.svc.BeginExternal(c.Request().Context(), c.Param("provider"), web.BrowserID(c),
		BeginOptions{Purpose: PurposeReauth, UserID: u.ID, Next: c.FormValue("next")}, client(c))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// ExternalCallback finishes a provider sign-in, link or re-authentication.
func (h *Handlers) ExternalCallback(c echo.Context) error {
	res, err := h.svc.CompleteExternal(c.Request().Context(), c.Param("provider"), web.BrowserID(c), c.QueryParams(), client(c), web.CurrentSession(c))
	if errors.Is(err, ErrAccountSuspended) && res != nil && res.AppealToken != "" {
		h.cookies.Set(c, appealCookie, res.AppealToken, 30*time.Minute)
		return h.message(c, http.StatusForbidden, message{Heading: "Account suspended",
			Text: "This account is suspended. You will be able to sign in again when the suspension ends. If you think it is a mistake, you can appeal: another moderator reads it.",
			Link: "/appeal", LinkText: "Appeal the suspension"})
	}
	if err != nil {
		return err
	}
	switch {
	case res.Purpose == PurposeReauth:
		h.cookies.SetFlash(c, "Thank you: it is confirmed that it is you.")
		return web.Redirect(c, res.Next)
	case res.Purpose == PurposeLink:
		h.cookies.SetFlash(c, "You can now sign in with "+res.Provider+".")
		return web.Redirect(c, res.Next)
	case res.User != nil:
		// A GET from the provider: the browser's id is its cookie's.
		cl := client(c)
		cl.Browser = web.BrowserID(c)
		return h.afterFirstFactor(c, res.User, res.SessionToken, res.Next, cl)
	}
	h.cookies.Set(c, pendingCookie, res.PendingToken, oauthPendingTTL)
	return web.Redirect(c, "/auth/complete")
}

// ChooseHandlePage asks a first-time external user for a handle.
func (h *Handlers) ChooseHandlePage(c echo.Context) error {
	if _, err := h.svc.PendingExternal(c.Request().Context(), h.cookies.Get(c, pendingCookie), web.BrowserID(c)); err != nil {
		return h.pendingError(c, err)
	}
	p := h.page(c, "Choose your handle")
	p.Noindex = true
	return h.r.Render(c, http.StatusOK, TplChooseHandle, p)
}

// ChooseHandle creates the account for the external identity.
func (h *Handlers) ChooseHandle(c echo.Context) error {
	handle := c.FormValue("handle")
	agree, health := c.FormValue("agree") == "on", c.FormValue("health_consent") == "on"
	u, token, next, err := h.svc.FinishExternal(c.Request().Context(), h.cookies.Get(c, pendingCookie), web.BrowserID(c), handle, agree && health, client(c))
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		p := h.page(c, "Choose your handle")
		p.Noindex = true
		on := map[bool]string{true: "on"}
		return h.r.RenderForm(c, TplChooseHandle, p, map[string]string{"handle": handle, "agree": on[agree], "health_consent": on[health]}, verr)
	}
	if err != nil {
		return h.pendingError(c, err)
	}
	h.cookies.Clear(c, pendingCookie)
	h.signIn(c, token)
	h.rememberDevice(c, u)
	h.cookies.SetFlash(c, "Welcome to Kindred, "+u.Handle+".")
	return web.Redirect(c, next)
}

func (h *Handlers) pendingError(c echo.Context, err error) error {
	if !errors.Is(err, ErrExternalRefused) {
		return err
	}
	return h.message(c, http.StatusGone, message{
		Heading: "Please sign in again",
		Text:    "This step has expired or belongs to another browser.",
		Link:    "/signin", LinkText: "Back to sign in",
	})
}

// BackChannelLogout is where a provider ends Kindred sessions (OpenID
// Connect Back-Channel Logout 1.0): no cookies, no CSRF token; the signed
// logout token is the proof.
func (h *Handlers) BackChannelLogout(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	n, err := h.svc.BackChannelLogout(c.Request().Context(), c.Param("provider"), c.FormValue("logout_token"))
	switch {
	case errors.Is(err, ErrProviderUnavailable):
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable"})
	case errors.Is(err, ErrBadLogoutToken):
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "the logout token was refused"})
	case err != nil:
		return err
	}
	c.Response().Header().Set("X-Sessions-Ended", strconv.FormatInt(n, 10))
	return c.NoContent(http.StatusOK)
}

type reauthData struct {
	Next        string
	HasPassword bool
	HasCode     bool // a second factor: a code from the app or a recovery code also does
	HasPasskey  bool
	Providers   []SignInMethod
}

// ReauthPage asks the signed-in member to prove who they are again, with
// their password or one of their providers.
func (h *Handlers) ReauthPage(c echo.Context) error {
	return h.reauthPage(c, http.StatusOK, nil)
}

func (h *Handlers) reauthPage(c echo.Context, status int, verr *models.ValidationError) error {
	u := web.CurrentUser(c)
	methods, err := h.svc.SignInMethods(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	usable := methods[:0]
	for _, m := range methods {
		if m.Configured {
			usable = append(usable, m)
		}
	}
	p := h.page(c, "Confirm it is you")
	p.Noindex = true
	next := web.SafeNext(c.QueryParam("next"))
	if c.Request().Method == http.MethodPost {
		next = web.SafeNext(c.FormValue("next"))
	}
	hasCode, err := h.svc.HasSecondFactor(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	keys, err := h.svc.Passkeys(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	p.Data = reauthData{Next: next, HasPassword: u.PasswordHash != nil, HasCode: hasCode, HasPasskey: len(keys) > 0, Providers: usable}
	if verr != nil {
		p.Form = web.Form{Values: map[string]string{}, Errors: verr.Fields, Message: verr.Message}
	}
	return h.r.Render(c, status, TplReauth, p)
}

// Reauth checks the member's password again, or a second-factor code.
func (h *Handlers) Reauth(c echo.Context) error {
	if code := c.FormValue("code"); code != "" {
		err := h.svc.ConfirmSecondFactor(c.Request().Context(), web.CurrentUser(c), web.CurrentSession(c), code)
		switch {
		case errors.Is(err, ErrBadSecondFactor):
			v := models.NewValidationError()
			v.Message = "That code is not right, or was already used."
			v.Add("code", "Type the current 6-digit code from your app, or one of your recovery codes.")
			return h.reauthPage(c, http.StatusUnprocessableEntity, v)
		case err != nil:
			return err
		}
		return web.Redirect(c, web.SafeNext(c.FormValue("next")))
	}
	err := h.svc.ConfirmPassword(c.Request().Context(), web.CurrentUser(c), web.CurrentSession(c), c.FormValue("password"), client(c))
	var rl *models.RateLimitedError
	switch {
	case errors.As(err, &rl):
		return err
	case errors.Is(err, ErrBadCredentials), errors.As(err, new(*models.ValidationError)):
		v := models.NewValidationError()
		v.Message = "That is not your password."
		v.Add("password", "Check your password.")
		return h.reauthPage(c, http.StatusUnprocessableEntity, v)
	case err != nil:
		return err
	}
	return web.Redirect(c, web.SafeNext(c.FormValue("next")))
}

// UnlinkPage asks before removing a sign-in method.
func (h *Handlers) UnlinkPage(c echo.Context) error {
	m, err := h.method(c)
	if err != nil {
		return err
	}
	if !h.svc.Fresh(web.CurrentSession(c)) {
		return web.Redirect(c, "/reauth?next="+url.QueryEscape(c.Request().URL.Path))
	}
	p := h.page(c, "Remove "+m.Label+"?")
	p.Noindex = true
	p.Data = m
	return h.r.Render(c, http.StatusOK, TplUnlink, p)
}

func (h *Handlers) method(c echo.Context) (*SignInMethod, error) {
	id, err := web.PathID(c, "id")
	if err != nil {
		return nil, err
	}
	methods, err := h.svc.SignInMethods(c.Request().Context(), web.CurrentUser(c).ID)
	if err != nil {
		return nil, err
	}
	for i := range methods {
		if methods[i].IdentityID == id {
			return &methods[i], nil
		}
	}
	return nil, models.ErrNotFound
}

// Unlink removes a sign-in method.
func (h *Handlers) Unlink(c echo.Context) error {
	m, err := h.method(c)
	if err != nil {
		return err
	}
	err = h.svc.Unlink(c.Request().Context(), web.CurrentUser(c), web.CurrentSession(c), m.IdentityID)
	var verr *models.ValidationError
	switch {
	case errors.Is(err, ErrReauthRequired):
		return web.Redirect(c, "/reauth?next="+url.QueryEscape("/account/sign-in/"+strconv.FormatInt(m.IdentityID, 10)+"/unlink"))
	case errors.As(err, &verr):
		return h.message(c, http.StatusUnprocessableEntity, message{Heading: "Cannot remove it", Text: verr.Message, Link: "/account#sign-in", LinkText: "Back to settings"})
	case err != nil:
		return err
	}
	h.cookies.SetFlash(c, m.Label+" is removed: you can no longer sign in with it.")
	return web.Redirect(c, "/account#sign-in")
}

// SignedOut is where a provider sends the browser back after its logout.
func (h *Handlers) SignedOut(c echo.Context) error {
	return web.Redirect(c, "/")
}

// AppealTicketUser is the suspended member whose provider sign-in left an
// appeal ticket in this browser, or nil.
func (h *Handlers) AppealTicketUser(c echo.Context) *models.User {
	t := h.cookies.Get(c, appealCookie)
	if t == "" {
		return nil
	}
	u, err := h.svc.SuspendedByTicket(c.Request().Context(), t)
	if err != nil {
		return nil
	}
	return u
}

// SpendAppealTicket uses the browser's appeal ticket up.
func (h *Handlers) SpendAppealTicket(c echo.Context) {
	if t := h.cookies.Get(c, appealCookie); t != "" {
		if err := h.svc.UseAppealTicket(c.Request().Context(), t); err != nil {
			h.svc.log.WarnContext(c.Request().Context(), "could not spend an appeal ticket", "error", err.Error())
		}
	}
	h.cookies.Clear(c, appealCookie)
}
