package notify

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// TplNotifications is the notifications page.
const TplNotifications = "pages/notifications/index.html"

// PerPage is how many notifications a page shows.
const PerPage = 30

// Handlers serves the notifications page and API.
type Handlers struct {
	svc     *InApp
	r       *web.Renderer
	cookies web.Cookies
}

// NewHandlers wires the handlers.
func NewHandlers(svc *InApp, r *web.Renderer, cookies web.Cookies) *Handlers {
	return &Handlers{svc: svc, r: r, cookies: cookies}
}

func (h *Handlers) page(c echo.Context) ([]Item, int64, error) {
	before, err := web.CursorParam(c, "before")
	if err != nil {
		return nil, 0, err
	}
	items, err := h.svc.List(c.Request().Context(), web.CurrentUser(c).ID, before, PerPage+1)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(items) > PerPage {
		items = items[:PerPage]
		next = items[len(items)-1].ID
	}
	return items, next, nil
}

// Page lists the user's notifications, newest first.
func (h *Handlers) Page(c echo.Context) error {
	items, next, err := h.page(c)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Notifications")
	p.Noindex = true
	p.Data = struct {
		Items []Item
		Next  int64
	}{items, next}
	return h.r.Render(c, http.StatusOK, TplNotifications, p)
}

func id(c echo.Context) int64 {
	n, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	return n
}

// Open marks a notification read and goes to the post it is about.
func (h *Handlers) Open(c echo.Context) error {
	u := web.CurrentUser(c)
	if err := h.svc.MarkRead(c.Request().Context(), u.ID, id(c)); err != nil {
		// A list shown before may name a row that is gone (erased, or
		// renumbered before migration 00052). Opening it still reads the
		// thread's notifications.
		tid, perr := strconv.ParseInt(c.FormValue("thread"), 10, 64)
		if !errors.Is(err, models.ErrNotFound) || perr != nil || tid <= 0 {
			return err
		}
		if err := h.svc.MarkThreadRead(c.Request().Context(), u.ID, tid); err != nil {
			return err
		}
	}
	to := "/t/" + c.FormValue("thread")
	if _, err := strconv.ParseInt(c.FormValue("thread"), 10, 64); err != nil {
		to = "/notifications"
	}
	if pid, err := strconv.ParseInt(c.FormValue("post"), 10, 64); err == nil && pid > 0 {
		to = "/posts/" + strconv.FormatInt(pid, 10) // its page of the thread, anchored
	}
	if c.FormValue("report") != "" {
		to = "/my/reports"
	}
	if c.FormValue("to") == "moderation" {
		// A moderator's alert opens the item itself.
		to = "/moderation"
		if rid, err := strconv.ParseInt(c.FormValue("report"), 10, 64); err == nil && rid > 0 {
			to = "/moderation/report/" + strconv.FormatInt(rid, 10)
		}
	}
	if qid, err := strconv.ParseInt(c.FormValue("question"), 10, 64); err == nil && qid > 0 {
		to = "/questions/" + strconv.FormatInt(qid, 10)
		// Offers and the pool move on: the clinician's dashboard says so
		// instead of a page that no longer opens for them.
		switch c.FormValue("to") {
		case "clinician":
			to = "/clinician/questions?offer=" + strconv.FormatInt(qid, 10)
		case "oversight":
			to = "/admin/questions"
		}
	} else if c.FormValue("to") == "clinician" {
		to = "/clinician/questions"
	}
	if aid, err := strconv.ParseInt(c.FormValue("announcement"), 10, 64); err == nil && aid > 0 {
		to = "/announcements/" + strconv.FormatInt(aid, 10)
	}
	if cid, err := strconv.ParseInt(c.FormValue("conversation"), 10, 64); err == nil && cid > 0 {
		to = "/messages/" + strconv.FormatInt(cid, 10)
	}
	if cid, err := strconv.ParseInt(c.FormValue("credential"), 10, 64); err == nil && cid > 0 {
		to = "/clinician"
		if c.FormValue("review") != "" {
			to = "/review/credentials/" + strconv.FormatInt(cid, 10)
		}
	}
	return web.Redirect(c, to)
}

// MarkAllRead clears the bell.
func (h *Handlers) MarkAllRead(c echo.Context) error {
	if err := h.svc.MarkAllRead(c.Request().Context(), web.CurrentUser(c).ID); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "All notifications are marked read.")
	return web.Redirect(c, "/notifications")
}

// APIList returns notifications as JSON with a cursor.
func (h *Handlers) APIList(c echo.Context) error {
	items, next, err := h.page(c)
	if err != nil {
		return err
	}
	if items == nil {
		items = []Item{}
	}
	unread, err := h.svc.Unread(c.Request().Context(), web.CurrentUser(c).ID)
	if err != nil {
		return err
	}
	// unread stops at UnreadCap; unread_capped says there may be more.
	out := map[string]any{"notifications": items, "unread": unread, "unread_capped": unread >= UnreadCap}
	if next > 0 {
		out["next_before"] = next
	}
	return c.JSON(http.StatusOK, out)
}

// APIMarkRead marks one read.
func (h *Handlers) APIMarkRead(c echo.Context) error {
	if err := h.svc.MarkRead(c.Request().Context(), web.CurrentUser(c).ID, id(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// APIMarkAllRead marks all read.
func (h *Handlers) APIMarkAllRead(c echo.Context) error {
	if err := h.svc.MarkAllRead(c.Request().Context(), web.CurrentUser(c).ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
