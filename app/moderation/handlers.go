package moderation

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Page templates.
const (
	TplReport         = "pages/moderation/report.html"
	TplMyReports      = "pages/moderation/my_reports.html"
	TplQueue          = "pages/moderation/queue.html"
	TplItem           = "pages/moderation/item.html"
	TplSupport        = "pages/moderation/support.html"
	TplSafety         = "pages/moderation/safety.html"
	TplResource       = "pages/moderation/crisis_resource.html"
	TplResourceDelete = "pages/moderation/crisis_resource_delete.html"
)

// Templates lists every page this package renders, checked at start-up.
var Templates = []string{TplReasons, TplReport, TplMyReports, TplQueue, TplItem, TplSupport, TplSafety, TplAudit, TplMyModeration, TplAppeals, TplAppealSignIn, TplResource, TplResourceDelete}

// Handlers serves the moderation pages.
type Handlers struct {
	svc       *Service
	r         *web.Renderer
	cookies   web.Cookies
	md        *markdown.Renderer
	suspended SuspendedAuth
}

// NewHandlers wires the HTML handlers.
// suspended tells who a suspended member is, for their appeal.
func NewHandlers(svc *Service, r *web.Renderer, cookies web.Cookies, md *markdown.Renderer, suspended SuspendedAuth) *Handlers {
	return &Handlers{svc: svc, r: r, cookies: cookies, md: md, suspended: suspended}
}

func target(c echo.Context, kindName, idName string, query bool) (string, int64, error) {
	kind, raw := c.Param(kindName), c.Param(idName)
	if query {
		kind, raw = c.QueryParam(kindName), c.QueryParam(idName)
		if kind == "" {
			kind, raw = c.FormValue(kindName), c.FormValue(idName)
		}
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return "", 0, models.ErrNotFound
	}
	switch kind {
	case models.TargetPost, models.TargetThread, models.TargetUser, models.TargetQuestionMessage, models.TargetMessage:
		return kind, id, nil
	}
	return "", 0, models.ErrNotFound
}

type reportData struct {
	Target  *Target
	Reasons []models.ReportReason
	Back    string
}

func (h *Handlers) renderReport(c echo.Context, status int, t *Target, values map[string]string, err error) error {
	p := h.r.NewPage(c, "Report")
	p.Noindex = true
	back := t.Link()
	switch {
	case back != "":
	case t.Kind == models.TargetMessage:
		back = "/messages"
	default:
		back = "/questions"
	}
	p.Data = reportData{Target: t, Reasons: models.ReportReasons, Back: back}
	p.Form.Keep(values, err)
	return h.r.Render(c, status, TplReport, p)
}

// ReportPage shows the report form for ?kind=&id=.
func (h *Handlers) ReportPage(c echo.Context) error {
	kind, id, err := target(c, "kind", "id", true)
	if err != nil {
		return err
	}
	t, err := h.svc.LoadTarget(c.Request().Context(), web.Actor(c), kind, id)
	if err != nil {
		return err
	}
	return h.renderReport(c, http.StatusOK, t, nil, nil)
}

// Report files a report.
func (h *Handlers) Report(c echo.Context) error {
	kind, id, err := target(c, "kind", "id", true)
	if err != nil {
		return err
	}
	form := ReportForm{Kind: kind, ID: id, Reason: models.ReportReason(c.FormValue("reason")), Note: c.FormValue("note")}
	_, err = h.svc.Report(c.Request().Context(), web.Actor(c), form)
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		t, lerr := h.svc.LoadTarget(c.Request().Context(), web.Actor(c), kind, id)
		if lerr != nil {
			return lerr
		}
		return h.renderReport(c, http.StatusUnprocessableEntity, t, map[string]string{"reason": string(form.Reason), "note": form.Note}, err)
	case errors.As(err, &ce):
		h.cookies.SetFlash(c, ce.Message)
	case err != nil:
		return err
	case form.Reason == models.ReasonSelfHarm:
		h.cookies.SetFlash(c, "Thank you. Moderators see reports about someone at risk first. If someone is in immediate danger, call your local emergency number.")
	default:
		h.cookies.SetFlash(c, "Thank you for your report. A moderator will look at it; you can follow it under My reports.")
	}
	return web.Redirect(c, "/my/reports")
}

