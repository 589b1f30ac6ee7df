package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Page templates, named by their paths under templates/.
const (
	TplSignUp       = "pages/auth/signup.html"
	TplSignIn       = "pages/auth/signin.html"
	TplForgot       = "pages/auth/forgot.html"
	TplReset        = "pages/auth/reset.html"
	TplVerify       = "pages/auth/verify.html"
	TplChooseHandle = "pages/auth/choose_handle.html"
	TplMessage      = "pages/auth/message.html"
	TplSettings     = "pages/account/settings.html"
	TplTokenCreated = "pages/account/token_created.html"
	TplAdminUsers   = "pages/admin/users.html"
	TplReauth       = "pages/auth/reauth.html"
	TplUnlink       = "pages/account/unlink.html"
)

// Templates lists every page this package renders, checked at start-up.
var Templates = []string{TplSignUp, TplSignIn, TplForgot, TplReset, TplVerify, TplChooseHandle, TplMessage, TplSettings, TplTokenCreated, TplAdminUsers, TplReauth, TplUnlink,
	TplSecondFactor, TplSecurity, TplRecoveryCodes}

const pendingCookie = "kindred_pending"

// Handlers serves the account pages.
type Handlers struct {
	svc     *Service
	r       *web.Renderer
	cookies web.Cookies
	// clinicianStatus reads members' clinician status for the admins'
	// list.
	clinicianStatus ClinicianStatus
}

// ClinicianStatus reads members' clinician status for the admins' list
// (app/clinicians owns it).
type ClinicianStatus func(ctx context.Context, userIDs []int64) (map[int64]string, error)

// NewHandlers wires the HTML handlers.
func NewHandlers(svc *Service, r *web.Renderer, cookies web.Cookies, clinicianStatus ClinicianStatus) *Handlers {
	return &Handlers{svc: svc, r: r, cookies: cookies, clinicianStatus: clinicianStatus}
}

func client(c echo.Context) Client {
	cl := Client{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	if c.Request().Method == http.MethodPost { // a form: the browser has its id already (CSRF)
		cl.Browser = web.BrowserID(c)
	}
	if cookies, ok := web.CookiesOf(c); ok {
		cl.KnownDevices = cookies.Get(c, knownDevicesCookie)
	}
	return cl
}

// knownDevicesCookie keeps the marks of the accounts that signed in on
// this browser (at most maxKnownDevices, newest first).
const (
	knownDevicesCookie = "kindred_known"
	maxKnownDevices    = 5
)

// rememberDevice adds u's mark for this browser to its known-devices
// cookie.
func (h *Handlers) rememberDevice(c echo.Context, u *models.User) {
	mark := h.svc.DeviceMark(u, web.BrowserID(c))
	if mark == "" {
		return
	}
	marks := []string{mark}
	for _, m := range strings.Split(h.cookies.Get(c, knownDevicesCookie), "~") {
		if m != "" && m != mark && len(marks) < maxKnownDevices && len(m) < 64 {
			marks = append(marks, m)
		}
	}
	h.cookies.Set(c, knownDevicesCookie, strings.Join(marks, "~"), 400*24*time.Hour)
}

func (h *Handlers) page(c echo.Context, title string) *web.Page {
	p := h.r.NewPage(c, title)
	next := web.SafeNext(c.QueryParam("next"))
	for _, e := range h.svc.Externals() {
		href := "/auth/" + e.Key
		if next != "/" {
			href += "?next=" + url.QueryEscape(next)
		}
		p.Providers = append(p.Providers, web.Provider{Key: e.Key, Label: e.Label, Href: href})
	}
	return p
}

// signIn gives the browser its new session. Any session it already had
// ends first: signing in as someone else never leaves the old one alive.
func (h *Handlers) signIn(c echo.Context, token string) {
	old := web.CurrentSession(c)
	if _, pending := web.PendingSignIn(c); pending != nil {
		old = pending // a half-signed one, left by a sign-in not finished
	}
	if old != nil {
		if err := h.svc.SignOut(c.Request().Context(), old); err != nil {
			h.svc.log.WarnContext(c.Request().Context(), "could not end the session signed in over", "error", err.Error())
		}
	}
	h.cookies.Set(c, web.SessionCookie, token, 0)
}

// message shows a short page with a heading and one paragraph.
type message struct {
	Heading  string
	Text     string
	Link     string
	LinkText string
}

func (h *Handlers) message(c echo.Context, status int, m message) error {
	p := h.page(c, m.Heading)
	p.Noindex = true
	p.Data = m
	return h.r.Render(c, status, TplMessage, p)
}

// SignUpPage shows the sign-up form.
func (h *Handlers) SignUpPage(c echo.Context) error {
	if web.CurrentUser(c) != nil {
		return web.Redirect(c, "/")
	}
	return h.r.Render(c, http.StatusOK, TplSignUp, h.page(c, "Join Kindred"))
}

// SignUp creates the account and signs it in.
func (h *Handlers) SignUp(c echo.Context) error {
	f := SignUpForm{Handle: c.FormValue("handle"), Email: c.FormValue("email"), Password: c.FormValue("password"),
		Agree: c.FormValue("agree") == "on", HealthConsent: c.FormValue("health_consent") == "on"}
	f.Language, f.Region = localeFromBrowser(c)
	u, token, err := h.svc.SignUp(c.Request().Context(), f, client(c))
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.r.RenderForm(c, TplSignUp, h.page(c, "Join Kindred"), f.Values(), verr)
	}
	if err != nil {
		return err
	}
	h.signIn(c, token)
	h.cookies.SetFlash(c, "Welcome to Kindred, "+u.Handle+". We have sent you an e-mail to confirm your address.")
	return web.Redirect(c, "/")
}

