package moderation

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// API serves reports and moderation under /api/v1.
type API struct {
	h *Handlers
}

// NewAPI wires the JSON handlers.
func NewAPI(h *Handlers) *API { return &API{h: h} }

// Report files a report: {"kind","id","reason","note"}.
func (a *API) Report(c echo.Context) error {
	var form ReportForm
	if err := c.Bind(&form); err != nil {
		return err // the Binder names what is wrong
	}
	r, err := a.h.svc.Report(c.Request().Context(), web.Actor(c), form)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, MyReport{ID: r.ID, TargetKind: r.TargetKind, TargetID: r.TargetID, Reason: r.Reason, Status: r.Status, CreatedAt: r.CreatedAt})
}

type myReportJSON struct {
	MyReport
	Outcome string `json:"outcome"`
}

// MyReports lists the caller's reports with their outcomes.
func (a *API) MyReports(c echo.Context) error {
	items, err := a.h.svc.MyReports(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	out := make([]myReportJSON, 0, len(items))
	for _, r := range items {
		out = append(out, myReportJSON{r, r.Outcome()})
	}
	return c.JSON(http.StatusOK, map[string]any{"reports": out})
}

// Queue returns the review queue (?forum=slug narrows it).
func (a *API) Queue(c echo.Context) error {
	ctx := c.Request().Context()
	var forumID int64
	if slug := c.QueryParam("forum"); slug != "" {
		id, err := a.h.svc.ForumID(ctx, slug)
		if err != nil {
			return err
		}
		forumID = id
	}
	items, err := a.h.svc.Queue(ctx, web.Actor(c), forumID)
	if err != nil {
		return err
	}
	if items == nil {
		items = []QueueItem{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// Item returns one reported target with its reports and history.
func (a *API) Item(c echo.Context) error {
	kind, id, err := target(c, "kind", "id", false)
	if err != nil {
		return err
	}
	it, err := a.h.svc.Item(c.Request().Context(), web.Actor(c), kind, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, it)
}

// Act applies an action: POST …/{action} {"reason"}.
func (a *API) Act(c echo.Context) error {
	kind, id, err := target(c, "kind", "id", false)
	if err != nil {
		return err
	}
	var body struct {
		Reason     string    `json:"reason"`
		ExpectOpen bool      `json:"expect_open"`            // acting on open reports: 409 if another moderator resolved them
		Until      time.Time `json:"until"`                  // suspend
		Forum      string    `json:"forum"`                  // move: the forum's slug
		Wider      bool      `json:"confirm_wider_audience"` // move: an admin confirms more people will read it
		Note       string    `json:"note"`                   // reached_out: what the moderator did
		Canned     int64     `json:"canned_reason_id"`       // hide, remove: a reason from the admins' list, put before reason
	}
	if err := c.Bind(&body); err != nil {
		return err // the Binder names what is wrong
	}
	ctx, action := c.Request().Context(), c.Param("action")
	out, err := a.h.svc.Do(ctx, web.Actor(c), kind, id, Command{Action: action, Reason: body.Reason, Canned: body.Canned, ExpectOpen: body.ExpectOpen,
		Until: body.Until, Forum: body.Forum, Wider: body.Wider, Note: body.Note})
	if err == nil && action == ActReveal {
		return c.JSON(http.StatusOK, map[string]string{"author": out.Author})
	}
	if err != nil {
		return err
	}
	if closesMessage(kind, action, err) {
		// The decision closed the reports that let moderators read the
		// message: answer with the outcome only.
		return c.JSON(http.StatusOK, messageDecided{Kind: kind, ID: id, Action: action})
	}
	return a.Item(c)
}

// messageDecided answers a decision that closed a private-question
// message's reports; the message itself is no longer readable.
type messageDecided struct {
	Kind   string `json:"kind"`
	ID     int64  `json:"id"`
	Action string `json:"action"`
	Open   bool   `json:"open"` // always false
}

// Duty says whether the caller is on duty (alerted at once about imminent
// crisis): GET, PUT (on duty) and DELETE (off duty) /api/v1/moderation/duty.
func (a *API) Duty(c echo.Context) error {
	ctx, actor := c.Request().Context(), web.Actor(c)
	switch c.Request().Method {
	case http.MethodPut, http.MethodDelete:
		if err := a.h.svc.SetOnDuty(ctx, actor, c.Request().Method == http.MethodPut); err != nil {
			return err
		}
	default:
		if _, ok, err := a.h.svc.ScopeOf(ctx, actor); err != nil {
			return err
		} else if !ok {
			return models.ErrForbidden
		}
	}
	on, err := a.h.svc.OnDuty(ctx, actor)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"on_duty": on})
}
