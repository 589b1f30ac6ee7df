package moderation

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/app/web"
)

type analyzedJSON struct {
	safety.Report
	// HTML is the text, escaped, with <mark> around the evidence.
	HTML string `json:"html"`
}

// Analyze runs the safety engine over {"text"} and answers its report and
// the text with the evidence marked. Nothing is stored or logged.
func (a *API) Analyze(c echo.Context) error {
	var in struct {
		Text string `json:"text"`
	}
	if err := c.Bind(&in); err != nil {
		return err // the Binder names what is wrong
	}
	t, err := a.h.svc.TryText(c.Request().Context(), web.Actor(c), in.Text)
	if err != nil {
		return err
	}
	if t.Report.Findings == nil {
		t.Report.Findings = []safety.Finding{}
	}
	return c.JSON(http.StatusOK, analyzedJSON{Report: t.Report, HTML: string(t.HTML)})
}

// CrisisResources lists every version of the crisis resources.
func (a *API) CrisisResources(c echo.Context) error {
	list, err := a.h.svc.CrisisResourceList(c.Request().Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []CrisisResource{}
	}
	return c.JSON(http.StatusOK, map[string]any{"crisis_resources": list})
}

// SaveCrisisResource adds (POST) or replaces (PUT …/:id) a version:
// {"language","region","default","text"}.
func (a *API) SaveCrisisResource(c echo.Context) error {
	var id int64
	status := http.StatusCreated
	if c.Param("id") != "" {
		var err error
		if id, err = web.PathID(c, "id"); err != nil {
			return err
		}
		status = http.StatusOK
	}
	var f CrisisResourceForm
	if err := c.Bind(&f); err != nil {
		return err // the Binder names what is wrong
	}
	r, err := a.h.svc.SaveCrisisResource(c.Request().Context(), web.Actor(c), id, f)
	if err != nil {
		return err
	}
	return c.JSON(status, r)
}

// DeleteCrisisResource deletes a version that is not the default (409 for
// the default).
func (a *API) DeleteCrisisResource(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.h.svc.DeleteCrisisResource(c.Request().Context(), web.Actor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// MyCrisisResources is the version for the caller: their settings, or
// for a visitor the request's Accept-Language.
func (a *API) MyCrisisResources(c echo.Context) error {
	text, err := a.h.crisisResourcesFor(c)
	if err != nil {
		return err
	}
	html, err := a.h.md.Render(text)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"text": text, "html": html})
}

// UrgentGuidance is the emergency guidance text: {"urgent_guidance"}.
func (a *API) UrgentGuidance(c echo.Context) error {
	text, err := a.h.svc.UrgentGuidance(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"urgent_guidance": text})
}

// SaveUrgentGuidance replaces it: {"urgent_guidance"}.
func (a *API) SaveUrgentGuidance(c echo.Context) error {
	var in struct {
		Text string `json:"urgent_guidance"`
	}
	if err := c.Bind(&in); err != nil {
		return err // the Binder names what is wrong
	}
	if err := a.h.svc.SaveUrgentGuidance(c.Request().Context(), web.Actor(c), in.Text); err != nil {
		return err
	}
	return a.UrgentGuidance(c)
}
