package notify

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Templates of the e-mail settings pages.
const (
	TplEmailSettings = "pages/notifications/email.html"
	TplUnsubscribe   = "pages/notifications/unsubscribe.html"
)

// MailHandlers serve e-mail preferences, unsubscribe links and the
// bounce webhook.
type MailHandlers struct {
	mail         *Mail
	r            *web.Renderer
	cookies      web.Cookies
	webhookToken string
}

// NewMailHandlers wires the handlers; webhookToken "" turns the webhook off.
func NewMailHandlers(mail *Mail, r *web.Renderer, cookies web.Cookies, webhookToken string) *MailHandlers {
	return &MailHandlers{mail: mail, r: r, cookies: cookies, webhookToken: webhookToken}
}

// shownCategories are the categories a member is offered: clinician ones
// to members who hold or applied for a badge, staff ones to admins and
// reviewers.
func (m *Mail) shownCategories(ctx context.Context, a models.Actor) ([]Category, error) {
	applied := a.Clinician
	if !applied {
		if err := m.db.Gorm.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM credentials WHERE user_id = ?)`, a.ID()).Scan(&applied).Error; err != nil {
			return nil, err
		}
	}
	var out []Category
	for _, c := range Categories {
		switch c.For {
		case "clinician":
			if !applied {
				continue
			}
		case "staff":
			if !a.IsAdmin() && !a.User.Reviewer {
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

type settingsData struct {
	Rows       []settingsRow
	Suppressed *Suppression
	HasEmail   bool
	DigestHour int
}

type settingsRow struct {
	Key, Label string
	Options    []modeOption
}

type modeOption struct {
	Value, Label string
}

// ModeLabel is how the settings page names a mode.
func ModeLabel(m string) string {
	switch m {
	case ModeImmediately:
		return "At once"
	case ModeDaily:
		return "Daily summary"
	case ModeWeekly:
		return "Weekly summary"
	}
	return "Never"
}

func (h *MailHandlers) settings(c echo.Context, values map[string]string, verr *models.ValidationError) error {
	ctx := c.Request().Context()
	u := web.CurrentUser(c)
	cats, err := h.mail.shownCategories(ctx, web.Actor(c))
	if err != nil {
		return err
	}
	sup, err := h.mail.SuppressionOf(ctx, u.ID)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "E-mail notifications")
	p.Noindex = true
	d := settingsData{Suppressed: sup, HasEmail: u.Email != nil && u.EmailVerifiedAt != nil, DigestHour: DigestHour}
	for _, cat := range cats {
		row := settingsRow{Key: cat.Key, Label: cat.Label}
		for _, m := range Modes {
			row.Options = append(row.Options, modeOption{m, ModeLabel(m)})
		}
		d.Rows = append(d.Rows, row)
	}
	p.Data = d
	if verr != nil {
		return h.r.RenderForm(c, TplEmailSettings, p, values, verr)
	}
	p.Form.Values = values
	return h.r.Render(c, http.StatusOK, TplEmailSettings, p)
}

// SettingsPage shows the member's e-mail choices.
func (h *MailHandlers) SettingsPage(c echo.Context) error {
	modes, err := h.mail.Preferences(c.Request().Context(), web.CurrentUser(c).ID)
	if err != nil {
		return err
	}
	return h.settings(c, modes, nil)
}

// SaveSettings stores the choices of the categories shown.
func (h *MailHandlers) SaveSettings(c echo.Context) error {
	ctx := c.Request().Context()
	u := web.CurrentUser(c)
	cats, err := h.mail.shownCategories(ctx, web.Actor(c))
	if err != nil {
		return err
	}
	modes := map[string]string{}
	verr := models.NewValidationError()
	for _, cat := range cats {
		v := c.FormValue(cat.Key)
		if v == "" {
			continue
		}
		if !ValidMode(v) {
			verr.Add(cat.Key, "Choose how often to hear about this.")
		}
		modes[cat.Key] = v
	}
	if verr.OrNil() != nil {
		current, err := h.mail.Preferences(ctx, u.ID)
		if err != nil {
			return err
		}
		for k, v := range modes {
			if ValidMode(v) {
				current[k] = v
			}
		}
		return h.settings(c, current, verr)
	}
	if err := h.mail.SetPreferences(ctx, u.ID, modes); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Your e-mail choices are saved.")
	return web.Redirect(c, "/account/notifications")
}

// Resume lets mail go to the member's address again after a bounce.
func (h *MailHandlers) Resume(c echo.Context) error {
	if err := h.mail.ResumeFor(c.Request().Context(), web.CurrentUser(c).ID); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Kindred will e-mail your address again.")
	return web.Redirect(c, "/account/notifications")
}

type unsubscribeData struct {
	Valid  bool
	Done   bool
	Label  string
	Action string
}

// UnsubscribePage asks before turning e-mail off (a GET never changes
// anything: mail scanners open links).
func (h *MailHandlers) UnsubscribePage(c echo.Context) error {
	q := c.QueryParams()
	s, ok := h.mail.CheckUnsubscribe(q.Get("u"), q.Get("c"), q.Get("t"))
	p := h.r.NewPage(c, "Stop e-mails")
	p.Noindex = true
	status := http.StatusOK
	if !ok {
		status = http.StatusNotFound
	}
	v := url.Values{"u": {q.Get("u")}, "c": {q.Get("c")}, "t": {q.Get("t")}}
	p.Data = unsubscribeData{Valid: ok, Done: ok && q.Get("done") == "1", Label: s.Label, Action: "/email/unsubscribe?" + v.Encode()}
	return h.r.Render(c, status, TplUnsubscribe, p)
}

// Unsubscribe turns e-mail off from a link: RFC 8058 one-click (the mail
// client POSTs "List-Unsubscribe=One-Click", no cookie, no sign-in) or
// the button on the page. The signed link is the proof.
func (h *MailHandlers) Unsubscribe(c echo.Context) error {
	q := c.QueryParams()
	s, ok := h.mail.CheckUnsubscribe(q.Get("u"), q.Get("c"), q.Get("t"))
	if !ok {
		return c.String(http.StatusNotFound, "This unsubscribe link is not valid.\n")
	}
	if err := h.mail.Unsubscribe(c.Request().Context(), s); err != nil {
		return err
	}
	if c.FormValue("List-Unsubscribe") == "One-Click" {
		return c.String(http.StatusOK, "Unsubscribed.\n")
	}
	q.Set("done", "1")
	return c.Redirect(http.StatusSeeOther, "/email/unsubscribe?"+q.Encode())
}

type mailEvent struct {
	Address string `json:"address"`
	Type    string `json:"type"`
}

// Webhook takes a bounce or complaint from the mail provider:
// {"address": "…", "type": "bounce" | "complaint"}.
func (h *MailHandlers) Webhook(c echo.Context) error {
	if h.webhookToken == "" {
		return echo.ErrNotFound
	}
	got := c.Request().Header.Get(echo.HeaderAuthorization)
	if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+h.webhookToken)) != 1 {
		return web.ErrUnauthorized
	}
	var ev mailEvent
	if err := c.Bind(&ev); err != nil {
		return err
	}
	verr := models.NewValidationError()
	if !strings.Contains(ev.Address, "@") || len(ev.Address) > 320 {
		verr.Add("address", "Give the e-mail address that bounced or complained.")
	}
	if ev.Type != "bounce" && ev.Type != "complaint" {
		verr.Add("type", "Type is bounce or complaint.")
	}
	if err := verr.OrNil(); err != nil {
		return err
	}
	if _, err := h.mail.Suppress(c.Request().Context(), ev.Address, ev.Type); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type prefsJSON struct {
	Preferences map[string]string `json:"preferences"`
	Categories  []categoryJSON    `json:"categories"`
	Suppressed  *Suppression      `json:"suppressed"`
}

type categoryJSON struct {
	Key     string `json:"key"`
	Label   string `json:"label"`
	Default string `json:"default"`
}

func (h *MailHandlers) prefs(c echo.Context) error {
	ctx := c.Request().Context()
	u := web.CurrentUser(c)
	modes, err := h.mail.Preferences(ctx, u.ID)
	if err != nil {
		return err
	}
	sup, err := h.mail.SuppressionOf(ctx, u.ID)
	if err != nil {
		return err
	}
	out := prefsJSON{Preferences: modes, Suppressed: sup}
	for _, cat := range Categories {
		out.Categories = append(out.Categories, categoryJSON{cat.Key, cat.Label, cat.Default})
	}
	return c.JSON(http.StatusOK, out)
}

// APIPreferences returns every category's mode and whether mail stopped.
func (h *MailHandlers) APIPreferences(c echo.Context) error { return h.prefs(c) }

// APISetPreferences changes the modes given: {"preferences": {"followed": "weekly"}}.
func (h *MailHandlers) APISetPreferences(c echo.Context) error {
	var body struct {
		Preferences map[string]string `json:"preferences"`
	}
	if err := c.Bind(&body); err != nil {
		return err
	}
	if body.Preferences == nil {
		verr := models.NewValidationError()
		verr.Add("preferences", "Give the categories to change, each with immediately, daily, weekly or never.")
		return verr
	}
	if err := h.mail.SetPreferences(c.Request().Context(), web.CurrentUser(c).ID, body.Preferences); err != nil {
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			return verr
		}
		return err
	}
	return h.prefs(c)
}

// APIResume lets mail go to the member's address again.
func (h *MailHandlers) APIResume(c echo.Context) error {
	if err := h.mail.ResumeFor(c.Request().Context(), web.CurrentUser(c).ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
