package moderation

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Notifier tells a reporter their report was decided, inside the decision's
// transaction, and moderators that a report needs them (app/notify).
type Notifier interface {
	NotifyReport(ctx context.Context, tx *gorm.DB, userID int64, reportID int64) error
	NotifyReportTo(ctx context.Context, tx *gorm.DB, userIDs []int64, kind string, reportID int64) error
}

// Content changes threads and posts, which app/forums owns; each change
// also queues the thread's search document.
type Content interface {
	SetVisibility(ctx context.Context, tx *database.Tx, kind string, id, threadID int64, to, from models.Visibility) (bool, error)
	SetThreadState(ctx context.Context, tx *database.Tx, threadID int64, state models.ThreadState) error
	MoveThread(ctx context.Context, tx *database.Tx, threadID, fromForumID, toForumID int64) error
}

// Options are the operator's settings.
type Options struct {
	// HideThreshold is the open-report weight at which content is hidden
	// until a moderator decides.
	HideThreshold float64
	// AckWithin is how long a crisis item may wait for a moderator's
	// acknowledgement before admins are alerted.
	AckWithin time.Duration
	// Mail sends alert e-mails (SMTP is configured).
	Mail bool
}

// Safety is the part of moderation that the writing features call while
// they save a text: the watched words, Kindred's own reports, crisis
// filing and alerts, the crisis resources and the emergency guidance. It
// needs no other feature, so it is built first and handed to forums and
// private questions; the Service that acts on their content comes after
// them.
type Safety struct {
	db       *database.DB
	now      func() time.Time
	notifier Notifier
	log      *slog.Logger
	opts     Options
}

// NewSafety builds the safety checks.
func NewSafety(db *database.DB, now func() time.Time, n Notifier, log *slog.Logger, opts Options) (*Safety, error) {
	if db == nil || now == nil || n == nil || log == nil {
		return nil, errors.New("moderation: NewSafety needs a database, a clock, a notifier and a logger")
	}
	if opts.HideThreshold <= 0 {
		opts.HideThreshold = 3
	}
	if opts.AckWithin <= 0 {
		opts.AckWithin = 15 * time.Minute
	}
	return &Safety{db: db, now: now, notifier: n, log: log, opts: opts}, nil
}

// Service implements reports and moderation. It shares the Safety's
// database, clock, notifier and settings.
type Service struct {
	*Safety
	content   Content
	accounts  Accounts
	messenger Messenger
}

// New builds the service on the safety checks, with the features whose
// tables moderation changes: forums' content (threads and posts) and
// accounts (app/auth, with private questions for a restricted clinician),
// and the member messages that tell people what was decided.
func New(safety *Safety, content Content, accounts Accounts, messenger Messenger) (*Service, error) {
	var missing []string
	if safety == nil {
		missing = append(missing, "safety checks")
	}
	if content == nil {
		missing = append(missing, "forum content")
	}
	if accounts == nil {
		missing = append(missing, "accounts")
	}
	if messenger == nil {
		missing = append(missing, "member messages")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("moderation: New needs %s", strings.Join(missing, ", "))
	}
	return &Service{Safety: safety, content: content, accounts: accounts, messenger: messenger}, nil
}

// Target is what a report is about, as a moderator sees it.
type Target struct {
	Kind          string `json:"kind"`
	ID            int64  `json:"id"`
	ForumID       *int64 `json:"-"`
	ForumSlug     string `json:"forum,omitempty"`
	ThreadID      int64  `json:"thread_id,omitempty"`
	Title         string `json:"title,omitempty"`
	BodyHTML      string `json:"body_html,omitempty"`
	AuthorID      int64  `json:"-"`
	AuthorHandle  string `json:"author,omitempty"` // "" when anonymous
	Anonymous     bool   `json:"anonymous"`
	Visibility    string `json:"visibility,omitempty"`
	ThreadState   string `json:"thread_state,omitempty"`
	ClinicianOnly bool   `json:"-"`
	QuestionAsker int64  `json:"-"`
	QuestionHeld  int64  `json:"-"`
}

// Link is where the target is shown on the site ("" for private content).
func (t *Target) Link() string {
	switch t.Kind {
	case models.TargetPost:
		return fmt.Sprintf("/t/%d?after=%d#post-%d", t.ThreadID, t.ID-1, t.ID)
	case models.TargetThread:
		return fmt.Sprintf("/t/%d", t.ID)
	case models.TargetUser:
		return "/members/" + t.AuthorHandle
	}
	return ""
}