// MyReports lists the member's reports and their outcomes.
func (h *Handlers) MyReports(c echo.Context) error {
	items, err := h.svc.MyReports(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "My reports")
	p.Noindex = true
	p.Data = items
	return h.r.Render(c, http.StatusOK, TplMyReports, p)
}

type queueData struct {
	Items  []QueueItem
	Forum  string
	OnDuty bool
}

// Queue is the moderators' review queue.
func (h *Handlers) Queue(c echo.Context) error {
	ctx := c.Request().Context()
	var forumID int64
	slug := c.QueryParam("forum")
	if slug != "" {
		id, err := h.svc.ForumID(ctx, slug)
		if err != nil {
			return err
		}
		forumID = id
	}
	items, err := h.svc.Queue(ctx, web.Actor(c), forumID)
	if err != nil {
		return err
	}
	onDuty, err := h.svc.OnDuty(ctx, web.Actor(c))
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Review queue")
	p.Noindex = true
	p.Data = queueData{Items: items, Forum: slug, OnDuty: onDuty}
	return h.r.Render(c, http.StatusOK, TplQueue, p)
}

// Item shows one reported target with everything needed to decide.
func (h *Handlers) Item(c echo.Context) error { return h.renderItem(c, http.StatusOK, nil, nil) }

// ReportItem opens the queue item a report is about (where a moderator's
// alert leads).
func (h *Handlers) ReportItem(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return models.ErrNotFound
	}
	kind, target, err := h.svc.ReportTarget(c.Request().Context(), web.Actor(c), id)
	if err != nil {
		return err
	}
	return web.Redirect(c, "/moderation/"+url.PathEscape(kind)+"/"+strconv.FormatInt(target, 10))
}

func (h *Handlers) renderItem(c echo.Context, status int, values map[string]string, err error) error {
	kind, id, kerr := target(c, "kind", "id", false)
	if kerr != nil {
		return kerr
	}
	it, ierr := h.svc.Item(c.Request().Context(), web.Actor(c), kind, id)
	if ierr != nil {
		return ierr
	}
	p := h.r.NewPage(c, "Reported "+kind)
	p.Noindex = true
	p.Data = it
	p.Form.Keep(values, err)
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return h.r.Render(c, status, TplItem, p)
}

// renderItemRevealed shows the item with the anonymous author's handle
// (the reveal is already audited).
// decides are the actions that settle an item (the moderator moves on).
var decides = map[string]bool{ActDismiss: true, ActHide: true, ActRemove: true, ActRestore: true}

var actionDone = map[string]string{
	ActNote: "The note is saved.", ActWarn: "The member has been warned.", ActSuspend: "The member is suspended and signed out everywhere.",
	ActBan:     "The member is banned and signed out everywhere.",
	ActDismiss: "Dismissed: the content stays.", ActHide: "Hidden from everyone but moderators.", ActRestore: "Restored.",
	ActRemove: "Removed.", ActLock: "The thread is locked.", ActUnlock: "The thread is open again.",
	ActAcknowledge: "Acknowledged: the other moderators see that you are on it.", ActReachedOut: "Your note is saved.",
	ActCloseCrisis: "The crisis item is closed.",
}

