package messages

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Templates.
const (
	TplInbox        = "pages/messages/inbox.html"
	TplConversation = "pages/messages/conversation.html"
	TplNew          = "pages/messages/new.html"
	TplSettings     = "pages/messages/settings.html"
)

// Templates lists the pages for the renderer.
var Templates = []string{TplInbox, TplConversation, TplNew, TplSettings}

// KeepInputPaths are the forms whose handlers check every field with the
// input rules and show the form again with the member's text.
var KeepInputPaths = []string{"/messages", "/messages/:id"}

// Handlers serve the message pages.
type Handlers struct {
	svc     *Service
	r       *web.Renderer
	cookies web.Cookies
	// asTeam guards writing as the moderators as staff pages are guarded
	// (a second factor for the roles that need one); nil: no guard.
	asTeam echo.MiddlewareFunc
}

// NewHandlers wires the HTML handlers; asTeam is the staff pages' guard.
func NewHandlers(svc *Service, r *web.Renderer, cookies web.Cookies, asTeam echo.MiddlewareFunc) *Handlers {
	return &Handlers{svc: svc, r: r, cookies: cookies, asTeam: asTeam}
}

// replyGuard is teamGuard for an answer in the moderators' conversation.
func (h *Handlers) replyGuard(c echo.Context, id int64) (bool, error) {
	team, err := h.svc.WritesAsTeam(c.Request().Context(), web.Actor(c), id)
	if err != nil || !team {
		return err == nil, err
	}
	return h.teamGuard(c)
}

// teamGuard runs the staff guard before a message written as the
// moderators; it reports whether the request may go on (when not, the
// guard answered, or err says why).
func (h *Handlers) teamGuard(c echo.Context) (bool, error) {
	if h.asTeam == nil {
		return true, nil
	}
	passed := false
	err := h.asTeam(func(echo.Context) error { passed = true; return nil })(c)
	return passed && err == nil, err
}

func private(c echo.Context) { c.Response().Header().Set("Cache-Control", "private, no-store") }

// Inbox lists the member's conversations.
func (h *Handlers) Inbox(c echo.Context) error {
	var before time.Time
	if b := c.QueryParam("before"); b != "" {
		t, err := time.Parse(time.RFC3339Nano, b)
		if err != nil {
			return models.ErrNotFound
		}
		before = t
	}
	in, err := h.svc.List(c.Request().Context(), web.Actor(c), before)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Messages")
	p.Noindex = true
	p.Data = in
	private(c)
	return h.r.Render(c, http.StatusOK, TplInbox, p)
}

type newData struct {
	To          string
	CanStart    bool
	Why         string
	Moderator   bool // the writer may write as the moderation team
	AsModerator bool
	Existing    int64 // the conversation the two already have
}

func (h *Handlers) renderNew(c echo.Context, status int, values map[string]string, err error) error {
	actor := web.Actor(c)
	ok, why, cerr := h.svc.CanStart(c.Request().Context(), actor)
	if cerr != nil {
		return cerr
	}
	d := newData{To: values["to"], CanStart: ok, Why: why, Moderator: actor.IsModerator(), AsModerator: values["as_moderator"] == "on"}
	if d.To != "" {
		if to, ferr := h.svc.findMember(c.Request().Context(), h.svc.db.Gorm, d.To); ferr == nil && to != nil && to.ID != actor.ID() {
			d.Existing, _ = h.svc.pairConversation(c.Request().Context(), actor.ID(), to.ID)
		}
	}
	p := h.r.NewPage(c, "New message")
	p.Noindex = true
	p.Data = d
	p.Form.Keep(values, err)
	private(c)
	return h.r.Render(c, status, TplNew, p)
}

// NewPage shows the form for a first message (?to=handle; moderators may
// add moderator=1 to write as the team).
func (h *Handlers) NewPage(c echo.Context) error {
	values := map[string]string{"to": c.QueryParam("to")}
	if c.QueryParam("moderator") == "1" {
		values["as_moderator"] = "on"
	}
	return h.renderNew(c, http.StatusOK, values, nil)
}

