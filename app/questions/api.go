package questions

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// API serves the private-question endpoints under /api/v1.
type API struct {
	h *Handlers
}

// NewAPI wires the JSON handlers.
func NewAPI(h *Handlers) *API { return &API{h: h} }

type messageJSON struct {
	ID          int64     `json:"id"`
	Author      string    `json:"author"`
	FromAsker   bool      `json:"from_asker"`
	BodyHTML    string    `json:"body_html"`
	InfoRequest bool      `json:"info_request"`
	CreatedAt   time.Time `json:"created_at"`
}

type eventJSON struct {
	Kind   string                `json:"kind"`
	Status models.QuestionStatus `json:"status"`
	At     time.Time             `json:"at"`
}

type questionJSON struct {
	ID              int64                 `json:"id"`
	Title           string                `json:"title"`
	Body            string                `json:"body"`
	BodyHTML        string                `json:"body_html"`
	Status          models.QuestionStatus `json:"status"`
	StatusText      string                `json:"status_text"` // where it stands and what happens next, in words
	Urgent          bool                  `json:"urgent"`
	Forum           string                `json:"forum"`
	Specialty       string                `json:"specialty"`
	Clinician       string                `json:"clinician,omitempty"`          // the asker's: who took it
	ClinicianStatus string                `json:"clinician_standing,omitempty"` // and their verification
	RespondBy       *time.Time            `json:"respond_by,omitempty"`
	AnswerBy        *time.Time            `json:"answer_by,omitempty"`
	Rating          *string               `json:"rating"`
	PublishConsent  bool                  `json:"publish_consent"`
	You             string                `json:"you"` // asker or clinician
	Messages        []messageJSON         `json:"messages"`
	EarlierHidden   int                   `json:"earlier_messages_not_shared,omitempty"` // the clinician's
	ShareChoice     bool                  `json:"can_share_earlier_conversation,omitempty"`
	CanReopen       bool                  `json:"can_reopen,omitempty"`
	Timeline        []eventJSON           `json:"timeline,omitempty"` // the asker's
	Readers         []Reader              `json:"readers,omitempty"`  // the asker's: who else read it
	CreatedAt       time.Time             `json:"created_at"`
}

func toJSON(v *View) questionJSON {
	q := v.Question
	out := questionJSON{ID: q.ID, Title: q.Title, Body: q.Body, BodyHTML: q.BodyHTML, Status: q.Status, StatusText: v.Status, Urgent: q.Urgent(),
		Forum: v.ForumSlug, Specialty: v.SpecialtyName, RespondBy: q.RespondBy, AnswerBy: q.AnswerBy, Rating: q.Rating,
		PublishConsent: q.PublishConsent, You: "clinician", Messages: []messageJSON{}, EarlierHidden: v.EarlierHidden, CreatedAt: q.CreatedAt}
	if v.Asker {
		out.You, out.Clinician, out.ClinicianStatus, out.Readers = "asker", v.AssigneeName, v.AssigneeLabel, v.Readers
		out.ShareChoice, out.CanReopen = v.ShareChoice, v.CanReopen
	}
	for _, m := range v.Messages {
		out.Messages = append(out.Messages, messageJSON{ID: m.ID, Author: m.Author, FromAsker: m.FromAsker, BodyHTML: m.BodyHTML, InfoRequest: m.InfoRequest, CreatedAt: m.CreatedAt})
	}
	for _, e := range v.Timeline {
		out.Timeline = append(out.Timeline, eventJSON{Kind: e.Kind, Status: e.Status, At: e.CreatedAt})
	}
	return out
}

func (a *API) show(c echo.Context, id int64, status int) error {
	v, err := a.h.svc.Get(c.Request().Context(), web.Actor(c), id, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(status, toJSON(v))
}

// Mine lists the caller's questions.
func (a *API) Mine(c echo.Context) error {
	items, err := a.h.svc.Asked(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	if items == nil {
		items = []Summary{}
	}
	return c.JSON(http.StatusOK, map[string]any{"questions": items})
}

// Ask queues a question. An urgent-symptom match answers 422 with code
// "urgent" until the request says "not_emergency": true.
func (a *API) Ask(c echo.Context) error {
	var form AskForm
	if err := c.Bind(&form); err != nil {
		return err // the Binder names what is wrong
	}
	q, err := a.h.svc.Ask(c.Request().Context(), web.Actor(c), form)
	var ue *UrgentError
	if errors.As(err, &ue) {
		guidance, _, gerr := a.h.svc.urgentGuidance(c.Request().Context())
		if gerr != nil {
			return gerr
		}
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"error": map[string]any{"code": "urgent",
			"message":  "Your question mentions " + joinTerms(ue.Terms) + ". If this is happening now, call your local emergency number. To send the question anyway, confirm it is not an emergency.",
			"fields":   map[string]string{"not_emergency": "Confirm that this is not an emergency."},
			"guidance": guidance, "evidence": ue.Terms}})
	}
	if err != nil {
		return err
	}
	v, err := a.h.svc.Get(c.Request().Context(), web.Actor(c), q.ID, c.RealIP())
	if err != nil {
		return err
	}
	out := askedJSON{questionJSON: toJSON(v), Crisis: q.Crisis}
	if q.Crisis {
		out.SupportURL = "/support"
	}
	return c.JSON(http.StatusCreated, out)
}