// Act applies a moderator's action.
func (h *Handlers) Act(c echo.Context) error {
	kind, id, err := target(c, "kind", "id", false)
	if err != nil {
		return err
	}
	action, reason := c.Param("action"), c.FormValue("reason")
	cmd := Command{Action: action, Reason: reason, ExpectOpen: c.FormValue("expect_open") == "1", Forum: c.FormValue("forum"),
		Wider: c.FormValue("confirm_wider") == "1", Note: c.FormValue("note")}
	cmd.Canned, _ = strconv.ParseInt(c.FormValue("canned"), 10, 64) // not a number: no canned reason
	if until := c.FormValue("until"); until != "" {
		t, perr := time.Parse("2006-01-02", until)
		if perr != nil {
			v := models.NewValidationError()
			v.Add("until", "Give the date the suspension ends, such as 2026-12-31.")
			return h.renderItem(c, http.StatusUnprocessableEntity, map[string]string{"reason": reason, "action": action, "until": until}, v)
		}
		cmd.Until = t
	}
	switch action {
	case ActCloseCrisis:
		if c.FormValue("confirm_close") != "1" {
			v := models.NewValidationError()
			v.Add("confirm_close", "Tick the box to confirm that someone has reached out and nothing more is needed now.")
			return h.renderItem(c, http.StatusUnprocessableEntity, nil, v)
		}
	case ActReveal:
		cmd.Reason = c.FormValue("reveal_reason")
	}
	_, err = h.svc.Do(c.Request().Context(), web.Actor(c), kind, id, cmd)
	var cve *models.ValidationError
	switch {
	case (action == ActAcknowledge || action == ActReachedOut || action == ActCloseCrisis) && errors.As(err, &cve):
		return h.renderItem(c, http.StatusUnprocessableEntity, map[string]string{"note": c.FormValue("note")}, err)
	case action == ActReveal && errors.As(err, &cve):
		return h.renderItem(c, http.StatusUnprocessableEntity, map[string]string{"reveal_reason": c.FormValue("reveal_reason")}, err)
	case action == ActReveal && err == nil:
		// Post/redirect/get: a reload shows the author again (from the
		// audit log) and never reveals, or records, a second time.
		h.cookies.SetFlash(c, "The author is shown below to you for "+strconv.Itoa(int(RevealShownFor.Minutes()))+" minutes. The reveal is in the audit log.")
		return web.Redirect(c, "/moderation/"+url.PathEscape(kind)+"/"+strconv.FormatInt(id, 10))
	}
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		return h.renderItem(c, http.StatusUnprocessableEntity, map[string]string{"reason": reason, "action": action, "until": c.FormValue("until"), "forum": c.FormValue("forum")}, err)
	case errors.As(err, &ce):
		h.cookies.SetFlash(c, ce.Message)
	case err != nil:
		return err
	default:
		h.cookies.SetFlash(c, actionDone[action])
		// A decision closes the item: on to the next one in the queue.
		if decides[action] {
			next, nerr := h.svc.NextItem(c.Request().Context(), web.Actor(c), kind, id)
			if nerr != nil {
				return nerr
			}
			if next != "" {
				h.cookies.SetFlash(c, actionDone[action]+" Here is the next item.")
				return web.Redirect(c, next)
			}
			h.cookies.SetFlash(c, actionDone[action]+" The queue is empty.")
			return web.Redirect(c, "/moderation")
		}
	}
	if closesMessage(kind, action, err) {
		return web.Redirect(c, "/moderation")
	}
	return web.Redirect(c, "/moderation/"+url.PathEscape(kind)+"/"+strconv.FormatInt(id, 10))
}

// Duty turns the moderator's immediate crisis alerts on (on=1) or off.
func (h *Handlers) Duty(c echo.Context) error {
	on := c.FormValue("on") == "1"
	if err := h.svc.SetOnDuty(c.Request().Context(), web.Actor(c), on); err != nil {
		return err
	}
	if on {
		h.cookies.SetFlash(c, "You are on duty: you will be alerted at once when someone may be in imminent danger.")
	} else {
		h.cookies.SetFlash(c, "You are off duty: urgent items still wait in the queue, but you are not alerted at once.")
	}
	return web.Redirect(c, "/moderation")
}