// SignInPage shows the sign-in form.
func (h *Handlers) SignInPage(c echo.Context) error {
	if web.CurrentUser(c) != nil {
		return web.Redirect(c, web.SafeNext(c.QueryParam("next")))
	}
	if u, _ := web.PendingSignIn(c); u != nil {
		return web.Redirect(c, SecondFactorPath+"?next="+url.QueryEscape(web.SafeNext(c.QueryParam("next"))))
	}
	p := h.page(c, "Sign in")
	p.Form.Values["next"] = web.SafeNext(c.QueryParam("next"))
	return h.r.Render(c, http.StatusOK, TplSignIn, p)
}

// SignIn checks the credentials and starts a session.
func (h *Handlers) SignIn(c echo.Context) error {
	f := SignInForm{Login: c.FormValue("login"), Password: c.FormValue("password")}
	next := web.SafeNext(c.FormValue("next"))
	values := map[string]string{"login": f.Login, "next": next}
	cl := client(c)
	u, token, err := h.svc.SignIn(c.Request().Context(), f, cl)
	var verr *models.ValidationError
	var rl *models.RateLimitedError
	switch {
	case errors.As(err, &verr):
		return h.r.RenderForm(c, TplSignIn, h.page(c, "Sign in"), values, verr)
	case errors.As(err, &rl):
		c.Response().Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds()))
		p := h.page(c, "Sign in")
		msg := "Sign-ins are paused after many wrong passwords. Please try again in " + minutesText(rl.RetryAfter) +
			", sign in from a browser you have used with Kindred before, or reset your password."
		p.Form = web.Form{Values: values, Errors: map[string]string{"password": "Sign-ins are paused for now."}, Message: msg}
		return h.r.Render(c, http.StatusTooManyRequests, TplSignIn, p)
	case errors.Is(err, ErrBadCredentials):
		v := models.NewValidationError()
		v.Message = "That handle or e-mail and password do not match an account."
		v.Add("password", "Check your password, or reset it.")
		return h.r.RenderForm(c, TplSignIn, h.page(c, "Sign in"), values, v)
	case errors.Is(err, ErrAccountSuspended):
		v := models.NewValidationError()
		v.Message = "This account is suspended. You will be able to sign in again when the suspension ends."
		v.Add("login", "Account suspended.")
		p := h.page(c, "Sign in")
		p.Form = web.Form{Values: values, Errors: v.Fields, Message: v.Message}
		p.Data = struct{ Suspended bool }{true}
		return h.r.Render(c, http.StatusForbidden, TplSignIn, p)
	case err != nil:
		return err
	}
	return h.afterFirstFactor(c, u, token, next, cl)
}

// minutesText says how long d is, in whole minutes (at least one).
func minutesText(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return "a minute"
	}
	return strconv.Itoa(m) + " minutes"
}