// Start sends a first message.
func (h *Handlers) Start(c echo.Context) error {
	form := StartForm{To: c.FormValue("to"), Subject: c.FormValue("subject"), Body: c.FormValue("body"),
		AsModerator: c.FormValue("as_moderator") == "on", ConfirmPersonal: c.FormValue("confirm_personal_data") == "on"}
	if form.AsModerator {
		if ok, err := h.teamGuard(c); !ok {
			return err
		}
	}
	sent, err := h.svc.Start(c.Request().Context(), web.Actor(c), form)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderNew(c, http.StatusUnprocessableEntity, map[string]string{"to": form.To, "subject": form.Subject, "body": form.Body,
			"as_moderator": onOff(form.AsModerator), "confirm_personal_data": onOff(form.ConfirmPersonal)}, err)
	}
	if err != nil {
		return err
	}
	return h.afterSend(c, sent)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return ""
}

func (h *Handlers) afterSend(c echo.Context, sent *Sent) error {
	to := "/messages/" + strconv.FormatInt(sent.ConversationID, 10) + "#message-" + strconv.FormatInt(sent.MessageID, 10)
	if sent.Crisis {
		// As after a post or a private question: the crisis resources
		// come first, with a way on to the conversation.
		return web.Redirect(c, "/support?next="+url.QueryEscape(to))
	}
	h.cookies.SetFlash(c, "Sent.")
	return web.Redirect(c, to)
}

func (h *Handlers) renderConversation(c echo.Context, status int, id int64, values map[string]string, err error) error {
	var before int64
	if b := c.QueryParam("before"); b != "" {
		n, perr := strconv.ParseInt(b, 10, 64)
		if perr != nil || n <= 0 {
			return models.ErrNotFound
		}
		before = n
	}
	v, gerr := h.svc.Conversation(c.Request().Context(), web.Actor(c), id, before)
	if gerr != nil {
		return gerr
	}
	title := "Conversation with " + v.With
	if v.Subject != "" {
		title = v.Subject
	}
	p := h.r.NewPage(c, title)
	p.Noindex = true
	p.Data = v
	p.Form.Keep(values, err)
	private(c)
	return h.r.Render(c, status, TplConversation, p)
}

// Conversation shows one conversation (404 for anyone outside it).
func (h *Handlers) Conversation(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	return h.renderConversation(c, http.StatusOK, id, nil, nil)
}

// Reply adds a message.
func (h *Handlers) Reply(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	form := ReplyForm{Body: c.FormValue("body"), ConfirmPersonal: c.FormValue("confirm_personal_data") == "on"}
	if ok, err := h.replyGuard(c, id); !ok {
		return err
	}
	sent, err := h.svc.Reply(c.Request().Context(), web.Actor(c), id, form)
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		return h.renderConversation(c, http.StatusUnprocessableEntity, id, map[string]string{"body": form.Body, "confirm_personal_data": onOff(form.ConfirmPersonal)}, err)
	case errors.As(err, &ce):
		h.cookies.SetFlash(c, ce.Message)
		return web.Redirect(c, "/messages/"+strconv.FormatInt(id, 10))
	case err != nil:
		return err
	}
	return h.afterSend(c, sent)
}

