package forums

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/models"
)

// draftReply answers with the draft, or 204 when saving an empty one
// discarded it.
func draftReply(c echo.Context, d *Draft) error {
	if d == nil {
		return c.NoContent(http.StatusNoContent)
	}
	return c.JSON(http.StatusOK, toDraftJSON(d))
}

// APIGetReplyDraft is the caller's draft reply in a thread (404 when none).
func (a *API) APIGetReplyDraft(c echo.Context) error {
	v, id, err := a.h.viewerAndID(c)
	if err != nil {
		return err
	}
	tv, err := a.h.svc.Thread(c.Request().Context(), v, id)
	if err != nil {
		return err
	}
	d, err := a.h.svc.ReplyDraft(c.Request().Context(), v, tv.Thread.ID)
	if err != nil {
		return err
	}
	if d == nil {
		return models.ErrNotFound
	}
	return c.JSON(http.StatusOK, toDraftJSON(d))
}

// APIPutReplyDraft saves the caller's draft reply ({"body"}); an empty body
// discards it (204).
func (a *API) APIPutReplyDraft(c echo.Context) error {
	v, id, err := a.h.viewerAndID(c)
	if err != nil {
		return err
	}
	var in struct {
		Body string `json:"body"`
	}
	if err := c.Bind(&in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	tv, err := a.h.svc.Thread(ctx, v, id)
	if err != nil {
		return err
	}
	if err := a.h.svc.SaveReplyDraft(ctx, v, tv, in.Body); err != nil {
		return err
	}
	d, err := a.h.svc.ReplyDraft(ctx, v, tv.Thread.ID)
	if err != nil {
		return err
	}
	return draftReply(c, d)
}

// APIDeleteReplyDraft discards the caller's draft reply (204 also when
// there was none).
func (a *API) APIDeleteReplyDraft(c echo.Context) error {
	v, id, err := a.h.viewerAndID(c)
	if err != nil {
		return err
	}
	if err := a.h.svc.DiscardReplyDraft(c.Request().Context(), v, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// APIGetThreadDraft is the caller's draft new thread in a forum (404 when
// none).
func (a *API) APIGetThreadDraft(c echo.Context) error {
	v, f, err := a.h.viewerAndForum(c)
	if err != nil {
		return err
	}
	d, err := a.h.svc.ThreadDraft(c.Request().Context(), v, f.ID)
	if err != nil {
		return err
	}
	if d == nil {
		return models.ErrNotFound
	}
	return c.JSON(http.StatusOK, toDraftJSON(d))
}

// APIPutThreadDraft saves the caller's draft new thread ({"title","body"});
// both empty discards it (204).
func (a *API) APIPutThreadDraft(c echo.Context) error {
	v, f, err := a.h.viewerAndForum(c)
	if err != nil {
		return err
	}
	var in struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	}
	if err := c.Bind(&in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := a.h.svc.SaveThreadDraft(ctx, v, &f.Forum, in.Title, in.Body); err != nil {
		return err
	}
	d, err := a.h.svc.ThreadDraft(ctx, v, f.ID)
	if err != nil {
		return err
	}
	return draftReply(c, d)
}

// APIDeleteThreadDraft discards the caller's draft new thread.
func (a *API) APIDeleteThreadDraft(c echo.Context) error {
	v, f, err := a.h.viewerAndForum(c)
	if err != nil {
		return err
	}
	if err := a.h.svc.DiscardThreadDraft(c.Request().Context(), v, f.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