// SignOut ends the session on the server and clears the cookie. A session
// that began at a provider offering logout ends there too: the browser
// goes to the provider and comes back to /signed-out.
func (h *Handlers) SignOut(c echo.Context) error {
	to := "/"
	if s := web.CurrentSession(c); s != nil {
		if u := h.svc.ProviderLogoutURL(c.Request().Context(), s, h.svc.opts.BaseURL+"/signed-out"); u != "" {
			to = u
		}
		if err := h.svc.SignOut(c.Request().Context(), s); err != nil {
			return err
		}
	}
	h.cookies.Clear(c, web.SessionCookie)
	h.cookies.SetFlash(c, "You are signed out.")
	if to != "/" {
		return c.Redirect(http.StatusSeeOther, to)
	}
	return web.Redirect(c, to)
}

type settingsData struct {
	Languages      []struct{ Code, Name string }
	Sessions       []models.Session
	CurrentSession int64
	Tokens         []models.APIToken
	HasPassword    bool
	TimeZones      []string // offered in the time-zone field (any IANA name is taken)
	SSOOnly        bool
	Methods        []SignInMethod // the providers the account signs in with
	Linkable       []web.Provider // providers switched on that it could add
}

// commonTimeZones are offered first in the settings: where Kindred's
// members mostly live, then other large ones.
var commonTimeZones = []string{
	"America/St_Johns", "America/Halifax", "America/Moncton", "America/Toronto", "America/Montreal", "America/Winnipeg",
	"America/Regina", "America/Edmonton", "America/Vancouver", "America/Whitehorse", "America/Yellowknife", "America/Iqaluit",
	"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage",
	"Pacific/Honolulu", "America/Mexico_City", "America/Sao_Paulo", "Europe/London", "Europe/Dublin", "Europe/Paris",
	"Europe/Brussels", "Europe/Zurich", "Europe/Berlin", "Europe/Madrid", "Europe/Rome", "Africa/Casablanca", "Africa/Abidjan",
	"Africa/Dakar", "Africa/Lagos", "Africa/Nairobi", "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
	"Pacific/Auckland", "UTC",
}