// askedJSON is a new question; a crisis match points to the crisis
// resources, which clients show before anything else.
type askedJSON struct {
	questionJSON
	Crisis     bool   `json:"crisis"`
	SupportURL string `json:"support_url,omitempty"`
}

func joinTerms(t []string) string {
	out := ""
	for i, s := range t {
		if i > 0 {
			out += ", "
		}
		out += "“" + s + "”"
	}
	return out
}

// Get returns a question to its asker or assignee.
func (a *API) Get(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	return a.show(c, id, http.StatusOK)
}

func (a *API) act(c echo.Context, do func(actor models.Actor, id int64) error) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := do(web.Actor(c), id); err != nil {
		return err
	}
	v, err := a.h.svc.Get(c.Request().Context(), web.Actor(c), id, c.RealIP())
	if err != nil {
		return c.NoContent(http.StatusNoContent) // the actor no longer reads it (declined)
	}
	return c.JSON(http.StatusOK, toJSON(v))
}

// Accept an offer.
func (a *API) Accept(c echo.Context) error {
	return a.act(c, func(actor models.Actor, id int64) error { return a.h.svc.Accept(c.Request().Context(), actor, id) })
}

// Decline an offer.
func (a *API) Decline(c echo.Context) error {
	return a.act(c, func(actor models.Actor, id int64) error { return a.h.svc.Decline(c.Request().Context(), actor, id) })
}

// Claim from the pool.
func (a *API) Claim(c echo.Context) error {
	return a.act(c, func(actor models.Actor, id int64) error { return a.h.svc.Claim(c.Request().Context(), actor, id) })
}

// HandBack gives a held question back: {"reason"} (never shown to the asker).
func (a *API) HandBack(c echo.Context) error {
	var body struct {
		Reason string `json:"reason"`
	}
	if err := c.Bind(&body); err != nil {
		return err // the Binder names what is wrong
	}
	return a.act(c, func(actor models.Actor, id int64) error {
		return a.h.svc.HandBack(c.Request().Context(), actor, id, body.Reason)
	})
}

// Reopen a closed question.
func (a *API) Reopen(c echo.Context) error {
	return a.act(c, func(actor models.Actor, id int64) error { return a.h.svc.Reopen(c.Request().Context(), actor, id) })
}

// ShareHistory gives the new clinician the earlier conversation.
func (a *API) ShareHistory(c echo.Context) error {
	return a.act(c, func(actor models.Actor, id int64) error {
		return a.h.svc.ShareHistory(c.Request().Context(), actor, id)
	})
}

// Withdraw a question.
func (a *API) Withdraw(c echo.Context) error {
	return a.act(c, func(actor models.Actor, id int64) error { return a.h.svc.Withdraw(c.Request().Context(), actor, id) })
}

// Close a question.
func (a *API) Close(c echo.Context) error {
	return a.act(c, func(actor models.Actor, id int64) error { return a.h.svc.Close(c.Request().Context(), actor, id) })
}

// Rate an answer: {"rating": "helpful" | "not_helpful"}.
func (a *API) Rate(c echo.Context) error {
	var body struct {
		Rating string `json:"rating"`
	}
	if err := c.Bind(&body); err != nil {
		return err // the Binder names what is wrong
	}
	return a.act(c, func(actor models.Actor, id int64) error {
		return a.h.svc.Rate(c.Request().Context(), actor, id, body.Rating)
	})
}

// Consent to publishing: {"consent": true}.
func (a *API) Consent(c echo.Context) error {
	var body struct {
		Consent bool `json:"consent"`
	}
	if err := c.Bind(&body); err != nil {
		return err // the Binder names what is wrong
	}
	return a.act(c, func(actor models.Actor, id int64) error {
		return a.h.svc.SetConsent(c.Request().Context(), actor, id, body.Consent)
	})
}

// Message adds to the conversation: {"body", "info_request"}.
func (a *API) Message(c echo.Context) error {
	var form MessageForm
	if err := c.Bind(&form); err != nil {
		return err // the Binder names what is wrong
	}
	return a.act(c, func(actor models.Actor, id int64) error {
		_, err := a.h.svc.Message(c.Request().Context(), actor, id, form)
		return err
	})
}

// Dashboard returns the clinician's offers, questions and pool.
func (a *API) Dashboard(c echo.Context) error {
	d, err := a.h.svc.ClinicianDashboard(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	for _, l := range []*[]Summary{&d.Offers, &d.Open, &d.Finished, &d.Pool} {
		if *l == nil {
			*l = []Summary{}
		}
	}
	return c.JSON(http.StatusOK, d)
}

// Publish shares an anonymised copy: {"title", "body"}; answers with the
// new thread's id.
func (a *API) Publish(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	var form PublishForm
	if err := c.Bind(&form); err != nil {
		return err // the Binder names what is wrong
	}
	threadID, err := a.h.svc.Publish(c.Request().Context(), web.Actor(c), id, form)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"thread_id": threadID, "url": "/t/" + strconv.FormatInt(threadID, 10)})
}