// load finds a report target with what moderation needs. A message of a
// private question is loaded here only for its participants (reporting it);
// moderators reach one only through reportedMessage.
func (s *Service) load(ctx context.Context, db *gorm.DB, kind string, id int64) (*Target, error) {
	t := &Target{Kind: kind, ID: id}
	var err error
	switch kind {
	case models.TargetPost:
		err = db.WithContext(ctx).Raw(`SELECT t.forum_id, f.slug AS forum_slug, p.thread_id, t.title, p.body_html, p.author_id,
			CASE WHEN p.anonymous THEN '' ELSE u.handle END AS author_handle, p.anonymous,
			CASE WHEN p.deleted_at IS NOT NULL THEN 'deleted' ELSE p.visibility END AS visibility, t.state AS thread_state, f.clinician_only
			FROM posts p JOIN threads t ON t.id = p.thread_id JOIN forums f ON f.id = t.forum_id JOIN users u ON u.id = p.author_id
			WHERE p.id = ?`, id).Scan(t).Error
	case models.TargetThread:
		err = db.WithContext(ctx).Raw(`SELECT t.forum_id, f.slug AS forum_slug, t.id AS thread_id, t.title,
			(SELECT p.body_html FROM posts p WHERE p.thread_id = t.id ORDER BY p.id LIMIT 1) AS body_html, t.author_id,
			CASE WHEN t.anonymous THEN '' ELSE u.handle END AS author_handle, t.anonymous, t.visibility, t.state AS thread_state, f.clinician_only
			FROM threads t JOIN forums f ON f.id = t.forum_id JOIN users u ON u.id = t.author_id
			WHERE t.id = ?`, id).Scan(t).Error
	case models.TargetUser:
		err = db.WithContext(ctx).Raw(`SELECT id AS author_id, handle AS author_handle FROM users WHERE id = ?`, id).Scan(t).Error
	case models.TargetQuestionMessage:
		err = db.WithContext(ctx).Raw(`SELECT m.body_html, m.author_id, u.handle AS author_handle, q.asker_id AS question_asker,
			coalesce(q.assignee_id, 0) AS question_held
			FROM question_messages m JOIN questions q ON q.id = m.question_id JOIN users u ON u.id = m.author_id
			WHERE m.id = ?`, id).Scan(t).Error
	default:
		return nil, fmt.Errorf("moderation: target kind %q: %w", kind, models.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if t.AuthorID == 0 {
		return nil, fmt.Errorf("moderation: %s %d: %w", kind, id, models.ErrNotFound)
	}
	t.Kind, t.ID = kind, id
	return t, nil
}

// ReportForm is a member's report.
type ReportForm struct {
	Kind   string              `json:"kind"`
	ID     int64               `json:"id"`
	Reason models.ReportReason `json:"reason"`
	Note   string              `json:"note"`
}

// MaxNote is the longest note a reporter may add.
const MaxNote = 1000

// canSee reports whether the actor may see the target (and so report it):
// visible forum content they can read, another member, or a message in
// one of their own private questions.
func (s *Service) canSee(actor models.Actor, t *Target) (bool, error) {
	switch t.Kind {
	case models.TargetUser:
		return true, nil
	case models.TargetQuestionMessage:
		return t.QuestionAsker == actor.ID() || t.QuestionHeld == actor.ID(), nil
	}
	if t.Visibility != string(models.Visible) {
		return false, nil
	}
	// The one rule for reading a forum decides (models.Actor.MayReadForum).
	// Sensitive (members only) is passed for every forum: a reporter always
	// has an account, so it narrows nothing, and the target does not carry
	// the flag.
	f := &models.Forum{ClinicianOnly: t.ClinicianOnly, Sensitive: true}
	if t.ForumID != nil {
		f.ID = *t.ForumID
	}
	return actor.MayReadForum(f), nil
}

// stats reads what a reporter's weight depends on.
func (s *Service) stats(ctx context.Context, db *gorm.DB, userID int64) (ReporterStats, error) {
	var st ReporterStats
	err := db.WithContext(ctx).Raw(`SELECT
		EXISTS (SELECT 1 FROM credentials WHERE user_id = ? AND clinician_verified(status, verified_until, ?)) AS clinician,
		(SELECT count(*) FROM reports WHERE reporter_id = ? AND status = 'upheld') AS upheld,
		(SELECT count(*) FROM reports WHERE reporter_id = ? AND status = 'dismissed') AS dismissed`,
		userID, s.now().UTC(), userID, userID).Scan(&st).Error
	return st, err
}

// Report files a report. Content whose open reports together weigh at
// least the threshold is hidden until a moderator decides.
func (s *Service) Report(ctx context.Context, actor models.Actor, form ReportForm) (*models.Report, error) {
	u := actor.User
	now := s.now().UTC()
	if u == nil || !u.CanSignIn(now) {
		return nil, models.ErrForbidden
	}
	t, err := s.load(ctx, s.db.Gorm, form.Kind, form.ID)
	if err != nil {
		return nil, err
	}
	ok, err := s.canSee(actor, t)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("moderation: %s %d: %w", form.Kind, form.ID, models.ErrNotFound)
	}
	v := models.NewValidationError()
	if !form.Reason.Valid() {
		v.Add("reason", "Choose what is wrong.")
	}
	form.Note = strings.TrimSpace(form.Note)
	if !utf8.ValidString(form.Note) || utf8.RuneCountInString(form.Note) > MaxNote {
		v.Add("note", "Keep the note under 1,000 characters.")
	}
	if t.AuthorID == u.ID {
		v.Add("reason", "You cannot report yourself. You can edit or delete your own posts.")
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	st, err := s.stats(ctx, s.db.Gorm, u.ID)
	if err != nil {
		return nil, err
	}
	r := &models.Report{ReporterID: &u.ID, TargetKind: t.Kind, TargetID: t.ID, ForumID: t.ForumID, Reason: form.Reason, Note: form.Note,
		Weight: Weight(st, form.Reason), Status: models.ReportOpen, CreatedAt: now}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Omit("ID").Create(r).Error; err != nil {
			return err
		}
		if t.Kind != models.TargetPost && t.Kind != models.TargetThread {
			return nil
		}
		var total float64
		if err := tx.Raw(`SELECT coalesce(sum(weight), 0) FROM reports WHERE target_kind = ? AND target_id = ? AND status = 'open'`, t.Kind, t.ID).Scan(&total).Error; err != nil {
			return err
		}
		if total < s.opts.HideThreshold {
			return nil
		}
		hidden, err := s.content.SetVisibility(ctx, tx, t.Kind, t.ID, t.ThreadID, models.Hidden, models.Visible)
		if err != nil || !hidden {
			return err
		}
		if s.messenger != nil && t.AuthorID != 0 {
			msg := "Your " + t.Kind
			if t.Title != "" {
				msg += " in “" + t.Title + "”"
			}
			msg += " is hidden while a moderator looks at reports about it. You will hear what they decide."
			if err := s.messenger.NotifyMember(ctx, tx.DB, t.AuthorID, models.NotifyModerationWarning, msg); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, nil, "auto_hide", t, fmt.Sprintf("open reports weigh %.2f", total), "applied")
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return nil, &models.ConflictError{Message: "You have already reported this. Moderators will look at it."}
	}
	if err != nil {
		return nil, fmt.Errorf("moderation: report: %w", err)
	}
	return r, nil
}

// record appends a moderation action and its audit event.
func (s *Service) record(ctx context.Context, tx *database.Tx, moderator *int64, action string, t *Target, reason, outcome string) error {
	author := t.AuthorID
	if err := tx.Create(&models.ModerationAction{ModeratorID: moderator, Action: action, TargetKind: t.Kind, TargetID: t.ID, AuthorID: &author,
		Reason: reason, Outcome: outcome, CreatedAt: s.now().UTC()}).Error; err != nil {
		return err
	}
	if outcome != "applied" {
		return nil
	}
	id := t.ID
	return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: moderator, Action: "moderation." + action, TargetKind: t.Kind, TargetID: &id, Reason: reason})
}