func (h *Handlers) settingsPage(c echo.Context) (*web.Page, error) {
	u := web.CurrentUser(c)
	ctx := c.Request().Context()
	sessions, err := h.svc.Sessions(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	tokens, err := h.svc.APITokens(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	methods, err := h.svc.SignInMethods(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	p := h.page(c, "Account settings")
	p.Noindex = true
	d := settingsData{Languages: Languages, Sessions: sessions, CurrentSession: web.CurrentSession(c).ID, Tokens: tokens, HasPassword: u.PasswordHash != nil,
		TimeZones: commonTimeZones, SSOOnly: u.SSOOnly, Methods: methods}
	has := map[string]bool{}
	for _, m := range methods {
		has[m.Provider] = m.Configured
	}
	for _, e := range h.svc.Externals() {
		if !has[e.Key] {
			d.Linkable = append(d.Linkable, web.Provider{Key: e.Key, Label: e.Label})
		}
	}
	p.Data = d
	p.Form.Values["handle"] = u.Handle
	p.Form.Values["language"], p.Form.Values["region"] = u.Language, u.Region
	if e := u.ShownEmail(); e != "" {
		p.Form.Values["email"] = e
	}
	return p, nil
}

// Settings shows handle, e-mail, password, sessions and API tokens.
func (h *Handlers) Settings(c echo.Context) error {
	p, err := h.settingsPage(c)
	if err != nil {
		return err
	}
	return h.r.Render(c, http.StatusOK, TplSettings, p)
}

// settingsError re-shows the settings page with one form's errors.
func (h *Handlers) settingsError(c echo.Context, values map[string]string, err error) error {
	status := http.StatusUnprocessableEntity
	var verr *models.ValidationError
	var ferr *models.ForbiddenError
	switch {
	case errors.As(err, &ferr):
		verr, status = &models.ValidationError{Message: ferr.Message}, http.StatusForbidden
	case !errors.As(err, &verr):
		return err
	}
	p, perr := h.settingsPage(c)
	if perr != nil {
		return perr
	}
	for k, v := range values {
		p.Form.Values[k] = v
	}
	p.Form.Errors = verr.Fields
	p.Form.Message = verr.Message
	return h.r.Render(c, status, TplSettings, p)
}

// ChangeHandle renames the account.
func (h *Handlers) ChangeHandle(c echo.Context) error {
	handle := c.FormValue("handle")
	if err := h.svc.ChangeHandle(c.Request().Context(), web.CurrentUser(c), handle); err != nil {
		return h.settingsError(c, map[string]string{"handle": handle}, err)
	}
	h.cookies.SetFlash(c, "Your handle is now "+handle+".")
	return web.Redirect(c, "/account")
}

// ChangeEmail sets a new address and sends a verification link to it.
func (h *Handlers) ChangeEmail(c echo.Context) error {
	// The address receives password-reset links: whoever changes it must
	// have proved who they are recently, not merely hold a session.
	if !h.svc.Fresh(web.CurrentSession(c)) {
		return web.Redirect(c, "/reauth?next="+url.QueryEscape("/account"))
	}
	email := c.FormValue("email")
	if err := h.svc.ChangeEmail(c.Request().Context(), web.CurrentUser(c), email); err != nil {
		return h.settingsError(c, map[string]string{"email": email}, err)
	}
	h.cookies.SetFlash(c, "Saved. Check your inbox for a link to confirm the address.")
	return web.Redirect(c, "/account")
}

// ResendVerification sends another verification e-mail.
func (h *Handlers) ResendVerification(c echo.Context) error {
	if err := h.svc.ResendVerification(c.Request().Context(), web.CurrentUser(c), client(c)); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "We have sent another confirmation e-mail.")
	return web.Redirect(c, "/account")
}

// ChangePassword sets a new password and ends every other session.
func (h *Handlers) ChangePassword(c echo.Context) error {
	// Setting a first password has no current one to check: the member
	// proves who they are another way first.
	if u := web.CurrentUser(c); u.PasswordHash == nil && !u.SSOOnly && !h.svc.Fresh(web.CurrentSession(c)) {
		return web.Redirect(c, "/reauth?next="+url.QueryEscape("/account#password"))
	}
	token, tokens, err := h.svc.ChangePassword(c.Request().Context(), web.CurrentUser(c), c.FormValue("current_password"), c.FormValue("new_password"), client(c))
	if err != nil {
		return h.settingsError(c, nil, err)
	}
	h.signIn(c, token)
	msg := "Password changed. You have been signed out everywhere else."
	if tokens > 0 {
		msg += " Your API tokens were revoked too: make new ones for your scripts."
	}
	h.cookies.SetFlash(c, msg)
	return web.Redirect(c, "/account")
}

// RevokeSession ends one session; ending the current one signs out.
func (h *Handlers) RevokeSession(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	u := web.CurrentUser(c)
	if err := h.svc.RevokeSession(c.Request().Context(), u.ID, id); err != nil {
		return err
	}
	if id == web.CurrentSession(c).ID {
		h.cookies.Clear(c, web.SessionCookie)
		h.cookies.SetFlash(c, "You are signed out.")
		return web.Redirect(c, "/")
	}
	h.cookies.SetFlash(c, "That session has been signed out.")
	return web.Redirect(c, "/account#sessions")
}

// RevokeOtherSessions signs out every other browser.
func (h *Handlers) RevokeOtherSessions(c echo.Context) error {
	n, err := h.svc.RevokeOtherSessions(c.Request().Context(), web.CurrentUser(c).ID, web.CurrentSession(c).ID)
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Signed out "+strconv.FormatInt(n, 10)+" other session(s).")
	return web.Redirect(c, "/account#sessions")
}

// CreateToken makes an API token and shows it once.
func (h *Handlers) CreateToken(c echo.Context) error {
	f := TokenForm{Name: c.FormValue("name"), Scope: c.FormValue("scope")}
	if d := c.FormValue("expires_in_days"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			n = -1 // refused by Validate with its message
		}
		f.ExpiresInDays = n
	}
	if u := web.CurrentUser(c); !u.SSOOnly && !h.svc.Fresh(web.CurrentSession(c)) {
		return web.Redirect(c, "/reauth?next="+url.QueryEscape("/account#tokens"))
	}
	t, raw, err := h.svc.CreateAPIToken(c.Request().Context(), web.CurrentUser(c), f)
	if err != nil {
		return h.settingsError(c, map[string]string{"token_name": f.Name}, err)
	}
	p := h.page(c, "Your new API token")
	p.Noindex = true
	p.Data = struct {
		Token *models.APIToken
		Raw   string
	}{t, raw}
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.r.Render(c, http.StatusCreated, TplTokenCreated, p)
}

// RevokeToken deletes an API token.
func (h *Handlers) RevokeToken(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.RevokeAPIToken(c.Request().Context(), web.CurrentUser(c).ID, id); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Token revoked.")
	return web.Redirect(c, "/account#tokens")
}

// VerifyPage asks the owner to confirm: a GET must not use up the link,
// because mail scanners open links before people do.
func (h *Handlers) VerifyPage(c echo.Context) error {
	token := c.QueryParam("token")
	if err := h.svc.CheckLink(c.Request().Context(), models.PurposeVerifyEmail, token); err != nil {
		return h.linkError(c, err)
	}
	p := h.page(c, "Confirm your e-mail address")
	p.Noindex = true
	p.Form.Values["token"] = token
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.r.Render(c, http.StatusOK, TplVerify, p)
}

// Verify confirms the address.
func (h *Handlers) Verify(c echo.Context) error {
	if _, err := h.svc.VerifyEmail(c.Request().Context(), c.FormValue("token")); err != nil {
		return h.linkError(c, err)
	}
	h.cookies.SetFlash(c, "Thank you: your e-mail address is confirmed.")
	if web.CurrentUser(c) != nil {
		return web.Redirect(c, "/account")
	}
	return web.Redirect(c, "/signin")
}

func (h *Handlers) linkError(c echo.Context, err error) error {
	if !errors.Is(err, ErrLinkInvalid) {
		return err
	}
	return h.message(c, http.StatusGone, message{
		Heading: "This link no longer works",
		Text:    "Links we e-mail work once and expire. You can ask for a new one.",
		Link:    "/password/forgot", LinkText: "Reset your password",
	})
}

// ForgotPage asks for the account's e-mail address.
func (h *Handlers) ForgotPage(c echo.Context) error {
	return h.r.Render(c, http.StatusOK, TplForgot, h.page(c, "Reset your password"))
}

// Forgot queues a reset e-mail. The answer never says whether the address
// has an account.
func (h *Handlers) Forgot(c echo.Context) error {
	email := c.FormValue("email")
	err := h.svc.RequestPasswordReset(c.Request().Context(), email, client(c))
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.r.RenderForm(c, TplForgot, h.page(c, "Reset your password"), map[string]string{"email": email}, verr)
	}
	if err != nil {
		return err
	}
	return h.message(c, http.StatusOK, message{
		Heading: "Check your inbox",
		Text:    "If an account uses that address, we have sent it a link to choose a new password. The link works for one hour.",
	})
}

