package privacy

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Consent templates.
const (
	TplConsent       = "pages/privacy/consent.html"
	TplDocument      = "pages/privacy/document.html"
	TplMyConsent     = "pages/privacy/my_consent.html"
	TplAdminPolicies = "pages/privacy/admin_policies.html"
)

func init() { Templates = append(Templates, TplConsent, TplDocument, TplMyConsent, TplAdminPolicies) }

type consentData struct {
	Terms, Privacy *Document
	Next           string
}

func (h *Handlers) renderConsent(c echo.Context, status int, values map[string]string, err error) error {
	ctx := c.Request().Context()
	terms, terr := h.svc.Current(ctx, ConsentTerms)
	priv, perr := h.svc.Current(ctx, ConsentPrivacy)
	if terr != nil || perr != nil {
		return errors.Join(terr, perr)
	}
	p := h.r.NewPage(c, "Before you go on")
	p.Noindex = true
	next := web.SafeNext(c.QueryParam("next"))
	if c.Request().Method == http.MethodPost {
		next = web.SafeNext(c.FormValue("next"))
	}
	p.Data = consentData{Terms: terms, Privacy: priv, Next: next}
	p.Form.Keep(values, err)
	return h.r.Render(c, status, TplConsent, p)
}

// ConsentPage asks for agreement to the newest terms and privacy notice
// and consent to processing health information.
func (h *Handlers) ConsentPage(c echo.Context) error {
	return h.renderConsent(c, http.StatusOK, nil, nil)
}

// Consent records the agreement.
func (h *Handlers) Consent(c echo.Context) error {
	agree, health := c.FormValue("agree") == "on", c.FormValue("health_consent") == "on"
	if !agree || !health {
		v := models.NewValidationError()
		v.Message = "Kindred can only hold what you write about your health with both."
		if !agree {
			v.Add("agree", "Tick this box to agree to the terms and the privacy notice.")
		}
		if !health {
			v.Add("health_consent", "Tick this box to consent to Kindred processing your health information.")
		}
		return h.renderConsent(c, http.StatusUnprocessableEntity, map[string]string{"agree": onOff(agree), "health_consent": onOff(health)}, v)
	}
	if err := h.svc.Agree(c.Request().Context(), h.svc.db.Gorm, web.Actor(c).ID()); err != nil {
		return err
	}
	return web.Redirect(c, web.SafeNext(c.FormValue("next")))
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return ""
}

// DocumentPage shows the newest terms or privacy notice to anyone.
func (h *Handlers) DocumentPage(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		d, err := h.svc.Current(c.Request().Context(), kind)
		if err != nil {
			return err
		}
		title := "Terms of use"
		if kind == ConsentPrivacy {
			title = "Privacy notice"
		}
		p := h.r.NewPage(c, title)
		p.Data = d
		return h.r.Render(c, http.StatusOK, TplDocument, p)
	}
}

type myConsentData struct {
	Records []Record
}

func (h *Handlers) renderMyConsent(c echo.Context, status int, values map[string]string, err error) error {
	recs, rerr := h.svc.Records(c.Request().Context(), web.Actor(c).ID())
	if rerr != nil {
		return rerr
	}
	p := h.r.NewPage(c, "Your consent")
	p.Noindex = true
	p.Data = myConsentData{Records: recs}
	p.Form.Keep(values, err)
	return h.r.Render(c, status, TplMyConsent, p)
}

// MyConsentPage lists the member's agreements and offers withdrawal.
func (h *Handlers) MyConsentPage(c echo.Context) error {
	return h.renderMyConsent(c, http.StatusOK, nil, nil)
}