// closesMessage reports whether, after action (which returned err), a
// private-question message has no open report left, so that moderators can
// no longer open it: the decision closed its reports, or another moderator's
// had (a conflict).
func closesMessage(kind, action string, err error) bool {
	if !models.PrivateTarget(kind) {
		return false
	}
	var ce *models.ConflictError
	_, resolves := resolving[action]
	return errors.As(err, &ce) || (err == nil && resolves)
}

type supportData struct {
	About string // post, question, message or "" (opened directly)
	HTML  string // sanitised by app/markdown
	Next  string
}

// Support shows the crisis resources; posts that matched crisis words lead
// here, with a link on to the post.
func (h *Handlers) Support(c echo.Context) error {
	text, err := h.crisisResourcesFor(c)
	if err != nil {
		return err
	}
	html, err := h.md.Render(text)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Support, right now")
	p.Noindex = true
	next := ""
	if n := c.QueryParam("next"); n != "" {
		next = web.SafeNext(n)
	}
	// What happened to the member's words: a post is published and the
	// moderators are told; private text goes to the clinician only.
	about := "post"
	switch {
	case strings.HasPrefix(next, "/questions/") && strings.Contains(next, "#messages"):
		about = "message"
	case strings.HasPrefix(next, "/questions/"):
		about = "question"
	case strings.HasPrefix(next, "/messages/"):
		about = "private_message"
	case next == "":
		about = ""
	}
	p.Data = supportData{HTML: html, Next: next, About: about}
	return h.r.Render(c, http.StatusOK, TplSupport, p)
}

// Safety is the admins' page: try a text, the emergency guidance, the
// crisis resources and the watched words (safety_admin_handlers.go).
func (h *Handlers) Safety(c echo.Context) error { return h.renderSafety(c, http.StatusOK, nil) }

func (h *Handlers) renderSafety(c echo.Context, status int, err error) error {
	return h.renderSafetyPage(c, status, err, nil)
}

// SaveWord adds a watched word.
func (h *Handlers) SaveWord(c echo.Context) error {
	err := h.svc.SaveWord(c.Request().Context(), web.Actor(c), c.FormValue("pattern"), c.FormValue("action"))
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderSafety(c, http.StatusUnprocessableEntity, err)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Saved.")
	return web.Redirect(c, "/admin/safety")
}

// DeleteWord removes one.
func (h *Handlers) DeleteWord(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return models.ErrNotFound
	}
	if err := h.svc.DeleteWord(c.Request().Context(), web.Actor(c), id); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Removed from the list.")
	return web.Redirect(c, "/admin/safety")
}

// Appeal pages.
const (
	TplMyModeration = "pages/moderation/my_moderation.html"
	TplAppeals      = "pages/moderation/appeals.html"
	TplAppealSignIn = "pages/moderation/appeal_suspended.html"
)

// SuspendedAuth tells moderation who a suspended member is (app/auth): by
// their password, or by the ticket their provider sign-in left in this
// browser, for members who sign in through their organisation.
type SuspendedAuth struct {
	Password func(c echo.Context, login, password string) (*models.User, error)
	// Ticket returns the member the browser's ticket names, or nil.
	Ticket func(c echo.Context) *models.User
	// Spend uses the ticket up once the appeal is filed.
	Spend func(c echo.Context)
}

// MyModeration lists decisions about the member, with appeal forms.
func (h *Handlers) MyModeration(c echo.Context) error {
	items, err := h.svc.MyActions(c.Request().Context(), web.CurrentUser(c).ID)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Moderation decisions about you")
	p.Noindex = true
	p.Data = items
	return h.r.Render(c, http.StatusOK, TplMyModeration, p)
}