// ResetPage shows the new-password form for a live link.
func (h *Handlers) ResetPage(c echo.Context) error {
	token := c.QueryParam("token")
	if err := h.svc.CheckLink(c.Request().Context(), models.PurposeResetPassword, token); err != nil {
		return h.linkError(c, err)
	}
	p := h.page(c, "Choose a new password")
	p.Noindex = true
	p.Form.Values["token"] = token
	c.Response().Header().Set("Cache-Control", "no-store")
	return h.r.Render(c, http.StatusOK, TplReset, p)
}

// Reset sets the new password and signs in.
func (h *Handlers) Reset(c echo.Context) error {
	token := c.FormValue("token")
	cl := client(c)
	u, session, err := h.svc.ResetPassword(c.Request().Context(), token, c.FormValue("password"), cl)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		p := h.page(c, "Choose a new password")
		p.Noindex = true
		return h.r.RenderForm(c, TplReset, p, map[string]string{"token": token}, verr)
	}
	if err != nil {
		return h.linkError(c, err)
	}
	h.cookies.SetFlash(c, "Your password is changed, and every other session is signed out.")
	if session != "" {
		return h.afterFirstFactor(c, u, session, "/", cl)
	}
	return web.Redirect(c, "/")
}

type adminUsersData struct {
	Users     []AdminUser
	Query     string
	Provider  string         // the sign-in method filter ("" all, "password", or a provider key)
	Providers []web.Provider // the providers switched on
	Page      int
	Pages     int
	Total     int64
	Roles     []models.Role
	PrevURL   string
	NextURL   string
}

const usersPerPage = 50