// SettingsPage shows who may write to the member.
func (h *Handlers) SettingsPage(c echo.Context) error {
	st, err := h.svc.GetSettings(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Who can message you")
	p.Noindex = true
	p.Data = st
	p.Form.Values = map[string]string{"accept": st.Accept}
	return h.r.Render(c, http.StatusOK, TplSettings, p)
}

// SaveSettings stores the choice.
func (h *Handlers) SaveSettings(c echo.Context) error {
	st := Settings{Accept: c.FormValue("accept")}
	err := h.svc.SaveSettings(c.Request().Context(), web.Actor(c), st)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		p := h.r.NewPage(c, "Who can message you")
		p.Noindex = true
		cur, gerr := h.svc.GetSettings(c.Request().Context(), web.Actor(c))
		if gerr != nil {
			return gerr
		}
		p.Data = cur
		return h.r.RenderForm(c, TplSettings, p, map[string]string{"accept": st.Accept}, ve)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Saved. "+acceptSaid(st.Accept))
	return web.Redirect(c, "/account/messages")
}

func acceptSaid(a string) string {
	switch a {
	case models.AcceptFollowed:
		return "Only members you follow can start a conversation with you."
	case models.AcceptNobody:
		return "Members cannot message you; the moderators still can."
	}
	return "Any member who has taken part in the forums can message you."
}

// API serves /api/v1/messages and /api/v1/me/message-settings.
type API struct{ h *Handlers }

// NewAPI wires the JSON handlers.
func NewAPI(h *Handlers) *API { return &API{h: h} }

// List returns the inbox (?before=<cursor from next>).
func (a *API) List(c echo.Context) error {
	var before time.Time
	if b := c.QueryParam("before"); b != "" {
		t, err := time.Parse(time.RFC3339Nano, b)
		if err != nil {
			v := models.NewValidationError()
			v.Add("before", "Pass the next value of the previous page.")
			return v
		}
		before = t
	}
	in, err := a.h.svc.List(c.Request().Context(), web.Actor(c), before)
	if err != nil {
		return err
	}
	if in.Conversations == nil {
		in.Conversations = []Summary{}
	}
	return c.JSON(http.StatusOK, in)
}

// Get returns a conversation (?before=<message id> for older messages).
func (a *API) Get(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	var before int64
	if b := c.QueryParam("before"); b != "" {
		if before, err = strconv.ParseInt(b, 10, 64); err != nil || before <= 0 {
			v := models.NewValidationError()
			v.Add("before", "Pass a message id.")
			return v
		}
	}
	v, err := a.h.svc.Conversation(c.Request().Context(), web.Actor(c), id, before)
	if err != nil {
		return err
	}
	if v.Messages == nil {
		v.Messages = []MessageView{}
	}
	if v.ModeratorReads == nil {
		v.ModeratorReads = []time.Time{}
	}
	return c.JSON(http.StatusOK, v)
}

// Start sends a first message: {"to", "body", "subject", "as_moderator",
// "confirm_personal_data"} → 201 {"conversation_id", "message_id", "crisis",
// "crisis_resources"}.
func (a *API) Start(c echo.Context) error {
	var form StartForm
	if err := c.Bind(&form); err != nil {
		return err
	}
	if form.AsModerator {
		if ok, err := a.h.teamGuard(c); !ok {
			return err
		}
	}
	sent, err := a.h.svc.Start(c.Request().Context(), web.Actor(c), form)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sentJSON(sent))
}

// Reply adds a message: {"body", "confirm_personal_data"}.
func (a *API) Reply(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	var form ReplyForm
	if err := c.Bind(&form); err != nil {
		return err
	}
	if ok, err := a.h.replyGuard(c, id); !ok {
		return err
	}
	sent, err := a.h.svc.Reply(c.Request().Context(), web.Actor(c), id, form)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sentJSON(sent))
}

type sentOut struct {
	*Sent
	// CrisisResources points a client to the crisis resources to show.
	CrisisResources string `json:"crisis_resources,omitempty"`
}

func sentJSON(s *Sent) sentOut {
	out := sentOut{Sent: s}
	if s.Crisis {
		out.CrisisResources = "/api/v1/crisis-resources"
	}
	return out
}

// GetSettings returns {"accept"}.
func (a *API) GetSettings(c echo.Context) error {
	st, err := a.h.svc.GetSettings(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// PutSettings stores {"accept": "everyone"|"followed"|"nobody"}.
func (a *API) PutSettings(c echo.Context) error {
	var st Settings
	if err := c.Bind(&st); err != nil {
		return err
	}
	if err := a.h.svc.SaveSettings(c.Request().Context(), web.Actor(c), st); err != nil {
		return err
	}
	return a.GetSettings(c)
}
