package questions

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Page templates.
const (
	TplMine      = "pages/questions/mine.html"
	TplAsk       = "pages/questions/ask.html"
	TplQuestion  = "pages/questions/question.html"
	TplDashboard = "pages/questions/dashboard.html"
	TplMovedOn   = "pages/questions/moved_on.html"
	TplOversight = "pages/questions/oversight.html"
)

// Templates lists every page this package renders, checked at start-up.
var Templates = []string{TplMine, TplAsk, TplQuestion, TplDashboard, TplMovedOn, TplOversight}

// Handlers serves the private-question pages.
type Handlers struct {
	svc     *Service
	r       *web.Renderer
	cookies web.Cookies
}

// NewHandlers wires the HTML handlers.
func NewHandlers(svc *Service, r *web.Renderer, cookies web.Cookies) *Handlers {
	return &Handlers{svc: svc, r: r, cookies: cookies}
}

// Mine lists the member's questions.
func (h *Handlers) Mine(c echo.Context) error {
	items, err := h.svc.Asked(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "My private questions")
	p.Noindex = true
	p.Data = items
	return h.r.Render(c, http.StatusOK, TplMine, p)
}

type askData struct {
	AtLimit     bool // the member has as many open questions as one may
	Forums      []forumRow
	Specialties []SpecialtyOption
	UsualWait   string
	Urgent      []string
	Guidance    template.HTML // the admins' emergency guidance (sanitised), shown with Urgent
	Limit       string        // the member has too many open questions
}

func (h *Handlers) renderAsk(c echo.Context, status int, form AskForm, err error) error {
	ctx := c.Request().Context()
	forums, ferr := h.svc.Forums(ctx)
	if ferr != nil {
		return ferr
	}
	choices, ferr := h.svc.Choices(ctx)
	if ferr != nil {
		return ferr
	}
	d := askData{Forums: forums, Specialties: choices.Specialties, UsualWait: Wait(choices.UsualWait)}
	if d.AtLimit, ferr = h.svc.AtLimit(ctx, web.Actor(c)); ferr != nil {
		return ferr
	}
	p := h.r.NewPage(c, "Ask a clinician privately")
	p.Noindex = true
	p.Form.Values = map[string]string{"forum": form.Forum, "specialty": form.Specialty, "title": form.Title, "body": form.Body,
		"not_emergency": onOff(form.NotEmergency), "confirm_personal_data": onOff(form.ConfirmPersonal)}
	var ve *models.ValidationError
	var ue *UrgentError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		p.Form.Errors, p.Form.Message = ve.Fields, ve.Message
	case errors.As(err, &ue):
		d.Urgent = ue.Terms
		var gerr error
		if _, d.Guidance, gerr = h.svc.urgentGuidance(ctx); gerr != nil {
			return gerr
		}
	case errors.As(err, &ce):
		d.Limit = ce.Message
	}
	p.Data = d
	return h.r.Render(c, status, TplAsk, p)
}

// AskPage shows the form.
func (h *Handlers) AskPage(c echo.Context) error {
	return h.renderAsk(c, http.StatusOK, AskForm{Forum: c.QueryParam("forum")}, nil)
}

// KeepInputPaths are the forms whose handlers check every field with the
// input rules (through checkText) and show the form again with the
// member's text: web.ValidText lets their refused forms through to them.
var KeepInputPaths = []string{"/questions", "/questions/:id/messages"}

// Ask queues a question, after the urgent-symptom check.
func (h *Handlers) Ask(c echo.Context) error {
	form := AskForm{Forum: c.FormValue("forum"), Specialty: c.FormValue("specialty"), Title: c.FormValue("title"), Body: c.FormValue("body"),
		NotEmergency: c.FormValue("not_emergency") == "on", ConfirmPersonal: c.FormValue("confirm_personal_data") == "on"}
	q, err := h.svc.Ask(c.Request().Context(), web.Actor(c), form)
	var ve *models.ValidationError
	var ue *UrgentError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve), errors.As(err, &ue):
		return h.renderAsk(c, http.StatusUnprocessableEntity, form, err)
	case errors.As(err, &ce):
		return h.renderAsk(c, http.StatusConflict, form, err)
	case err != nil:
		return err
	}
	to := "/questions/" + strconv.FormatInt(q.ID, 10)
	h.cookies.SetFlash(c, "Your question is sent, and only you and the clinician who takes it can read it. You get a notification when a clinician takes it and at every step after.")
	if q.Crisis {
		// As after a message: the crisis resources come first.
		return web.Redirect(c, "/support?next="+url.QueryEscape(to))
	}
	return web.Redirect(c, to)
}