// Withdraw withdraws the health-data consent, which schedules erasure.
func (h *Handlers) Withdraw(c echo.Context) error {
	if !h.fresh(c) {
		return web.Redirect(c, "/reauth?next=/account/consent")
	}
	mode := c.FormValue("mode")
	if c.FormValue("confirm") != "on" {
		v := models.NewValidationError()
		v.Add("confirm", "Tick this box to confirm: withdrawing this consent deletes your account.")
		return h.renderMyConsent(c, http.StatusUnprocessableEntity, map[string]string{"mode": mode}, v)
	}
	p, err := h.svc.WithdrawHealth(c.Request().Context(), web.Actor(c), mode)
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		return h.renderMyConsent(c, http.StatusUnprocessableEntity, map[string]string{"mode": mode, "confirm": "on"}, err)
	case errors.As(err, &ce):
		h.cookies.SetFlash(c, ce.Message)
		return web.Redirect(c, "/account/consent")
	case err != nil:
		return err
	}
	h.cookies.SetFlash(c, "Your consent is withdrawn and you are signed out everywhere. Your account will be deleted on "+p.DueAt.Format("2 January 2006")+
		". If you sign in before then, you will be asked for your consent again and nothing will be deleted.")
	return web.Redirect(c, "/")
}

type adminPoliciesData struct {
	Terms, Privacy *Document
}

func (h *Handlers) renderPolicies(c echo.Context, status int, values map[string]string, err error) error {
	ctx := c.Request().Context()
	terms, terr := h.svc.Current(ctx, ConsentTerms)
	priv, perr := h.svc.Current(ctx, ConsentPrivacy)
	if terr != nil || perr != nil {
		return errors.Join(terr, perr)
	}
	p := h.r.NewPage(c, "Terms and privacy notice")
	p.Noindex = true
	p.Data = adminPoliciesData{Terms: terms, Privacy: priv}
	if values == nil {
		values = map[string]string{"terms": terms.Body, "privacy": priv.Body}
	}
	p.Form.Keep(values, err)
	return h.r.Render(c, status, TplAdminPolicies, p)
}

// PoliciesPage lets admins edit the terms and the privacy notice.
func (h *Handlers) PoliciesPage(c echo.Context) error {
	return h.renderPolicies(c, http.StatusOK, nil, nil)
}

// Publish publishes a new version of one document.
func (h *Handlers) Publish(c echo.Context) error {
	kind := c.Param("kind")
	body := c.FormValue("body")
	d, err := h.svc.Publish(c.Request().Context(), web.Actor(c), kind, body)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		f := map[string]string{kind: body}
		ve.Fields = map[string]string{kind: ve.Fields["body"]}
		return h.renderPolicies(c, http.StatusUnprocessableEntity, f, ve)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Version "+itoa(d.Version)+" is published. Every member is asked to agree to it at their next page.")
	return web.Redirect(c, "/admin/policies")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// APIConsent is GET /api/v1/me/consent.
func (h *Handlers) APIConsent(c echo.Context) error {
	ctx := c.Request().Context()
	uid := web.Actor(c).ID()
	needs, err := h.svc.Needs(ctx, uid)
	if err != nil {
		return err
	}
	terms, terr := h.svc.Current(ctx, ConsentTerms)
	priv, perr := h.svc.Current(ctx, ConsentPrivacy)
	if terr != nil || perr != nil {
		return errors.Join(terr, perr)
	}
	recs, err := h.svc.Records(ctx, uid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"required": needs, "terms_version": terms.Version, "privacy_version": priv.Version,
		"terms_url": "/terms", "privacy_url": "/privacy", "records": recs})
}

// APIAgree is POST /api/v1/me/consent {"agree_terms_and_privacy": true, "health_data": true}.
func (h *Handlers) APIAgree(c echo.Context) error {
	var f struct {
		Agree  bool `json:"agree_terms_and_privacy"`
		Health bool `json:"health_data"`
	}
	if err := c.Bind(&f); err != nil {
		return err
	}
	if !f.Agree || !f.Health {
		v := models.NewValidationError()
		if !f.Agree {
			v.Add("agree_terms_and_privacy", "Agree to the terms and the privacy notice (true).")
		}
		if !f.Health {
			v.Add("health_data", "Consent to Kindred processing your health information (true).")
		}
		return v
	}
	if err := h.svc.Agree(c.Request().Context(), h.svc.db.Gorm, web.Actor(c).ID()); err != nil {
		return err
	}
	return h.APIConsent(c)
}