// AppealAction files an appeal from the member's page.
func (h *Handlers) AppealAction(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return models.ErrNotFound
	}
	err = h.svc.Appeal(c.Request().Context(), web.CurrentUser(c).ID, id, c.FormValue("text"))
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		h.cookies.SetFlash(c, ve.Fields["text"])
	case errors.As(err, &ce):
		h.cookies.SetFlash(c, ce.Message)
	case err != nil:
		return err
	default:
		h.cookies.SetFlash(c, "Your appeal is sent. A different moderator will look at it and you will be told the outcome.")
	}
	return web.Redirect(c, "/my/moderation")
}

// AppealSuspendedPage is the appeal form for a suspended member, who
// cannot sign in.
func (h *Handlers) AppealSuspendedPage(c echo.Context) error {
	p := h.r.NewPage(c, "Appeal a suspension")
	p.Noindex = true
	p.Data = h.appealData(c)
	return h.r.Render(c, http.StatusOK, TplAppealSignIn, p)
}

// appealSuspendedData says whose appeal it is when the member came from a
// provider sign-in (no password asked), or nothing.
type appealSuspendedData struct {
	Handle string
}

func (h *Handlers) appealData(c echo.Context) appealSuspendedData {
	if h.suspended.Ticket != nil {
		if u := h.suspended.Ticket(c); u != nil {
			return appealSuspendedData{Handle: u.Handle}
		}
	}
	return appealSuspendedData{}
}

// AppealSuspended checks the member's password and files the appeal
// against their latest suspension.
func (h *Handlers) AppealSuspended(c echo.Context) error {
	login, text := c.FormValue("login"), c.FormValue("text")
	render := func(status int, field, msg string) error {
		p := h.r.NewPage(c, "Appeal a suspension")
		p.Noindex = true
		p.Data = h.appealData(c)
		p.Form.Values = map[string]string{"login": login, "text": text}
		p.Form.Errors = map[string]string{field: msg}
		return h.r.Render(c, status, TplAppealSignIn, p)
	}
	var u *models.User
	var err error
	if h.suspended.Ticket != nil {
		u = h.suspended.Ticket(c)
	}
	if u == nil {
		u, err = h.suspended.Password(c, login, c.FormValue("password"))
	}
	if err != nil {
		var rl *models.RateLimitedError
		if errors.As(err, &rl) {
			return err
		}
		return render(http.StatusUnprocessableEntity, "password", "That handle or e-mail and password do not match a suspended account.")
	}
	actionID, err := h.svc.LatestSuspension(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	if actionID == 0 {
		return render(http.StatusUnprocessableEntity, "login", "This suspension was not made by a moderator; contact the administrators.")
	}
	err = h.svc.Appeal(c.Request().Context(), u.ID, actionID, text)
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		return render(http.StatusUnprocessableEntity, "text", ve.Fields["text"])
	case errors.As(err, &ce):
		return render(http.StatusConflict, "text", ce.Message)
	case err != nil:
		return err
	}
	if h.suspended.Spend != nil {
		h.suspended.Spend(c)
	}
	h.cookies.SetFlash(c, "Your appeal is sent. A different moderator will decide; you will see the outcome when you sign in again.")
	return web.Redirect(c, "/")
}

// Appeals lists open appeals for moderators.
func (h *Handlers) Appeals(c echo.Context) error {
	items, err := h.svc.Appeals(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Appeals")
	p.Noindex = true
	p.Data = items
	return h.r.Render(c, http.StatusOK, TplAppeals, p)
}

// DecideAppeal upholds or overturns.
func (h *Handlers) DecideAppeal(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return models.ErrNotFound
	}
	err = h.svc.DecideAppeal(c.Request().Context(), web.Actor(c), id, c.FormValue("decision") == "overturn", c.FormValue("reason"))
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		h.cookies.SetFlash(c, ve.Fields["reason"])
	case errors.As(err, &ce):
		h.cookies.SetFlash(c, ce.Message)
	case err != nil:
		return err
	default:
		h.cookies.SetFlash(c, "Decided. The member has been told.")
	}
	return web.Redirect(c, "/moderation/appeals")
}
