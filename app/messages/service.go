// Package messages is private messaging: one-to-one conversations between
// members, and conversations a moderator opens with a member (a check-in
// after a crisis alert, a warning explained).
//
// Safety is built in rather than bolted on: a member may start
// conversations only after posting a few times in the forums; each member
// chooses who may write to them (everyone, people they follow, nobody) and
// a mute silences someone for good; blocked words refuse a message and
// personal data must be confirmed, as in posts; crisis language leads the
// writer to the crisis resources and tells the moderators on duty that a
// member may be at risk — without the text, which stays private. Any
// message can be reported, and then that message alone becomes readable to
// staff while the report is open (app/moderation). Messages are never
// indexed for search and never quoted in e-mail.
package messages

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/app/ratelimit"
	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/models"
)

// Limits of a message.
const (
	BodyMax    = 5000
	SubjectMax = 120
	// PageSize is how many messages a conversation page shows.
	PageSize = 50
	// InboxSize is how many conversations the inbox shows per page.
	InboxSize = 30
)

// Rate limits per member (staff are not limited in starting
// conversations: check-ins must never wait).
var (
	StartLimit   = ratelimit.Rule{Max: 10, Window: 24 * time.Hour}
	MessageLimit = ratelimit.Rule{Max: 60, Window: time.Hour}
)

// TextChecker runs the watched words and the safety engine
// (moderation.Safety implements it).
type TextChecker interface {
	Check(ctx context.Context, text string) (safety.Result, error)
}

// CrisisFiler tells the moderators that the writer of a private message may
// be at risk, inside the message's transaction, without the text
// (moderation.Safety implements it).
type CrisisFiler interface {
	MessageCrisis(ctx context.Context, tx *database.Tx, authorID int64, level safety.Level) error
}

// Notifier writes the in-app notifications (app/notify implements it).
type Notifier interface {
	// NotifyMessage tells each member of userIDs that the conversation
	// has news: one unread notification per conversation, never the text.
	NotifyMessage(ctx context.Context, tx *gorm.DB, userIDs []int64, conversationID, actorID int64) error
	// MarkConversationRead marks the member's notifications about the
	// conversation read: they opened it.
	MarkConversationRead(ctx context.Context, userID, conversationID int64) error
}

// Options are the operator's settings.
type Options struct {
	// MinPosts is how many visible posts a member needs before starting
	// conversations (KINDRED_MESSAGES_MIN_POSTS; 0: no threshold).
	MinPosts int
}

// Service implements private messages.
type Service struct {
	db       *database.DB
	now      func() time.Time
	md       *markdown.Renderer
	checker  TextChecker
	crisis   CrisisFiler
	notifier Notifier
	limiter  *ratelimit.Limiter
	opts     Options
}

// New builds the service; every collaborator is required, so messages are
// never saved unchecked.
func New(db *database.DB, now func() time.Time, md *markdown.Renderer, checker TextChecker, crisis CrisisFiler, n Notifier, opts Options) (*Service, error) {
	if db == nil || now == nil || md == nil || checker == nil || crisis == nil || n == nil {
		return nil, errors.New("messages: New needs the database, a clock, the Markdown renderer, the safety checks, the crisis filer and the notifier")
	}
	return &Service{db: db, now: now, md: md, checker: checker, crisis: crisis, notifier: n, limiter: ratelimit.New(db.Gorm, now), opts: opts}, nil
}

// Options returns the settings in force.
func (s *Service) Options() Options { return s.opts }

// StartForm starts a conversation (or adds to the one the two members
// already have).
type StartForm struct {
	To      string `json:"to"` // a handle
	Subject string `json:"subject"`
	Body    string `json:"body"`
	// AsModerator opens a conversation between the member and the
	// moderation team (moderators only): the member cannot refuse it.
	AsModerator     bool `json:"as_moderator"`
	ConfirmPersonal bool `json:"confirm_personal_data"`
}

// ReplyForm adds a message to a conversation.
type ReplyForm struct {
	Body            string `json:"body"`
	ConfirmPersonal bool   `json:"confirm_personal_data"`
}

