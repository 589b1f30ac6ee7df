package forums

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
)

// pinFlash is what the thread page says after a pin change.
func pinFlash(global, on bool) string {
	switch {
	case global && on:
		return "Pinned on the home page, for everyone who may read this forum."
	case global:
		return "No longer pinned on the home page."
	case on:
		return "Pinned at the top of the forum."
	}
	return "No longer pinned in the forum."
}

// Pin answers the thread page's pin buttons (POST /t/:id/pin, /unpin,
// /pin-global, /unpin-global): the change, then back to the thread.
func (h *Handlers) Pin(global, on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		v, id, err := h.viewerAndID(c)
		if err != nil {
			return err
		}
		if err := h.svc.SetPin(c.Request().Context(), v, id, global, on); err != nil {
			return err
		}
		h.cookies.SetFlash(c, pinFlash(global, on))
		return web.Redirect(c, "/t/"+strconv.FormatInt(id, 10))
	}
}

// Pin is PUT (on) or DELETE /api/v1/threads/:id/pin and …/pin/global:
// the thread as it is afterwards.
func (a *API) Pin(global, on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		v, id, err := a.h.viewerAndID(c)
		if err != nil {
			return err
		}
		if err := a.h.svc.SetPin(c.Request().Context(), v, id, global, on); err != nil {
			return err
		}
		return a.threadJSON(c, v, id, http.StatusOK)
	}
}

// GlobalPins is GET /api/v1/pinned: the threads pinned on the home page
// that the caller may read.
func (a *API) GlobalPins(c echo.Context) error {
	v, err := a.h.viewer(c)
	if err != nil {
		return err
	}
	rows, err := a.h.svc.GlobalPins(c.Request().Context(), v)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []ThreadRow{}
	}
	return c.JSON(http.StatusOK, map[string]any{"threads": rows})
}