// Scope is what a moderator may act on.
type Scope struct {
	Global bool
	Forums map[int64]bool
}

// ScopeOf loads u's moderation scope; ok is false for non-moderators.
// ReportTarget is what a report is about, for a moderator; anyone else,
// and a report that does not exist, get ErrNotFound (the item page itself
// checks the moderator's scope).
func (s *Service) ReportTarget(ctx context.Context, actor models.Actor, reportID int64) (string, int64, error) {
	if _, ok, err := s.ScopeOf(ctx, actor); err != nil || !ok {
		if err == nil {
			err = models.ErrNotFound
		}
		return "", 0, err
	}
	var r struct {
		TargetKind string
		TargetID   int64
	}
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT target_kind, target_id FROM reports WHERE id = ?`, reportID).Scan(&r).Error; err != nil {
		return "", 0, err
	}
	if r.TargetKind == "" {
		return "", 0, fmt.Errorf("moderation: report %d: %w", reportID, models.ErrNotFound)
	}
	return r.TargetKind, r.TargetID, nil
}

func (s *Service) ScopeOf(_ context.Context, actor models.Actor) (Scope, bool, error) {
	sc := Scope{Forums: map[int64]bool{}, Global: actor.IsStaff()}
	if !actor.SignedIn() {
		return sc, false, nil
	}
	for id := range actor.ModeratedForums {
		sc.Forums[id] = true
	}
	return sc, actor.IsModerator(), nil
}

// Covers reports whether the scope includes the target.
func (sc Scope) Covers(t *Target) bool {
	return sc.Global || (t.ForumID != nil && sc.Forums[*t.ForumID])
}

// QueueItem is one reported target waiting for a decision.
type QueueItem struct {
	Kind      string    `json:"kind"`
	ID        int64     `json:"id"`
	ForumSlug string    `json:"forum,omitempty"`
	Reports   int       `json:"reports"`
	Weight    float64   `json:"weight"`
	SelfHarm  bool      `json:"self_harm"`
	Reasons   string    `json:"reasons"`
	Oldest    time.Time `json:"oldest"`
	Title     string    `json:"title,omitempty"`
	// Priority 2: someone may be in imminent danger (top of the queue).
	Priority int `json:"priority"`
	// CrisisOpen counts the open crisis follow-ups; AwaitingAck those
	// nobody acknowledged yet.
	CrisisOpen  int `json:"crisis_open"`
	AwaitingAck int `json:"awaiting_acknowledgement"`
	// TargetVisibility is "pending" for a new member's post (or one with
	// watched words) that waits for approval: not a report.
	TargetVisibility string `json:"target_visibility,omitempty"`
}

// AwaitingApproval: the item is a held post or thread, not a report.
func (q QueueItem) AwaitingApproval() bool { return q.TargetVisibility == string(models.Pending) }

// Queue lists open reports grouped by target for a moderator: imminent
// danger first, then self-harm, then weight, then age. forumID narrows it
// to one forum.
func (s *Service) Queue(ctx context.Context, actor models.Actor, forumID int64) ([]QueueItem, error) {
	sc, ok, err := s.ScopeOf(ctx, actor)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, models.ErrForbidden
	}
	q := `SELECT r.target_kind AS kind, r.target_id AS id, coalesce(f.slug, '') AS forum_slug, count(*) AS reports, sum(r.weight) AS weight,
		bool_or(r.reason = 'self_harm') AS self_harm, string_agg(DISTINCT r.reason, ', ') AS reasons, min(r.created_at) AS oldest,
		coalesce(max(t.title), max(pt.title), '') AS title, max(r.priority) AS priority,
		coalesce(max(t.visibility), max(p.visibility), '') AS target_visibility,
		count(cf.report_id) AS crisis_open, count(cf.report_id) FILTER (WHERE cf.acknowledged_at IS NULL) AS awaiting_ack
		FROM reports r LEFT JOIN forums f ON f.id = r.forum_id
		LEFT JOIN crisis_followups cf ON cf.report_id = r.id AND cf.closed_at IS NULL
		LEFT JOIN threads t ON r.target_kind = 'thread' AND t.id = r.target_id
		LEFT JOIN posts p ON r.target_kind = 'post' AND p.id = r.target_id LEFT JOIN threads pt ON pt.id = p.thread_id
		WHERE r.status = 'open'`
	var args []any
	if !sc.Global {
		ids := make([]int64, 0, len(sc.Forums))
		for id := range sc.Forums {
			ids = append(ids, id)
		}
		q += ` AND r.forum_id IN ?`
		args = append(args, ids)
	}
	if forumID > 0 {
		q += ` AND r.forum_id = ?`
		args = append(args, forumID)
	}
	q += ` GROUP BY r.target_kind, r.target_id, f.slug ORDER BY max(r.priority) DESC, bool_or(r.reason = 'self_harm') DESC, sum(r.weight) DESC, min(r.created_at) LIMIT 200`
	var out []QueueItem
	err = s.db.Gorm.WithContext(ctx).Raw(q, args...).Scan(&out).Error
	return out, err
}

// NextItem is the address of the first item in u's queue other than the
// one just decided, or "".
func (s *Service) NextItem(ctx context.Context, actor models.Actor, kind string, id int64) (string, error) {
	items, err := s.Queue(ctx, actor, 0)
	if err != nil {
		return "", err
	}
	for _, it := range items {
		if it.Kind != kind || it.ID != id {
			return "/moderation/" + it.Kind + "/" + strconv.FormatInt(it.ID, 10), nil
		}
	}
	return "", nil
}

// OpenAppeals counts the appeals waiting for a decision (shown to staff
// in the navigation).
func (s *Service) OpenAppeals(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM appeals WHERE status = 'open'`).Scan(&n).Error
	return n, err
}