// Sent is what a send did.
type Sent struct {
	ConversationID int64 `json:"conversation_id"`
	MessageID      int64 `json:"message_id"`
	// Crisis: the text matched crisis language; the writer is shown the
	// crisis resources next.
	Crisis bool `json:"crisis"`
}

// errNotAccepting is every refusal by the recipient's choices, so that a
// mute is never told apart from a setting.
func errNotAccepting(handle string) error {
	v := models.NewValidationError()
	v.Code = "not_accepting"
	v.Message = handle + " is not accepting messages from you."
	v.Add("to", handle+" is not accepting messages from you.")
	return v
}

func notFound(id int64) error {
	return fmt.Errorf("messages: conversation %d: %w", id, models.ErrNotFound)
}

func checkBody(v *models.ValidationError, s string) string {
	s = strings.TrimSpace(input.NormalizeNewlines(s))
	if msg := input.Check("body", s); msg != "" {
		v.Add("body", msg)
		return s
	}
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		v.Add("body", "Write your message.")
	case n > BodyMax:
		v.Add("body", "Keep a message under "+strconv.Itoa(BodyMax)+" characters (this one has "+strconv.Itoa(n)+").")
	default:
		var merr *models.ValidationError
		if errors.As(markdown.Check("body", s), &merr) {
			v.Add("body", merr.Fields["body"])
		}
	}
	return s
}

// mayWrite refuses actors who cannot send anything now: visitors,
// suspended or banned members, unconfirmed e-mail addresses.
func mayWrite(actor models.Actor) error {
	if !actor.SignedIn() {
		return models.ErrSignInRequired
	}
	if !actor.Active() {
		return models.ErrForbidden
	}
	if actor.User.EmailUnconfirmed() {
		v := models.NewValidationError()
		v.Code = "email_unconfirmed"
		v.Message = "Confirm your e-mail address before sending private messages: we sent you a link."
		v.Add("body", "Confirm your e-mail address first.")
		return v
	}
	return nil
}

// screen runs the safety checks over a message; crisis reports whether the
// writer may be at risk.
func (s *Service) screen(ctx context.Context, text string, confirmPersonal bool) (safety.Result, error) {
	r, err := s.checker.Check(ctx, text)
	if err != nil {
		return r, err
	}
	return r, safety.Refusal(r, confirmPersonal, "Private messages are still read by another person: remove it, or confirm that you want to send it.")
}

// recipient is the member a message goes to.
type recipient struct {
	ID     int64
	Handle string
	Role   models.Role
	Status string
}

func (s *Service) findMember(ctx context.Context, db *gorm.DB, handle string) (*recipient, error) {
	var r recipient
	if err := db.WithContext(ctx).Raw(`SELECT id, handle, role, status FROM users WHERE lower(handle) = lower(?)`, strings.TrimPrefix(strings.TrimSpace(handle), "@")).Scan(&r).Error; err != nil {
		return nil, err
	}
	if r.ID == 0 {
		return nil, nil
	}
	return &r, nil
}

// accepts reports whether member to accepts a message from member from in
// a member conversation: not muted, and their setting allows it (following
// the writer, or having written in the conversation themselves, satisfies
// "people I follow").
func accepts(ctx context.Context, db *gorm.DB, to, from, conversationID int64) (bool, error) {
	var ok bool
	err := db.WithContext(ctx).Raw(`SELECT NOT EXISTS (SELECT 1 FROM mutes WHERE user_id = @to AND muted_id = @from)
		AND CASE coalesce((SELECT accept FROM message_settings WHERE user_id = @to), 'everyone')
			WHEN 'everyone' THEN true
			WHEN 'followed' THEN EXISTS (SELECT 1 FROM member_follows WHERE user_id = @to AND followed_id = @from)
				OR EXISTS (SELECT 1 FROM messages WHERE conversation_id = @conv AND author_id = @to)
			ELSE false END`,
		map[string]any{"to": to, "from": from, "conv": conversationID}).Scan(&ok).Error
	return ok, err
}