type questionData struct {
	*View
	Remaining string
}

func (h *Handlers) renderQuestion(c echo.Context, status int, id int64, values map[string]string, err error) error {
	v, gerr := h.svc.Get(c.Request().Context(), web.Actor(c), id, c.RealIP())
	if gerr != nil {
		return gerr
	}
	p := h.r.NewPage(c, v.Question.Title)
	p.Noindex = true
	p.Data = questionData{View: v, Remaining: Remaining(h.svc.now(), v.Question.RespondBy)}
	p.Form.Keep(values, err)
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return h.r.Render(c, status, TplQuestion, p)
}

// Question shows a question to its asker or assignee (404 for anyone else).
func (h *Handlers) Question(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	return h.orMovedOn(c, h.renderQuestion(c, http.StatusOK, id, nil, nil))
}

// orMovedOn answers a question that is not the viewer's (or does not
// exist) with the same 404 page either way, saying where to go instead.
func (h *Handlers) orMovedOn(c echo.Context, err error) error {
	if errors.Is(err, models.ErrNotFound) {
		return h.movedOn(c)
	}
	return err
}

// movedOn answers a clinician's action on a question that is not (or no
// longer) theirs: 404, exactly as for a missing id, with a way back.
func (h *Handlers) movedOn(c echo.Context) error {
	p := h.r.NewPage(c, "This question is not available to you")
	p.Noindex = true
	return h.r.Render(c, http.StatusNotFound, TplMovedOn, p)
}

// act runs a question action and goes back to the question (or, when the
// actor lost access by it, to where they came from).
func (h *Handlers) act(c echo.Context, do func(actor models.Actor, id int64) error, done, after string) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return h.movedOn(c)
	}
	err = do(web.Actor(c), id)
	var ce *models.ConflictError
	var ve *models.ValidationError
	to := "/questions/" + strconv.FormatInt(id, 10)
	switch {
	case errors.As(err, &ce):
		h.cookies.SetFlash(c, ce.Message)
		if after != "" {
			to = after
		}
		return web.Redirect(c, to)
	case errors.As(err, &ve):
		for _, m := range ve.Fields {
			h.cookies.SetFlash(c, m)
		}
		return web.Redirect(c, to)
	case err != nil:
		return h.orMovedOn(c, err)
	}
	h.cookies.SetFlash(c, done)
	if after != "" {
		to = after
	}
	return web.Redirect(c, to)
}

// Accept, Decline and Claim are the clinician's; Withdraw, Close and Rate the asker's.
func (h *Handlers) Accept(c echo.Context) error {
	return h.act(c, func(actor models.Actor, id int64) error { return h.svc.Accept(c.Request().Context(), actor, id) },
		"You have taken this question. The member sees that a clinician is working on it.", "")
}

// Decline hands an offer back.
func (h *Handlers) Decline(c echo.Context) error {
	return h.act(c, func(actor models.Actor, id int64) error { return h.svc.Decline(c.Request().Context(), actor, id) },
		"Declined. The question goes to the next suitable clinician, or waits in the pool for one.", "/clinician/questions")
}

// Claim takes a question from the pool.
func (h *Handlers) Claim(c echo.Context) error {
	return h.act(c, func(actor models.Actor, id int64) error { return h.svc.Claim(c.Request().Context(), actor, id) },
		"The question is yours. The member sees that a clinician is working on it.", "")
}

// HandBack gives a held question back with a reason the member never sees.
func (h *Handlers) HandBack(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	err = h.svc.HandBack(c.Request().Context(), web.Actor(c), id, reason)
	var ve *models.ValidationError
	switch {
	case errors.As(err, &ve):
		return h.renderQuestion(c, http.StatusUnprocessableEntity, id, map[string]string{"reason": reason}, err)
	case err != nil:
		return h.orMovedOn(c, err)
	}
	h.cookies.SetFlash(c, "You handed the question back. It goes to another clinician now; the member is told it changed hands, not why.")
	return web.Redirect(c, "/clinician/questions")
}

// Reopen continues a closed question.
func (h *Handlers) Reopen(c echo.Context) error {
	return h.act(c, func(actor models.Actor, id int64) error { return h.svc.Reopen(c.Request().Context(), actor, id) },
		"Reopened. Write what you would like to add.", "")
}

// ShareHistory gives the new clinician the earlier conversation.
func (h *Handlers) ShareHistory(c echo.Context) error {
	return h.act(c, func(actor models.Actor, id int64) error { return h.svc.ShareHistory(c.Request().Context(), actor, id) },
		"The clinician who takes your question now can read your earlier conversation.", "")
}

