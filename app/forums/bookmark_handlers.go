package forums

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Bookmark pages.
const (
	TplBookmarks      = "pages/forums/bookmarks.html"
	TplBookmarkEdit   = "pages/forums/bookmark_edit.html"
	TplBookmarkRemove = "pages/forums/bookmark_remove.html"
)

// reminderChoices are the reminders the HTML form offers: relative times,
// so that no time zone has to be guessed. The API takes any time.
var reminderChoices = []struct{ Value, Label string }{
	{"", "No reminder"},
	{"1h", "In an hour"},
	{"1d", "Tomorrow, this time"},
	{"3d", "In three days"},
	{"1w", "In a week"},
	{"4w", "In four weeks"},
}

var reminderAfter = map[string]time.Duration{"1h": time.Hour, "1d": 24 * time.Hour, "3d": 72 * time.Hour, "1w": 7 * 24 * time.Hour, "4w": 28 * 24 * time.Hour}

type bookmarksData struct {
	Items []Bookmark
	Next  int64
}

type bookmarkEditData struct {
	Bookmark *Bookmark
	Choices  []struct{ Value, Label string }
}

// ToggleBookmark bookmarks the post, or removes the bookmark; one that
// carries a note or a reminder is removed only after a confirmation.
func (h *Handlers) ToggleBookmark(c echo.Context) error {
	v, pc, err := h.postContext(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	b, err := h.svc.BookmarkOf(ctx, v, pc.Post.ID)
	if err != nil {
		return err
	}
	switch {
	case b == nil:
		if err := h.svc.SetBookmark(ctx, v, pc, BookmarkForm{}); err != nil {
			return err
		}
		h.cookies.SetFlash(c, "Bookmarked. Find it under Bookmarks at the top of any page; only you see it.")
	case b.Note != "" || (b.RemindAt != nil && b.RemindedAt == nil):
		return web.Redirect(c, "/bookmarks/"+strconv.FormatInt(b.ID, 10)+"/remove")
	default:
		if err := h.svc.RemoveBookmark(ctx, v, pc.Post.ID); err != nil {
			return err
		}
		h.cookies.SetFlash(c, "Bookmark removed.")
	}
	return web.Redirect(c, h.postURL(c, v, pc.Thread.ID, pc.Post.ID))
}

// BookmarksPage lists the member's bookmarks.
func (h *Handlers) BookmarksPage(c echo.Context) error {
	v, _ := h.viewer(c)
	before, err := web.CursorParam(c, "before")
	if err != nil {
		return err
	}
	items, next, err := h.svc.Bookmarks(c.Request().Context(), v, before)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Your bookmarks")
	p.Noindex = true
	p.Data = bookmarksData{Items: items, Next: next}
	return h.r.Render(c, http.StatusOK, TplBookmarks, p)
}

func (h *Handlers) ownBookmark(c echo.Context) (Viewer, *Bookmark, error) {
	v, _ := h.viewer(c)
	id, err := web.PathID(c, "id")
	if err != nil {
		return v, nil, err
	}
	b, err := h.svc.BookmarkByID(c.Request().Context(), v, id)
	return v, b, err
}

func (h *Handlers) bookmarkEditPage(c echo.Context, b *Bookmark) *web.Page {
	p := h.r.NewPage(c, "Note and reminder")
	p.Noindex = true
	p.Data = bookmarkEditData{Bookmark: b, Choices: reminderChoices}
	return p
}

// BookmarkEditPage shows the note and reminder form.
func (h *Handlers) BookmarkEditPage(c echo.Context) error {
	_, b, err := h.ownBookmark(c)
	if err != nil {
		return err
	}
	if !b.Available {
		return models.ErrNotFound // only removing is left (see BookmarkEdit)
	}
	p := h.bookmarkEditPage(c, b)
	p.Form.Values = map[string]string{"note": b.Note, "remind": "keep"}
	return h.r.Render(c, http.StatusOK, TplBookmarkEdit, p)
}

// BookmarkEdit saves the note and reminder.
func (h *Handlers) BookmarkEdit(c echo.Context) error {
	v, b, err := h.ownBookmark(c)
	if err != nil {
		return err
	}
	if !b.Available {
		// The post is gone from v's view: the note can still be read and
		// the bookmark removed, not changed.
		return models.ErrNotFound
	}
	values := map[string]string{"note": c.FormValue("note"), "remind": c.FormValue("remind")}
	form := BookmarkForm{Note: values["note"], RemindAt: b.RemindAt}
	switch r := values["remind"]; {
	case r == "keep" && b.RemindedAt == nil && b.RemindAt != nil && b.RemindAt.After(h.svc.now()):
	case r == "keep" || r == "":
		// Nothing to keep (or a reminder that is going out now): none.
		form.RemindAt = nil
	default:
		d, ok := reminderAfter[r]
		if !ok {
			verr := models.NewValidationError()
			verr.Add("remind", "Choose one of the reminders offered.")
			return h.r.RenderForm(c, TplBookmarkEdit, h.bookmarkEditPage(c, b), values, verr)
		}
		at := h.svc.now().Add(d)
		form.RemindAt = &at
	}
	pc, err := h.svc.PostContext(c.Request().Context(), v, b.PostID)
	if err != nil {
		return err
	}
	err = h.svc.SetBookmark(c.Request().Context(), v, pc, form)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		if f := verr.Fields["remind_at"]; f != "" {
			verr.Add("remind", f)
		}
		return h.r.RenderForm(c, TplBookmarkEdit, h.bookmarkEditPage(c, b), values, verr)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Bookmark saved.")
	return web.Redirect(c, "/bookmarks")
}

// BookmarkRemovePage asks before removing a bookmark.
func (h *Handlers) BookmarkRemovePage(c echo.Context) error {
	_, b, err := h.ownBookmark(c)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Remove this bookmark?")
	p.Noindex = true
	p.Data = b
	return h.r.Render(c, http.StatusOK, TplBookmarkRemove, p)
}

// BookmarkRemove removes the bookmark.
func (h *Handlers) BookmarkRemove(c echo.Context) error {
	v, _ := h.viewer(c)
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.RemoveBookmarkByID(c.Request().Context(), v, id); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Bookmark removed.")
	return web.Redirect(c, "/bookmarks")
}

// APIBookmarks lists the member's bookmarks: {"bookmarks": […], "next_before": id}.
func (a *API) APIBookmarks(c echo.Context) error {
	v, _ := a.h.viewer(c)
	before, err := web.CursorParam(c, "before")
	if err != nil {
		return err
	}
	items, next, err := a.h.svc.Bookmarks(c.Request().Context(), v, before)
	if err != nil {
		return err
	}
	list := make([]bookmarkJSON, len(items))
	for i := range items {
		list[i] = toBookmarkJSON(&items[i])
	}
	out := map[string]any{"bookmarks": list}
	if next > 0 {
		out["next_before"] = next
	}
	return c.JSON(http.StatusOK, out)
}

// APIGetBookmark is the member's bookmark of a post (404 when none).
func (a *API) APIGetBookmark(c echo.Context) error {
	v, pc, err := a.h.postContext(c)
	if err != nil {
		return err
	}
	b, err := a.h.svc.BookmarkOf(c.Request().Context(), v, pc.Post.ID)
	if err != nil {
		return err
	}
	if b == nil {
		return models.ErrNotFound
	}
	return c.JSON(http.StatusOK, toBookmarkJSON(b))
}

// APISetBookmark bookmarks a post, or sets the note and reminder of the
// bookmark ({"note": "…", "remind_at": "RFC 3339" or null}).
func (a *API) APISetBookmark(c echo.Context) error {
	v, pc, err := a.h.postContext(c)
	if err != nil {
		return err
	}
	var in struct {
		Note     string  `json:"note"`
		RemindAt *string `json:"remind_at"` // RFC 3339, read here so a bad one is named
	}
	if err := c.Bind(&in); err != nil {
		return err
	}
	form := BookmarkForm{Note: in.Note}
	if in.RemindAt != nil {
		at, err := time.Parse(time.RFC3339, *in.RemindAt)
		if err != nil {
			verr := models.NewValidationError()
			verr.Add("remind_at", "Give the reminder as a date and time with its offset (RFC 3339), for example 2026-12-24T09:00:00+01:00, or null for none.")
			return verr
		}
		form.RemindAt = &at
	}
	ctx := c.Request().Context()
	if err := a.h.svc.SetBookmark(ctx, v, pc, form); err != nil {
		return err
	}
	b, err := a.h.svc.BookmarkOf(ctx, v, pc.Post.ID)
	if err != nil {
		return err
	}
	if b == nil {
		return models.ErrNotFound // removed meanwhile
	}
	return c.JSON(http.StatusOK, toBookmarkJSON(b))
}

// APIRemoveBookmark removes the bookmark of a post (204 also when there
// was none, or when the post is no longer the member's to read).
func (a *API) APIRemoveBookmark(c echo.Context) error {
	v, _ := a.h.viewer(c)
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := a.h.svc.RemoveBookmark(c.Request().Context(), v, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