// postCount is how many visible posts the member has, up to limit.
func (s *Service) postCount(ctx context.Context, userID int64, limit int) (int, error) {
	var n int
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM (SELECT 1 FROM posts WHERE author_id = ? AND visibility = 'visible' AND deleted_at IS NULL LIMIT ?) x`,
		userID, limit).Scan(&n).Error
	return n, err
}

// CanStart says whether the actor may start member conversations now; when
// not, why (for the page, before they write anything).
func (s *Service) CanStart(ctx context.Context, actor models.Actor) (bool, string, error) {
	if err := mayWrite(actor); err != nil {
		var v *models.ValidationError
		if errors.As(err, &v) {
			return false, v.Message, nil
		}
		return false, "Your account cannot send messages now.", nil
	}
	if actor.IsModerator() || actor.Clinician || s.opts.MinPosts <= 0 {
		return true, "", nil
	}
	n, err := s.postCount(ctx, actor.ID(), s.opts.MinPosts)
	if err != nil {
		return false, "", err
	}
	if n >= s.opts.MinPosts {
		return true, "", nil
	}
	return false, tooNewMessage(s.opts.MinPosts, n), nil
}

func tooNewMessage(min, n int) string {
	posts := "posts"
	if min == 1 {
		posts = "post"
	}
	return "You can start private conversations once you have " + strconv.Itoa(min) + " " + posts + " in the forums (you have " + strconv.Itoa(n) +
		"). This keeps members safe from unwanted messages. You can always answer someone who writes to you, and write to the moderators by reporting or appealing."
}

// Start sends a first message: to a member (into the conversation the two
// already have, if any), or, for moderators who ask, as the moderation team.
func (s *Service) Start(ctx context.Context, actor models.Actor, form StartForm) (_ *Sent, err error) {
	defer wrap(&err, "messages: start")
	if err := mayWrite(actor); err != nil {
		return nil, err
	}
	v := models.NewValidationError()
	form.Body = checkBody(v, form.Body)
	form.Subject = strings.Join(strings.Fields(form.Subject), " ")
	if msg := input.Check("subject", form.Subject); msg != "" {
		v.Add("subject", msg)
	} else if n := utf8.RuneCountInString(form.Subject); n > SubjectMax {
		v.Add("subject", "Keep the subject under "+strconv.Itoa(SubjectMax)+" characters.")
	}
	if form.AsModerator && !actor.IsModerator() {
		v.Add("as_moderator", "Only moderators write as the moderation team.")
	}
	to, err := s.findMember(ctx, s.db.Gorm, form.To)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(form.To) == "":
		v.Add("to", "Choose who to write to.")
	case to == nil:
		v.Add("to", "There is no member called “"+strings.TrimSpace(form.To)+"”.")
	case to.ID == actor.ID():
		v.Add("to", "You cannot write to yourself.")
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	if form.AsModerator {
		return s.startModerators(ctx, actor, to, form)
	}
	existing, err := s.pairConversation(ctx, actor.ID(), to.ID)
	if err != nil {
		return nil, err
	}
	if existing == 0 && !actor.IsStaff() {
		if ok, why, err := s.CanStart(ctx, actor); err != nil {
			return nil, err
		} else if !ok {
			v := models.NewValidationError()
			v.Code = "too_new"
			v.Message = why
			v.Add("to", why)
			return nil, v
		}
	}
	if ok, err := accepts(ctx, s.db.Gorm, to.ID, actor.ID(), existing); err != nil {
		return nil, err
	} else if !ok && !actor.IsStaff() {
		return nil, errNotAccepting(to.Handle)
	}
	r, err := s.screen(ctx, form.Body, form.ConfirmPersonal)
	if err != nil {
		return nil, err
	}
	if existing == 0 && !actor.IsStaff() {
		if err := s.limiter.Hit(ctx, "message-start:"+strconv.FormatInt(actor.ID(), 10), StartLimit); err != nil {
			return nil, err
		}
	}
	if err := s.limiter.Hit(ctx, "message:"+strconv.FormatInt(actor.ID(), 10), MessageLimit); err != nil {
		return nil, err
	}
	html, err := s.md.Render(form.Body)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	sent := &Sent{Crisis: r.Crisis}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		low, high := min(actor.ID(), to.ID), max(actor.ID(), to.ID)
		key := strconv.FormatInt(low, 10) + ":" + strconv.FormatInt(high, 10)
		// One conversation per pair: a concurrent first message from the
		// other side lands in the same one.
		var id int64
		if err := tx.Raw(`INSERT INTO conversations (kind, started_by, subject, pair_key, created_at, last_message_at) VALUES ('member', ?, ?, ?, ?, ?)
			ON CONFLICT (pair_key) WHERE kind = 'member' DO UPDATE SET last_message_at = excluded.last_message_at RETURNING id`,
			actor.ID(), form.Subject, key, now, now).Scan(&id).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES (?, ?, ?), (?, ?, ?) ON CONFLICT DO NOTHING`,
			id, actor.ID(), now, id, to.ID, now).Error; err != nil {
			return err
		}
		sent.ConversationID = id
		return s.add(ctx, tx, actor, id, []int64{to.ID}, false, form.Body, html, r, now, sent)
	})
	if err != nil {
		return nil, err
	}
	return sent, nil
}