// Item is everything a moderator sees to decide.
type Item struct {
	Target    *Target           `json:"target"`
	Reports   []ReportView      `json:"reports"`
	Revisions []RevisionView    `json:"revisions,omitempty"`
	History   []HistoryView     `json:"author_history,omitempty"` // not for anonymous content
	Actions   []HistoryView     `json:"actions"`                  // on this target
	Open      bool              `json:"open"`                     // has open reports
	Allowed   map[string]bool   `json:"allowed_actions"`
	Reasons   map[string]string `json:"-"`
	Global    bool              `json:"-"` // the moderator may suspend and ban
	Admin     bool              `json:"-"` // the moderator may reveal anonymous authors
	Revealed  string            `json:"revealed_author,omitempty"`
	Forums    []ForumChoice     `json:"-"` // where a thread can move
	Canned    []CannedReason    `json:"-"` // reasons to pick when hiding or removing
	CanWiden  bool              `json:"-"` // one of them is read by more people (admins only)
	// Crisis lists the target's crisis follow-ups, newest first.
	Crisis []FollowupView `json:"crisis,omitempty"`
	// Findings are what the safety engine found (never the text), and
	// Evidence highlights the latest ones in the text as it is now.
	Findings []FindingView `json:"findings,omitempty"`
	Evidence template.HTML `json:"evidence_html,omitempty"`
}