// Withdraw takes a question back.
func (h *Handlers) Withdraw(c echo.Context) error {
	return h.act(c, func(actor models.Actor, id int64) error { return h.svc.Withdraw(c.Request().Context(), actor, id) },
		"Your question is withdrawn.", "")
}

// Close ends the conversation.
func (h *Handlers) Close(c echo.Context) error {
	return h.act(c, func(actor models.Actor, id int64) error { return h.svc.Close(c.Request().Context(), actor, id) },
		"Closed. Thank you for letting the clinician know.", "")
}

// Rate records whether the answer helped.
func (h *Handlers) Rate(c echo.Context) error {
	return h.act(c, func(actor models.Actor, id int64) error {
		return h.svc.Rate(c.Request().Context(), actor, id, c.FormValue("rating"))
	},
		"Thank you for rating the answer.", "")
}

// Consent lets the clinician allow publishing.
func (h *Handlers) Consent(c echo.Context) error {
	on := c.FormValue("consent") == "on"
	msg := "You agreed that the member may publish an anonymised copy."
	if !on {
		msg = "You took back your agreement to publishing."
	}
	return h.act(c, func(actor models.Actor, id int64) error {
		return h.svc.SetConsent(c.Request().Context(), actor, id, on)
	}, msg, "")
}

// Message adds to the conversation.
func (h *Handlers) Message(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	form := MessageForm{Body: c.FormValue("body"), InfoRequest: c.FormValue("info_request") == "on", ConfirmPersonal: c.FormValue("confirm_personal_data") == "on"}
	m, err := h.svc.Message(c.Request().Context(), web.Actor(c), id, form)
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		return h.renderQuestion(c, http.StatusUnprocessableEntity, id, map[string]string{"body": form.Body}, err)
	case errors.As(err, &ce):
		h.cookies.SetFlash(c, ce.Message)
	case err != nil:
		return h.orMovedOn(c, err)
	case m.Crisis:
		return web.Redirect(c, "/support?next="+url.QueryEscape("/questions/"+strconv.FormatInt(id, 10)+"#messages"))
	default:
		h.cookies.SetFlash(c, "Sent.")
	}
	return web.Redirect(c, "/questions/"+strconv.FormatInt(id, 10)+"#messages")
}

type dashboardData struct {
	*Dashboard
	Offer   int64 // the question a notification pointed to
	MovedOn bool  // and it is no longer the clinician's
}

// Dashboard is the clinician's view of offers, their questions and the pool.
func (h *Handlers) Dashboard(c echo.Context) error {
	d, err := h.svc.ClinicianDashboard(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Private questions for you")
	p.Noindex = true
	for i := range d.Offers {
		d.Offers[i].Remaining = Remaining(h.svc.now(), d.Offers[i].RespondBy)
	}
	data := dashboardData{Dashboard: d}
	if id, err := strconv.ParseInt(c.QueryParam("offer"), 10, 64); err == nil && id > 0 {
		data.Offer, data.MovedOn = id, !d.Has(id)
	}
	p.Data = data
	return h.r.Render(c, http.StatusOK, TplDashboard, p)
}

// Remaining writes a deadline as "5 h 20 min left" (or "overdue").
func Remaining(now time.Time, t *time.Time) string {
	if t == nil {
		return ""
	}
	d := t.Sub(now)
	if d <= 0 {
		return "overdue"
	}
	h := int(d.Hours())
	m := int(d.Minutes()) % 60
	var b strings.Builder
	if h > 0 {
		b.WriteString(strconv.Itoa(h) + " h ")
	}
	b.WriteString(strconv.Itoa(m) + " min left")
	return b.String()
}

// Publish shares an anonymised copy as a public thread.
func (h *Handlers) Publish(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	form := PublishForm{Title: c.FormValue("title"), Body: c.FormValue("body")}
	threadID, err := h.svc.Publish(c.Request().Context(), web.Actor(c), id, form)
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		return h.renderQuestion(c, http.StatusUnprocessableEntity, id, map[string]string{"publish_title": form.Title, "publish_body": form.Body}, err)
	case errors.As(err, &ce):
		h.cookies.SetFlash(c, ce.Message)
		return web.Redirect(c, "/questions/"+strconv.FormatInt(id, 10))
	case err != nil:
		return h.orMovedOn(c, err)
	}
	h.cookies.SetFlash(c, "Published. Your name is not shown; the clinician's answer is.")
	return web.Redirect(c, "/t/"+strconv.FormatInt(threadID, 10))
}

// onOff is a checkbox's value as the form sent it.
func onOff(b bool) string {
	if b {
		return "on"
	}
	return ""
}
