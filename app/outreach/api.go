package outreach

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
)

// API is the JSON API (bearer tokens; times in RFC 3339).
type API struct{ h *Handlers }

// NewAPI wires the API on the handlers' service.
func NewAPI(h *Handlers) *API { return &API{h: h} }

// List is GET /api/v1/announcements: what the caller's audience sees now
// (a visitor: the ones for everyone).
func (a *API) List(c echo.Context) error {
	list, err := a.h.svc.ForActor(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"announcements": list})
}

// Get is GET /api/v1/announcements/:id for its audience.
func (a *API) Get(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	x, err := a.h.svc.ListedOne(c.Request().Context(), web.Actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, x)
}

// Dismiss is POST /api/v1/announcements/:id/dismiss.
func (a *API) Dismiss(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.h.svc.Dismiss(c.Request().Context(), web.Actor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Undismiss is DELETE /api/v1/announcements/:id/dismiss: the card shows
// again.
func (a *API) Undismiss(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.h.svc.Undismiss(c.Request().Context(), web.Actor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Managed is GET /api/v1/moderation/announcements: every announcement the
// caller may manage.
func (a *API) Managed(c echo.Context) error {
	list, err := a.h.svc.Managed(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	if list == nil {
		list = []Announcement{}
	}
	return c.JSON(http.StatusOK, map[string]any{"announcements": list})
}

// ManagedOne is GET /api/v1/moderation/announcements/:id.
func (a *API) ManagedOne(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	x, err := a.h.svc.Manageable(c.Request().Context(), web.Actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, x)
}

// Create is POST /api/v1/moderation/announcements.
func (a *API) Create(c echo.Context) error {
	var f AnnouncementForm
	if err := c.Bind(&f); err != nil {
		return err
	}
	x, err := a.h.svc.Create(c.Request().Context(), web.Actor(c), f, time.UTC, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, x)
}

// Update is PUT /api/v1/moderation/announcements/:id (the whole form).
func (a *API) Update(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	var f AnnouncementForm
	if err := c.Bind(&f); err != nil {
		return err
	}
	x, err := a.h.svc.Update(c.Request().Context(), web.Actor(c), id, f, time.UTC, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, x)
}

// End is POST /api/v1/moderation/announcements/:id/end.
func (a *API) End(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.h.svc.End(c.Request().Context(), web.Actor(c), id, c.RealIP()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Delete is DELETE /api/v1/moderation/announcements/:id.
func (a *API) Delete(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.h.svc.Delete(c.Request().Context(), web.Actor(c), id, c.RealIP()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Campaigns is GET /api/v1/admin/campaigns.
func (a *API) Campaigns(c echo.Context) error {
	list, err := a.h.svc.Campaigns(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"campaigns": list})
}

// Campaign is GET /api/v1/admin/campaigns/:id with its links, threads and
// announcements.
func (a *API) Campaign(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	v, err := a.h.svc.Campaign(c.Request().Context(), web.Actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// CreateCampaign is POST /api/v1/admin/campaigns.
func (a *API) CreateCampaign(c echo.Context) error {
	var f CampaignForm
	if err := c.Bind(&f); err != nil {
		return err
	}
	x, err := a.h.svc.SaveCampaign(c.Request().Context(), web.Actor(c), 0, f, time.UTC, c.RealIP())
	if err != nil {
		return err
	}
	v, err := a.h.svc.Campaign(c.Request().Context(), web.Actor(c), x.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

// UpdateCampaign is PUT /api/v1/admin/campaigns/:id (the whole form; a
// link kept by its address keeps its clicks).
func (a *API) UpdateCampaign(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	var f CampaignForm
	if err := c.Bind(&f); err != nil {
		return err
	}
	if _, err := a.h.svc.SaveCampaign(c.Request().Context(), web.Actor(c), id, f, time.UTC, c.RealIP()); err != nil {
		return err
	}
	v, err := a.h.svc.Campaign(c.Request().Context(), web.Actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// DeleteCampaign is DELETE /api/v1/admin/campaigns/:id.
func (a *API) DeleteCampaign(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.h.svc.DeleteCampaign(c.Request().Context(), web.Actor(c), id, c.RealIP()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Stats is GET /api/v1/admin/campaigns/:id/stats: counts per day (UTC).
func (a *API) Stats(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	_, st, err := a.h.svc.Stats(c.Request().Context(), web.Actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}
