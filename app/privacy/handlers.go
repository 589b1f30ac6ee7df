package privacy

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Templates.
const (
	TplDelete     = "pages/privacy/delete.html"
	TplAdminErase = "pages/privacy/admin_erase.html"
)

// Templates lists the pages for the renderer.
var Templates = []string{TplDelete, TplAdminErase}

// Handlers serve the erasure pages and API.
type Handlers struct {
	svc     *Service
	r       *web.Renderer
	cookies web.Cookies
	// fresh reports whether the member proved who they are recently
	// (app/auth's re-authentication window).
	fresh func(echo.Context) bool
}

// NewHandlers wires the handlers.
func NewHandlers(svc *Service, r *web.Renderer, cookies web.Cookies, fresh func(echo.Context) bool) *Handlers {
	return &Handlers{svc: svc, r: r, cookies: cookies, fresh: fresh}
}

type deleteData struct {
	GraceDays           int
	KeepQuestionRecords bool
}

func (h *Handlers) renderDelete(c echo.Context, status int, values map[string]string, err error) error {
	p := h.r.NewPage(c, "Delete your account")
	p.Noindex = true
	p.Data = deleteData{GraceDays: int(h.svc.opts.Grace.Hours() / 24), KeepQuestionRecords: h.svc.opts.KeepQuestionRecords}
	p.Form.Keep(values, err)
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return h.r.Render(c, status, TplDelete, p)
}

// DeletePage explains erasure and asks what to do with the posts.
func (h *Handlers) DeletePage(c echo.Context) error {
	return h.renderDelete(c, http.StatusOK, nil, nil)
}

// Delete schedules the member's erasure: it needs a recent proof of
// identity and a ticked confirmation; the member is signed out everywhere.
func (h *Handlers) Delete(c echo.Context) error {
	if !h.fresh(c) {
		return web.Redirect(c, "/reauth?next="+url.QueryEscape("/account/delete"))
	}
	mode, confirm := c.FormValue("mode"), c.FormValue("confirm") == "on"
	values := map[string]string{"mode": mode, "confirm": c.FormValue("confirm")}
	if !confirm {
		v := models.NewValidationError()
		v.Add("confirm", "Tick this box to confirm that you want your account deleted.")
		if !validMode(mode) {
			v.Add("mode", "Choose what happens to your posts: deleted, or kept without your name.")
		}
		return h.renderDelete(c, http.StatusUnprocessableEntity, values, v)
	}
	p, err := h.svc.Request(c.Request().Context(), web.Actor(c), mode)
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve), errors.As(err, &ce):
		if ce != nil {
			v := models.NewValidationError()
			v.Message = ce.Message
			v.Add("mode", ce.Message)
			err = v
		}
		return h.renderDelete(c, http.StatusUnprocessableEntity, values, err)
	case err != nil:
		return err
	}
	h.cookies.SetFlash(c, "You are signed out everywhere. Your account will be deleted on "+p.DueAt.Format("2 January 2006")+
		". If you change your mind, sign in before then and nothing will be deleted.")
	return web.Redirect(c, "/")
}

type adminEraseData struct {
	ID     int64
	Handle string
}

// AdminErasePage asks an admin to confirm erasing an account.
func (h *Handlers) AdminErasePage(c echo.Context) error {
	return h.renderAdminErase(c, http.StatusOK, nil, nil)
}

func (h *Handlers) renderAdminErase(c echo.Context, status int, values map[string]string, err error) error {
	id, perr := strconv.ParseInt(c.Param("id"), 10, 64)
	if perr != nil || id <= 0 {
		return models.ErrNotFound
	}
	var d adminEraseData
	if err := h.svc.db.Gorm.WithContext(c.Request().Context()).Raw(`SELECT id, handle FROM users WHERE id = ? AND status <> 'erased'`, id).Scan(&d).Error; err != nil {
		return err
	}
	if d.ID == 0 {
		return models.ErrNotFound
	}
	p := h.r.NewPage(c, "Erase "+d.Handle)
	p.Noindex = true
	p.Data = d
	p.Form.Keep(values, err)
	return h.r.Render(c, status, TplAdminErase, p)
}

// AdminErase erases an account at once, on the member's request to an
// admin, with a reason.
func (h *Handlers) AdminErase(c echo.Context) error {
	if !h.fresh(c) {
		return web.Redirect(c, "/reauth?next="+url.QueryEscape(c.Request().URL.Path))
	}
	id, perr := strconv.ParseInt(c.Param("id"), 10, 64)
	if perr != nil || id <= 0 {
		return models.ErrNotFound
	}
	mode, reason := c.FormValue("mode"), c.FormValue("reason")
	err := h.svc.EraseNow(c.Request().Context(), web.Actor(c), id, mode, reason)
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		return h.renderAdminErase(c, http.StatusUnprocessableEntity, map[string]string{"mode": mode, "reason": reason}, err)
	case errors.As(err, &ce):
		h.cookies.SetFlash(c, ce.Message)
	case err != nil:
		return err
	default:
		h.cookies.SetFlash(c, "The account is erased. The audit log keeps your reason under a pseudonymous id.")
	}
	return web.Redirect(c, "/admin/users")
}

// APIStatus is GET /api/v1/me/erasure: {"pending": null or {mode, requested_at, due_at}}.
func (h *Handlers) APIStatus(c echo.Context) error {
	p, err := h.svc.PendingFor(c.Request().Context(), web.Actor(c).ID())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"pending": p})
}