func (s *Service) pairConversation(ctx context.Context, a, b int64) (int64, error) {
	var id int64
	key := strconv.FormatInt(min(a, b), 10) + ":" + strconv.FormatInt(max(a, b), 10)
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id FROM conversations WHERE kind = 'member' AND pair_key = ?`, key).Scan(&id).Error
	return id, err
}

// startModerators opens a conversation between the member and the
// moderation team. A member's message settings and mutes do not apply:
// moderators must be able to reach anyone.
func (s *Service) startModerators(ctx context.Context, actor models.Actor, to *recipient, form StartForm) (*Sent, error) {
	r, err := s.screen(ctx, form.Body, true)
	if err != nil {
		return nil, err
	}
	html, err := s.md.Render(form.Body)
	if err != nil {
		return nil, err
	}
	if form.Subject == "" {
		form.Subject = "A message from the moderators"
	}
	now := s.now().UTC()
	sent := &Sent{}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		c := models.Conversation{Kind: models.ConversationModerators, MemberID: &to.ID, StartedBy: &actor.User.ID, Subject: form.Subject, CreatedAt: now, LastMessageAt: now}
		if err := tx.Omit("ID", "PairKey").Create(&c).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES (?, ?, ?), (?, ?, ?)`,
			c.ID, actor.ID(), now, c.ID, to.ID, now).Error; err != nil {
			return err
		}
		sent.ConversationID = c.ID
		return s.add(ctx, tx, actor, c.ID, []int64{to.ID}, true, form.Body, html, r, now, sent)
	})
	if err != nil {
		return nil, err
	}
	return sent, nil
}

// add writes one message and what follows from it, inside tx: the
// writer's read mark, the notifications, and for a member in crisis, the
// moderators' alert.
func (s *Service) add(ctx context.Context, tx *database.Tx, actor models.Actor, convID int64, notify []int64, asModerator bool, body, html string, r safety.Result, now time.Time, sent *Sent) error {
	uid := actor.ID()
	m := models.Message{ConversationID: convID, AuthorID: &uid, AsModerator: asModerator, Crisis: r.Crisis && !asModerator, Body: body, BodyHTML: html, CreatedAt: now}
	if err := tx.Omit("ID").Create(&m).Error; err != nil {
		return err
	}
	sent.MessageID = m.ID
	if err := tx.Exec(`UPDATE conversations SET last_message_at = ? WHERE id = ?`, now, convID).Error; err != nil {
		return err
	}
	if err := tx.Exec(`UPDATE conversation_members SET last_read_id = ? WHERE conversation_id = ? AND user_id = ?`, m.ID, convID, uid).Error; err != nil {
		return err
	}
	if err := s.notifier.NotifyMessage(ctx, tx.DB, notify, convID, uid); err != nil {
		return err
	}
	if r.Crisis && !asModerator {
		return s.crisis.MessageCrisis(ctx, tx, uid, r.CrisisLevel)
	}
	return nil
}