// CrisisOpen reports whether a crisis follow-up still waits.
func (it *Item) CrisisOpen() bool {
	for _, f := range it.Crisis {
		if f.Open() {
			return true
		}
	}
	return false
}

// AwaitingAck reports whether an open crisis follow-up waits for its
// acknowledgement.
func (it *Item) AwaitingAck() bool {
	for _, f := range it.Crisis {
		if f.Open() && f.AcknowledgedAt == nil {
			return true
		}
	}
	return false
}

// ForumChoice is a forum a thread may move to.
type ForumChoice struct {
	Slug, Name string
	Wider      bool // more people can read it than the thread's forum
}

// ReportView is a report as moderators see it.
type ReportView struct {
	ID         int64               `json:"id"`
	Reporter   string              `json:"reporter"`
	Reason     models.ReportReason `json:"reason"`
	Note       string              `json:"note"`
	Weight     float64             `json:"weight"`
	Status     string              `json:"status"`
	Resolution string              `json:"resolution"`
	CreatedAt  time.Time           `json:"created_at"`
}

// RevisionView is an earlier text of a reported post.
type RevisionView struct {
	Body      string    `json:"body"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// HistoryView is one earlier moderation action.
type HistoryView struct {
	Action    string    `json:"action"`
	Moderator string    `json:"moderator"` // "" for Kindred itself
	Reason    string    `json:"reason"`
	Outcome   string    `json:"outcome"`
	CreatedAt time.Time `json:"created_at"`
}

// Item loads one target for a moderator whose scope covers it. A message
// of a private question is found only through reportedMessage, and each
// such read is audited for the asker in the same transaction.
func (s *Service) Item(ctx context.Context, actor models.Actor, kind string, id int64) (*Item, error) {
	u := actor.User
	sc, err := s.scopeFor(ctx, actor, kind)
	if err != nil {
		return nil, err
	}
	var it *Item
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		t, open, err := s.moderated(ctx, tx.DB, u, sc, kind, id)
		if err != nil {
			return err
		}
		if kind == models.TargetQuestionMessage {
			if err := audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &u.ID, Action: "question_message.read", TargetKind: kind, TargetID: &id,
				Reason: readReason(open)}); err != nil {
				return err
			}
		}
		it, err = s.item(ctx, tx.DB, u, sc, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return it, nil
}

// item gathers the reports, revisions and history around a target.
func (s *Service) item(ctx context.Context, tx *gorm.DB, u *models.User, sc Scope, t *Target) (*Item, error) {
	kind, id := t.Kind, t.ID
	db := tx.WithContext(ctx)
	it := &Item{Target: t, Allowed: allowedActions(t), Global: sc.Global, Admin: u.Role == models.RoleAdmin}
	if err := db.Raw(`SELECT id, label, body, position, created_at FROM moderation_reasons ORDER BY position, id`).Scan(&it.Canned).Error; err != nil {
		return nil, err
	}
	if it.Admin && t.Anonymous {
		var err error
		if it.Revealed, err = revealedTo(ctx, tx, u, t); err != nil {
			return nil, err
		}
	}
	if err := db.Raw(`SELECT r.id, coalesce(u.handle, 'Kindred (automatic)') AS reporter, r.reason, r.note, r.weight, r.status, r.resolution, r.created_at
		FROM reports r LEFT JOIN users u ON u.id = r.reporter_id WHERE r.target_kind = ? AND r.target_id = ? ORDER BY r.id DESC LIMIT 100`, kind, id).Scan(&it.Reports).Error; err != nil {
		return nil, err
	}
	if kind == models.TargetQuestionMessage {
		// Naming the reporter would tell the moderator who asked a private
		// medical question: only that one of the two participants reported.
		for i := range it.Reports {
			it.Reports[i].Reporter = "a participant in the conversation"
		}
	}
	for _, r := range it.Reports {
		if r.Status == models.ReportOpen {
			it.Open = true
		}
	}
	if kind == models.TargetPost {
		if err := db.Raw(`SELECT body, reason, created_at FROM post_revisions WHERE post_id = ? ORDER BY id`, id).Scan(&it.Revisions).Error; err != nil {
			return nil, err
		}
	}
	if kind == models.TargetPost || kind == models.TargetThread {
		var all []struct {
			ID                       int64
			Slug, Name               string
			Sensitive, ClinicianOnly bool
		}
		if err := db.Raw(`SELECT id, slug, name, sensitive, clinician_only FROM forums WHERE archived_at IS NULL ORDER BY position, name`).Scan(&all).Error; err != nil {
			return nil, err
		}
		here := models.AudiencePublic
		for _, f := range all {
			if t.ForumID != nil && *t.ForumID == f.ID {
				here = models.ForumAudience(f.Sensitive, f.ClinicianOnly)
			}
		}
		for _, f := range all {
			if (sc.Global || sc.Forums[f.ID]) && (t.ForumID == nil || *t.ForumID != f.ID) {
				wider := models.AudienceWider(models.ForumAudience(f.Sensitive, f.ClinicianOnly), here)
				if wider && !it.Admin {
					continue // only an admin may widen a thread's audience
				}
				it.Forums = append(it.Forums, ForumChoice{Slug: f.Slug, Name: f.Name, Wider: wider})
				it.CanWiden = it.CanWiden || wider
			}
		}
	}
	if err := db.Raw(`SELECT a.action, coalesce(m.handle, '') AS moderator, a.reason, a.outcome, a.created_at FROM moderation_actions a
		LEFT JOIN users m ON m.id = a.moderator_id WHERE a.target_kind = ? AND a.target_id = ? ORDER BY a.id`, kind, id).Scan(&it.Actions).Error; err != nil {
		return nil, err
	}
	var err error
	if it.Crisis, err = followups(ctx, tx, kind, id); err != nil {
		return nil, err
	}
	if it.Findings, it.Evidence, err = s.evidence(ctx, tx, t); err != nil {
		return nil, err
	}
	if !t.Anonymous {
		if err := db.Raw(`SELECT a.action, coalesce(m.handle, '') AS moderator, a.reason, a.outcome, a.created_at FROM moderation_actions a
			LEFT JOIN users m ON m.id = a.moderator_id
			WHERE a.author_id = ? AND a.outcome = 'applied' AND NOT (a.target_kind = ? AND a.target_id = ?)
			  AND a.action IN ('note', 'warn', 'hide', 'remove', 'lock', 'move', 'suspend', 'ban') -- decisions against the author; approvals and restorations are not
			ORDER BY a.id DESC LIMIT 50`,
			t.AuthorID, kind, id).Scan(&it.History).Error; err != nil {
			return nil, err
		}
	}
	return it, nil
}

// Actions a moderator can take from the queue.
const (
	ActDismiss = "dismiss"
	ActHide    = "hide"
	ActRestore = "restore"
	ActRemove  = "remove"
	ActLock    = "lock"
	ActUnlock  = "unlock"
)

// allowedActions lists what fits the target.
func allowedActions(t *Target) map[string]bool {
	a := map[string]bool{ActDismiss: true}
	if t.Kind == models.TargetPost || t.Kind == models.TargetThread {
		a[ActHide] = t.Visibility == string(models.Visible)
		a[ActRestore] = t.Visibility == string(models.Hidden) || t.Visibility == string(models.Removed) || t.Visibility == string(models.Pending)
		a[ActRemove] = t.Visibility != string(models.Removed)
		a[ActLock] = t.ThreadState == string(models.ThreadOpen)
		a[ActUnlock] = t.ThreadState == string(models.ThreadLocked)
	}
	return a
}

// resolving actions close the target's open reports: exactly one of
// several moderators acting at once does.
var resolving = map[string]string{ActDismiss: models.ReportDismissed, ActHide: models.ReportUpheld, ActRestore: models.ReportDismissed, ActRemove: models.ReportUpheld}

// Act applies a moderator's action to a target. expectOpen says the
// moderator acted on open reports (the item page and API send it): when
// another moderator resolved them meanwhile, or the action no longer fits
// the content, the attempt is recorded as superseded and answered with a
// ConflictError, so one item gets one resolution.
func (s *Service) Act(ctx context.Context, actor models.Actor, kind string, id int64, action, reason string, expectOpen bool) error {
	u := actor.User
	sc, err := s.scopeFor(ctx, actor, kind)
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if (action == ActRemove || action == ActHide) && utf8.RuneCountInString(reason) < 5 {
		v := models.NewValidationError()
		v.Add("reason", "Give a reason of at least five characters: the author reads it.")
		return v
	}
	if utf8.RuneCountInString(reason) > 2000 || !utf8.ValidString(reason) {
		v := models.NewValidationError()
		v.Add("reason", "Keep the reason under 2,000 characters.")
		return v
	}
	now := s.now().UTC()
	superseded := false
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		// Lock the content first, so a second moderator waits and then
		// sees what the first one did.
		switch kind {
		case models.TargetPost:
			if err := tx.Exec(`SELECT 1 FROM posts WHERE id = ? FOR UPDATE`, id).Error; err != nil {
				return err
			}
		case models.TargetThread:
			if err := tx.Exec(`SELECT 1 FROM threads WHERE id = ? FOR UPDATE`, id).Error; err != nil {
				return err
			}
		}
		t, _, err := s.moderated(ctx, tx.DB, u, sc, kind, id)
		modID := u.ID
		to, resolves := resolving[action]
		if errors.Is(err, errReportsClosed) {
			// A message whose reports are all decided: a late dismissal is
			// superseded (recorded without reading the text); anything
			// else is not found.
			if _, known := allowedActions(t)[action]; known && resolves {
				superseded = true
				return s.record(ctx, tx, &modID, action, t, reason, "superseded")
			}
		}
		if err != nil {
			return err
		}
		allowed, known := allowedActions(t)[action]
		if !known {
			return fmt.Errorf("moderation: action %q: %w", action, models.ErrNotFound)
		}
		var open []int64
		if err := tx.Raw(`SELECT id FROM reports WHERE target_kind = ? AND target_id = ? AND status = 'open' ORDER BY id FOR UPDATE`, kind, id).Scan(&open).Error; err != nil {
			return err
		}
		if (resolves && len(open) == 0 && (expectOpen || action == ActDismiss)) || !allowed {
			superseded = true
			return s.record(ctx, tx, &modID, action, t, reason, "superseded")
		}
		if resolves && len(open) > 0 {
			if err := tx.Exec(`UPDATE reports SET status = ?, handler_id = ?, resolution = ?, resolved_at = ? WHERE id IN ?`,
				to, u.ID, action, now, open).Error; err != nil {
				return err
			}
			// A decision on a crisis item is its acknowledgement (a
			// moderator looked at it, and when) and closes its follow-up:
			// it is never escalated afterwards, and the time to
			// acknowledge is still recorded.
			if err := tx.Exec(`UPDATE crisis_followups SET
					acknowledged_by = COALESCE(acknowledged_by, ?), acknowledged_at = COALESCE(acknowledged_at, ?),
					ack_seconds = COALESCE(ack_seconds, GREATEST(0, EXTRACT(EPOCH FROM (?::timestamptz - created_at)))::integer),
					closed_by = COALESCE(closed_by, ?), closed_at = COALESCE(closed_at, ?)
				WHERE report_id IN ? AND closed_at IS NULL`, u.ID, now, now, u.ID, now, open).Error; err != nil {
				return err
			}
			var reporters []struct{ ID, ReporterID int64 }
			if err := tx.Raw(`SELECT id, reporter_id FROM reports WHERE id IN ? AND reporter_id IS NOT NULL`, open).Scan(&reporters).Error; err != nil {
				return err
			}
			for _, r := range reporters {
				if err := s.notifier.NotifyReport(ctx, tx.DB, r.ReporterID, r.ID); err != nil {
					return err
				}
			}
		}
		if err := s.apply(ctx, tx, t, action); err != nil {
			return err
		}
		if (action == ActRemove || action == ActHide) && s.messenger != nil && (t.Kind == models.TargetPost || t.Kind == models.TargetThread) {
			// The author learns what happened and why; the notice links
			// to their moderation page, where they can appeal.
			verb := "removed"
			if action == ActHide {
				verb = "hid"
			}
			msg := "A moderator " + verb + " your " + t.Kind
			if t.Title != "" {
				msg += " in “" + t.Title + "”"
			}
			if err := s.messenger.NotifyMember(ctx, tx.DB, t.AuthorID, models.NotifyModerationWarning, msg+": "+reason+" You can appeal this decision."); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, &modID, action, t, reason, "applied")
	})
	if err == nil && superseded {
		return errSuperseded
	}
	return err
}

var errSuperseded = &models.ConflictError{Message: "Another moderator has already handled this. The item shows what they did."}

// apply changes the content itself, through forums.
func (s *Service) apply(ctx context.Context, tx *database.Tx, t *Target, action string) error {
	if t.Kind != models.TargetPost && t.Kind != models.TargetThread {
		return nil // reports on members and messages are decided, not applied
	}
	set := func(to models.Visibility) error {
		_, err := s.content.SetVisibility(ctx, tx, t.Kind, t.ID, t.ThreadID, to, "")
		return err
	}
	switch action {
	case ActHide:
		return set(models.Hidden)
	case ActRemove:
		return set(models.Removed)
	case ActRestore, ActDismiss:
		if t.Visibility == string(models.Hidden) || t.Visibility == string(models.Pending) || (action == ActRestore && t.Visibility == string(models.Removed)) {
			return set(models.Visible)
		}
	case ActLock, ActUnlock:
		state := models.ThreadLocked
		if action == ActUnlock {
			state = models.ThreadOpen
		}
		return s.content.SetThreadState(ctx, tx, t.ThreadID, state)
	}
	return nil
}

// MyReport is a report as its reporter sees it.
type MyReport struct {
	ID         int64               `json:"id"`
	TargetKind string              `json:"target_kind"`
	TargetID   int64               `json:"target_id"`
	Reason     models.ReportReason `json:"reason"`
	Status     string              `json:"status"`
	Resolution string              `json:"resolution"`
	CreatedAt  time.Time           `json:"created_at"`
	ResolvedAt *time.Time          `json:"resolved_at"`
}

// Outcome says in words what happened.
func (r MyReport) Outcome() string {
	switch {
	case r.Status == models.ReportOpen:
		return "Waiting for a moderator"
	case r.Resolution == ActRemove:
		return "Removed by a moderator"
	case r.Resolution == ActHide:
		return "Hidden by a moderator"
	case r.Status == models.ReportDismissed:
		return "Reviewed: a moderator decided it can stay"
	}
	return "Handled by a moderator"
}

// MyReports lists the member's reports, newest first.
func (s *Service) MyReports(ctx context.Context, actor models.Actor) ([]MyReport, error) {
	u := actor.User
	var out []MyReport
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, target_kind, target_id, reason, status, resolution, created_at, resolved_at
		FROM reports WHERE reporter_id = ? ORDER BY id DESC LIMIT 100`, u.ID).Scan(&out).Error
	return out, err
}

// LoadTarget is load for handlers that show a report form: only targets u
// may see are found.
func (s *Service) LoadTarget(ctx context.Context, actor models.Actor, kind string, id int64) (*Target, error) {
	t, err := s.load(ctx, s.db.Gorm, kind, id)
	if err != nil {
		return nil, err
	}
	ok, err := s.canSee(actor, t)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, models.ErrNotFound
	}
	return t, nil
}
