package moderation

import (
	"errors"
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

type safetyData struct {
	Words     []safety.Word
	Actions   []string
	Resources []CrisisResource
	Guidance  string
	Tried     *Tried
	TryMax    int
}

// renderSafetyPage shows the admins' safety page, with what a tried text
// set off when tried is not nil. The tried text is only ever echoed back
// into the form, never stored.
func (h *Handlers) renderSafetyPage(c echo.Context, status int, err error, tried *Tried) error {
	ctx := c.Request().Context()
	words, werr := h.svc.Words(ctx)
	if werr != nil {
		return werr
	}
	resources, rerr := h.svc.CrisisResourceList(ctx)
	if rerr != nil {
		return rerr
	}
	guidance, gerr := h.svc.UrgentGuidance(ctx)
	if gerr != nil {
		return gerr
	}
	p := h.r.NewPage(c, "Safety")
	p.Noindex = true
	p.Data = safetyData{Words: words, Actions: safety.Actions, Resources: resources, Guidance: guidance, Tried: tried, TryMax: TryTextMax}
	p.Form.Values = map[string]string{"text": c.FormValue("text")}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		for _, k := range []string{"pattern", "action", "crisis_resources", "urgent_guidance"} {
			p.Form.Values[k] = c.FormValue(k)
		}
		p.Form.Errors, p.Form.Message = ve.Fields, ve.Message
	}
	return h.r.Render(c, status, TplSafety, p)
}

// TryText shows what the safety engine finds in a pasted text, and why.
func (h *Handlers) TryText(c echo.Context) error {
	tried, err := h.svc.TryText(c.Request().Context(), web.Actor(c), c.FormValue("text"))
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderSafetyPage(c, http.StatusUnprocessableEntity, err, nil)
	}
	if err != nil {
		return err
	}
	return h.renderSafetyPage(c, http.StatusOK, nil, tried)
}

// SaveUrgentGuidance replaces the emergency guidance.
func (h *Handlers) SaveUrgentGuidance(c echo.Context) error {
	err := h.svc.SaveUrgentGuidance(c.Request().Context(), web.Actor(c), c.FormValue("urgent_guidance"))
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderSafetyPage(c, http.StatusUnprocessableEntity, err, nil)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "The emergency guidance is saved.")
	return web.Redirect(c, "/admin/safety#guidance-title")
}

// crisisResourcesFor picks the crisis resources for the member's settings,
// or for a visitor's browser languages.
func (h *Handlers) crisisResourcesFor(c echo.Context) (string, error) {
	if u := web.CurrentUser(c); u != nil {
		return h.svc.CrisisResourcesFor(c.Request().Context(), u)
	}
	// The answer depends on the header: caches must keep one per language.
	c.Response().Header().Add("Vary", "Accept-Language")
	lang, region := web.PreferredLocale(c.Request().Header.Get("Accept-Language"))
	return h.svc.CrisisResourcesIn(c.Request().Context(), lang, region)
}

type resourceData struct {
	Resource *CrisisResource // nil: a new version
	Preview  template.HTML
}

func (h *Handlers) renderResource(c echo.Context, status int, r *CrisisResource, f CrisisResourceForm, err error) error {
	title := "New crisis resources"
	if r != nil {
		title = "Crisis resources: " + r.Locale()
	}
	p := h.r.NewPage(c, title)
	p.Noindex = true
	p.Data = resourceData{Resource: r}
	p.Form.Values = map[string]string{"language": f.Language, "region": f.Region, "text": f.Body}
	if f.IsDefault {
		p.Form.Values["default"] = "on"
	}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		p.Form.Errors, p.Form.Message = ve.Fields, ve.Message
	}
	return h.r.Render(c, status, TplResource, p)
}

func resourceForm(c echo.Context) CrisisResourceForm {
	return CrisisResourceForm{Language: c.FormValue("language"), Region: c.FormValue("region"), Body: c.FormValue("text"), IsDefault: c.FormValue("default") == "on"}
}

// NewResourcePage shows the form for another language or region.
func (h *Handlers) NewResourcePage(c echo.Context) error {
	return h.renderResource(c, http.StatusOK, nil, CrisisResourceForm{}, nil)
}

// EditResourcePage shows one version's form.
func (h *Handlers) EditResourcePage(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	r, err := h.svc.CrisisResource(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return h.renderResource(c, http.StatusOK, r, CrisisResourceForm{Language: r.Language, Region: r.Region, IsDefault: r.IsDefault, Body: r.Body}, nil)
}

// SaveResource adds a version (no :id) or changes one.
func (h *Handlers) SaveResource(c echo.Context) error {
	ctx := c.Request().Context()
	var id int64
	var cur *CrisisResource
	if c.Param("id") != "" {
		var err error
		if id, err = web.PathID(c, "id"); err != nil {
			return err
		}
		if cur, err = h.svc.CrisisResource(ctx, id); err != nil {
			return err
		}
	}
	f := resourceForm(c)
	r, err := h.svc.SaveCrisisResource(ctx, web.Actor(c), id, f)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderResource(c, http.StatusUnprocessableEntity, cur, f, err)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "The crisis resources for "+r.Locale()+" are saved.")
	return web.Redirect(c, "/admin/safety#resources-title")
}

// DeleteResourcePage asks before a version is deleted.
func (h *Handlers) DeleteResourcePage(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	r, err := h.svc.CrisisResource(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if r.IsDefault {
		return ErrDeleteDefault
	}
	p := h.r.NewPage(c, "Delete the crisis resources for "+r.Locale()+"?")
	p.Noindex = true
	p.Data = resourceData{Resource: r}
	return h.r.Render(c, http.StatusOK, TplResourceDelete, p)
}

// DeleteResource deletes a version that is not the default.
func (h *Handlers) DeleteResource(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	err = h.svc.DeleteCrisisResource(c.Request().Context(), web.Actor(c), id)
	var ce *models.ConflictError
	if errors.As(err, &ce) {
		h.cookies.SetFlash(c, ce.Message)
		return web.Redirect(c, "/admin/safety#resources-title")
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Deleted. Members who had that version now see the closest other one.")
	return web.Redirect(c, "/admin/safety#resources-title")
}