// Reply adds a message to a conversation the actor may write in.
func (s *Service) Reply(ctx context.Context, actor models.Actor, id int64, form ReplyForm) (_ *Sent, err error) {
	defer wrap(&err, "messages: reply in %d", id)
	if !actor.SignedIn() {
		return nil, notFound(id)
	}
	c, seated, err := s.access(ctx, s.db.Gorm, actor, id)
	if err != nil {
		return nil, err
	}
	if err := mayWrite(actor); err != nil {
		return nil, err
	}
	v := models.NewValidationError()
	form.Body = checkBody(v, form.Body)
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	asModerator := c.Kind == models.ConversationModerators && (c.MemberID == nil || *c.MemberID != actor.ID())
	var others []int64
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT user_id FROM conversation_members WHERE conversation_id = ? AND user_id <> ? ORDER BY user_id`, id, actor.ID()).Scan(&others).Error; err != nil {
		return nil, err
	}
	if c.Kind == models.ConversationMember {
		if len(others) != 1 {
			return nil, &models.ConflictError{Message: "The other member has left Kindred: this conversation takes no more messages."}
		}
		var handle string
		if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT handle FROM users WHERE id = ?`, others[0]).Scan(&handle).Error; err != nil {
			return nil, err
		}
		if ok, err := accepts(ctx, s.db.Gorm, others[0], actor.ID(), id); err != nil {
			return nil, err
		} else if !ok && !actor.IsStaff() {
			return nil, errNotAccepting(handle)
		}
	}
	if c.Kind == models.ConversationModerators && !asModerator {
		// The member writes to the team: the moderators seated in it, or
		// when none is left, every global moderator and admin.
		var team []int64
		if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id FROM users WHERE status = 'active' AND id IN ? AND (role IN ('moderator', 'admin')
			OR id IN (SELECT user_id FROM forum_moderators))`, append(others, 0)).Scan(&team).Error; err != nil {
			return nil, err
		}
		if len(team) == 0 {
			if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id FROM users WHERE status = 'active' AND role IN ('moderator', 'admin') ORDER BY id`).Scan(&team).Error; err != nil {
				return nil, err
			}
		}
		others = team
	}
	r, err := s.screen(ctx, form.Body, form.ConfirmPersonal || asModerator)
	if err != nil {
		return nil, err
	}
	if !asModerator {
		if err := s.limiter.Hit(ctx, "message:"+strconv.FormatInt(actor.ID(), 10), MessageLimit); err != nil {
			return nil, err
		}
	}
	html, err := s.md.Render(form.Body)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	sent := &Sent{ConversationID: id, Crisis: r.Crisis && !asModerator}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Exec(`SELECT 1 FROM conversations WHERE id = ? FOR UPDATE`, id).Error; err != nil {
			return err
		}
		if !seated {
			// A global moderator answering for the team takes a seat.
			if err := tx.Exec(`INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, id, actor.ID(), now).Error; err != nil {
				return err
			}
		}
		return s.add(ctx, tx, actor, id, others, asModerator, form.Body, html, r, now, sent)
	})
	if err != nil {
		return nil, err
	}
	return sent, nil
}

// access loads a conversation the actor may read: their own, or for staff
// any conversation with the moderators. Everything else is not found, so
// a conversation's existence is never told.
func (s *Service) access(ctx context.Context, db *gorm.DB, actor models.Actor, id int64) (*models.Conversation, bool, error) {
	var c models.Conversation
	if id <= 0 || !actor.SignedIn() {
		return nil, false, notFound(id)
	}
	err := db.WithContext(ctx).Raw(`SELECT * FROM conversations WHERE id = ?`, id).Scan(&c).Error
	if err != nil {
		return nil, false, err
	}
	if c.ID == 0 {
		return nil, false, notFound(id)
	}
	var seated bool
	if err := db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = ? AND user_id = ?)`, id, actor.ID()).Scan(&seated).Error; err != nil {
		return nil, false, err
	}
	if seated {
		// A forum moderator who opened a check-in keeps it only while
		// they are a moderator.
		if c.Kind == models.ConversationModerators && (c.MemberID == nil || *c.MemberID != actor.ID()) && !actor.IsModerator() {
			return nil, false, notFound(id)
		}
		return &c, true, nil
	}
	if c.Kind == models.ConversationModerators && actor.IsStaff() && actor.Active() {
		return &c, false, nil
	}
	return nil, false, notFound(id)
}

func wrap(err *error, format string, args ...any) {
	if *err != nil {
		*err = fmt.Errorf(format+": %w", append(args, *err)...)
	}
}