// AdminUsers lists accounts with their roles, for admins.
func (h *Handlers) AdminUsers(c echo.Context) error {
	q := c.QueryParam("q")
	page, err := web.PageParam(c, "page", 0)
	if err != nil {
		return err
	}
	provider := c.QueryParam("provider")
	users, total, err := h.svc.Users(c.Request().Context(), q, provider, page, usersPerPage)
	if err != nil {
		return err
	}
	if last := int((total + usersPerPage - 1) / usersPerPage); page > max(last, 1) {
		return web.PageError("page", max(last, 1))
	}
	if len(users) > 0 {
		ids := make([]int64, len(users))
		for i := range users {
			ids[i] = users[i].ID
		}
		st, err := h.clinicianStatus(c.Request().Context(), ids)
		if err != nil {
			return err
		}
		for i := range users {
			users[i].Clinician = st[users[i].ID]
		}
	}
	pages := int((total + usersPerPage - 1) / usersPerPage)
	d := adminUsersData{Users: users, Query: q, Provider: provider, Page: page, Pages: pages, Total: total, Roles: []models.Role{models.RoleMember, models.RoleModerator, models.RoleAdmin}}
	for _, e := range h.svc.Externals() {
		d.Providers = append(d.Providers, web.Provider{Key: e.Key, Label: e.Label})
	}
	link := func(n int) string {
		return "/admin/users?" + url.Values{"q": {q}, "provider": {provider}, "page": {strconv.Itoa(n)}}.Encode()
	}
	if page > 1 {
		d.PrevURL = link(page - 1)
	}
	if page < pages {
		d.NextURL = link(page + 1)
	}
	p := h.page(c, "People and roles")
	p.Noindex = true
	p.Data = d
	return h.r.Render(c, http.StatusOK, TplAdminUsers, p)
}

// TplAdminHome is the admins' overview page.
const TplAdminHome = "pages/admin/index.html"

// AdminHome links every admin page.
func (h *Handlers) AdminHome(c echo.Context) error {
	p := h.page(c, "Administration")
	p.Noindex = true
	return h.r.Render(c, http.StatusOK, TplAdminHome, p)
}

// AdminSetRole changes one account's role.
func (h *Handlers) AdminSetRole(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	role := models.Role(c.FormValue("role"))
	if err := h.svc.SetRole(c.Request().Context(), web.CurrentUser(c), id, role, c.FormValue("reason")); err != nil {
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			h.cookies.SetFlash(c, verr.Fields["role"])
			return web.Redirect(c, "/admin/users")
		}
		return err
	}
	h.cookies.SetFlash(c, "Role changed to "+string(role)+".")
	return web.Redirect(c, "/admin/users")
}

// AdminSetReviewer grants or takes away the credential-reviewer permission.
func (h *Handlers) AdminSetReviewer(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	on := c.FormValue("reviewer") == "on"
	if err := h.svc.SetReviewer(c.Request().Context(), web.CurrentUser(c), id, on); err != nil {
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			h.cookies.SetFlash(c, verr.Fields["reviewer"])
			return web.Redirect(c, "/admin/users")
		}
		return err
	}
	if on {
		h.cookies.SetFlash(c, "They may now review clinician credentials.")
	} else {
		h.cookies.SetFlash(c, "They may no longer review clinician credentials.")
	}
	return web.Redirect(c, "/admin/users")
}

// AdminSetSSOOnly allows, or forbids again, a local password and API
// tokens on an account its provider made SSO-only.
func (h *Handlers) AdminSetSSOOnly(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	on := c.FormValue("sso_only") == "on"
	if err := h.svc.SetSSOOnly(c.Request().Context(), web.CurrentUser(c), id, on); err != nil {
		return err
	}
	if on {
		h.cookies.SetFlash(c, "They now sign in only through their organisation: no password, no API tokens.")
	} else {
		h.cookies.SetFlash(c, "They may now set a password and create API tokens.")
	}
	return web.Redirect(c, "/admin/users")
}

// ChangeProfileVisibility sets who may open the member's profile.
func (h *Handlers) ChangeProfileVisibility(c echo.Context) error {
	vis := models.ProfileVisibility(c.FormValue("profile_visibility"))
	if err := h.svc.SetProfileVisibility(c.Request().Context(), web.CurrentUser(c), vis); err != nil {
		return h.settingsError(c, nil, err)
	}
	h.cookies.SetFlash(c, "Your profile setting is saved.")
	return web.Redirect(c, "/account#profile")
}

// ClientOf is the request's client (IP, user agent) for rate limits and
// session records, for other packages' sign-in checks.
func ClientOf(c echo.Context) Client { return client(c) }
