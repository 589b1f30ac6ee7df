package questions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/models"
)

// Notifier tells a participant about a change, inside its transaction.
// Notifications name no title or text: only that something happened.
type Notifier interface {
	NotifyQuestion(ctx context.Context, tx *gorm.DB, userID int64, kind string, questionID int64) error
	NotifyMember(ctx context.Context, tx *gorm.DB, userID int64, kind, message string) error
}

// Publisher writes a published question as a public thread inside the
// question's transaction (app/forums implements it).
type Publisher interface {
	PublishAnonymised(ctx context.Context, tx *database.Tx, forumID, askerID int64, title, body string, answers []models.PublishedAnswer) (int64, error)
}

// TextChecker runs the watched words and the personal-data check
// (app/moderation implements it).
type TextChecker interface {
	Check(ctx context.Context, text string) (safety.Result, error)
}

// Checks are what private questions need from moderation to save a text
// (moderation.Safety provides both). Private text is never held for
// approval or reported automatically (moderators may not read it); blocked
// words refuse it, personal data must be confirmed, crisis words lead the
// author to the crisis resources, and the ask form shows the admins'
// emergency guidance when a question mentions urgent symptoms.
type Checks struct {
	Text     TextChecker
	Guidance Guidance
	// Unchecked saves texts without checks: only for the demo seeder,
	// whose texts are Kindred's own.
	Unchecked bool
}

// errNoSafety refuses a write when the service was built unchecked by
// mistake.
var errNoSafety = errors.New("questions: the safety checks are missing")

// screen checks a private text before it is saved; crisis reports whether
// to show the author the crisis resources.
func (s *Service) screen(ctx context.Context, text string, confirmPersonal bool) (crisis bool, err error) {
	if s.checker == nil {
		if s.unchecked {
			return false, nil
		}
		return false, errNoSafety
	}
	r, err := s.checker.Check(ctx, text)
	if err != nil {
		return false, err
	}
	if err := safety.Refusal(r, confirmPersonal, "The clinician does not need it to answer: remove it, or confirm that you want to share it."); err != nil {
		return false, err
	}
	return r.Crisis, nil
}

// Options are the operator's settings. Zero values take the defaults.
type Options struct {
	RespondWithin      time.Duration // an offer's deadline (24 h)
	MaxOffers          int           // direct offers before the question waits in the pool (3)
	AnswerWithin       time.Duration // the answer deadline after taking a question (48 h)
	UrgentAnswerWithin time.Duration // the same for urgent questions (4 h)
	RemindBefore       time.Duration // the reminder comes when this much of the answer time is left (a quarter of it)
	QuietClose         time.Duration // an answered question closes after this long without a message (7 days)
	ReopenWithin       time.Duration // the asker may reopen a closed question this long (14 days)
	WaitAlert          time.Duration // admins are alerted when a question waits this long for a clinician (12 h)
	UrgentWaitAlert    time.Duration // the same for urgent questions (1 h)
	PoolCooling        time.Duration // an earlier offeree sees the question in the pool this long after their offer ended (2 h)
	PauseAfterTimeouts int           // a clinician's offers pause after this many time-outs in a row (3)
	MaxOpenPerMember   int           // open questions a member may have at once (3)
	UrgentTerms        []string      // words the operator adds to the safety engine's urgent symptoms
}

// withDefaults fills the zero values.
func (o Options) withDefaults() Options {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.RespondWithin, 24*time.Hour)
	set(&o.AnswerWithin, 48*time.Hour)
	set(&o.UrgentAnswerWithin, 4*time.Hour)
	set(&o.QuietClose, 7*24*time.Hour)
	set(&o.ReopenWithin, 14*24*time.Hour)
	set(&o.WaitAlert, 12*time.Hour)
	set(&o.UrgentWaitAlert, time.Hour)
	set(&o.PoolCooling, 2*time.Hour)
	if o.MaxOffers <= 0 {
		o.MaxOffers = 3
	}
	if o.PauseAfterTimeouts <= 0 {
		o.PauseAfterTimeouts = 3
	}
	if o.MaxOpenPerMember <= 0 {
		o.MaxOpenPerMember = 3
	}
	return o
}

// answerWithin is q's answer time.
func (o Options) answerWithin(q *models.Question) time.Duration {
	if q.Urgent() {
		return o.UrgentAnswerWithin
	}
	return o.AnswerWithin
}

// remindBefore is how long before q's answer deadline the reminder comes.
func (o Options) remindBefore(q *models.Question) time.Duration {
	if o.RemindBefore > 0 && o.RemindBefore < o.answerWithin(q) {
		return o.RemindBefore
	}
	return o.answerWithin(q) / 4
}

// waitAlert is how long q may wait for a clinician before admins hear.
func (o Options) waitAlert(q *models.Question) time.Duration {
	if q.Urgent() {
		return o.UrgentWaitAlert
	}
	return o.WaitAlert
}

// Pauser stops a clinician's offers after repeated time-outs
// (app/clinicians implements it: it owns their settings).
type Pauser interface {
	PauseQuestions(ctx context.Context, tx *database.Tx, userID int64) error
}

// Service implements private questions.
type Service struct {
	db        *database.DB
	now       func() time.Time
	md        *markdown.Renderer
	notifier  Notifier
	publisher Publisher
	pauser    Pauser
	checker   TextChecker // nil only when unchecked
	unchecked bool        // the demo seeder's own texts: saved without checks
	guidance  Guidance    // nil: the ask form's built-in emergency guidance
	log       *slog.Logger
	opts      Options
}

// New builds the service; it fails when a collaborator is missing, so
// Kindred never starts with questions saved unchecked or a clinician's
// time-outs going unnoticed.
func New(db *database.DB, now func() time.Time, md *markdown.Renderer, n Notifier, p Publisher, pauser Pauser, log *slog.Logger, opts Options, checks Checks) (*Service, error) {
	var missing []string
	if !checks.Unchecked && checks.Text == nil {
		missing = append(missing, "safety checks")
	}
	if !checks.Unchecked && checks.Guidance == nil {
		missing = append(missing, "emergency guidance")
	}
	if db == nil || now == nil || md == nil || n == nil || p == nil || log == nil {
		missing = append(missing, "database, clock, Markdown renderer, notifier, publisher and logger")
	}
	if pauser == nil && !checks.Unchecked {
		missing = append(missing, "clinicians' settings (Pauser)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("questions: New needs %s", strings.Join(missing, ", "))
	}
	return &Service{db: db, now: now, md: md, notifier: n, publisher: p, pauser: pauser, log: log, opts: opts.withDefaults(),
		checker: checks.Text, guidance: checks.Guidance, unchecked: checks.Unchecked}, nil
}

// Options returns the settings in force (pages quote the deadlines).
func (s *Service) Options() Options { return s.opts }

// Limits of a question, the same as posts.
const (
	TitleMin = 5
	TitleMax = 150
	BodyMax  = 20000
)

// AskForm is what a member submits.
type AskForm struct {
	Forum           string `json:"forum"` // slug
	Specialty       string `json:"specialty"`
	Title           string `json:"title"`
	Body            string `json:"body"`
	NotEmergency    bool   `json:"not_emergency"`
	ConfirmPersonal bool   `json:"confirm_personal_data"`
}

// UrgentError asks the member to read the emergency guidance and confirm
// their question is not an emergency before it is queued.
type UrgentError struct {
	Terms []string
}

func (e *UrgentError) Error() string {
	return "urgent symptoms mentioned: " + strings.Join(e.Terms, ", ")
}

// Urgent returns what in the text calls for emergency guidance before the
// question is sent, in the writer's own words: urgent symptoms happening
// now and imminent crisis (the safety engine), and any words the operator
// added.
func (s *Service) Urgent(text string) []string {
	return safety.EmergencyEvidence(text, safety.Analyze(text).Findings, s.opts.UrgentTerms)
}

func checkText(v *models.ValidationError, field, label, s string, min, max int) string {
	s = strings.TrimSpace(input.NormalizeNewlines(s))
	n := utf8.RuneCountInString(s)
	// The same rules as at the edge (web.ValidText), for callers that
	// do not come through HTTP.
	if msg := input.Check(field, s); msg != "" {
		v.Add(field, msg)
		return s
	}
	var merr *models.ValidationError
	if field == "body" && errors.As(markdown.Check(field, s), &merr) {
		v.Add(field, merr.Fields[field])
		return s
	}
	switch {
	case n < min && min <= 1:
		v.Add(field, label+" is required.")
	case n < min:
		v.Add(field, fmt.Sprintf("%s must be at least %d characters.", label, min))
	case n > max:
		v.Add(field, fmt.Sprintf("%s must be at most %d characters.", label, max))
	}
	return s
}

type forumRow struct {
	ID            int64
	Slug          string
	Name          string
	Specialties   pq.StringArray `gorm:"type:text[]"`
	ClinicianOnly bool
	ArchivedAt    *time.Time
}

// Forums lists the forums a member may ask in (not archived, not the
// clinicians' own).
func (s *Service) Forums(ctx context.Context) ([]forumRow, error) {
	var out []forumRow
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, slug, name, specialties, clinician_only, archived_at FROM forums
		WHERE archived_at IS NULL AND NOT clinician_only ORDER BY position, name`).Scan(&out).Error
	return out, err
}

// Asked is what Ask did: the question, and whether it matched crisis words
// (the asker is shown the crisis resources next, as after a message).
type Asked struct {
	*models.Question
	Crisis bool
}

// Ask validates a question, checks it for urgent symptoms and queues it:
// the question, its first offer (or the pool), the timeline, the
// notifications and the deadline job commit together. A member may have
// Options.MaxOpenPerMember open questions at once.
func (s *Service) Ask(ctx context.Context, actor models.Actor, form AskForm) (_ *Asked, err error) {
	u := actor.User
	defer wrap(&err, "questions: ask")
	now := s.now().UTC()
	if u == nil || !u.CanSignIn(now) {
		return nil, models.ErrForbidden
	}
	v := models.NewValidationError()
	var f forumRow
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, slug, name, specialties, clinician_only, archived_at FROM forums WHERE slug = ?`,
		strings.TrimSpace(form.Forum)).Scan(&f).Error; err != nil {
		return nil, err
	}
	if f.ID == 0 || f.ClinicianOnly || f.ArchivedAt != nil {
		v.Add("forum", "Choose the condition your question is about.")
	}
	var spec *string
	if code := strings.TrimSpace(form.Specialty); code != "" {
		var n int64
		if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM specialties WHERE code = ?`, code).Scan(&n).Error; err != nil {
			return nil, err
		}
		if n == 0 {
			v.Add("specialty", "Choose a specialty from the list, or leave it empty.")
		}
		spec = &code
	}
	form.Title = checkText(v, "title", "Title", form.Title, TitleMin, TitleMax)
	form.Body = checkText(v, "body", "Your question", form.Body, 1, BodyMax)
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	urgent := len(s.Urgent(form.Title+"\n"+form.Body)) > 0
	if urgent && !form.NotEmergency {
		return nil, &UrgentError{Terms: s.Urgent(form.Title + "\n" + form.Body)}
	}
	crisis, err := s.screen(ctx, form.Title+"\n"+form.Body, form.ConfirmPersonal)
	if err != nil {
		return nil, err
	}
	// The open-question limit shares clinicians' time fairly; it never
	// turns away someone in crisis or with urgent symptoms.
	limited := !crisis && !urgent
	if limited {
		if err := s.checkOpenLimit(ctx, s.db.Gorm, u.ID); err != nil {
			return nil, err
		}
	}
	html, err := s.md.Render(form.Body)
	if err != nil {
		return nil, err
	}
	q := &models.Question{AskerID: u.ID, ForumID: f.ID, Specialty: spec, Title: form.Title, Body: form.Body, BodyHTML: html,
		Status: models.QuestionPool, NotEmergency: urgent, Crisis: crisis,
		WaitingSince: &now, CreatedAt: now, UpdatedAt: now}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		// One member's questions are counted under their row's lock, so
		// two tabs cannot both pass the limit.
		if err := tx.Exec(`SELECT 1 FROM users WHERE id = ? FOR UPDATE`, u.ID).Error; err != nil {
			return err
		}
		if limited {
			if err := s.checkOpenLimit(ctx, tx.DB, u.ID); err != nil {
				return err
			}
		}
		if err := tx.Omit("ID").Create(q).Error; err != nil {
			return err
		}
		if err := s.event(tx, q.ID, "asked", models.QuestionPool, now); err != nil {
			return err
		}
		return s.route(ctx, tx, q, []string(f.Specialties), now)
	})
	if err != nil {
		return nil, fmt.Errorf("questions: ask: %w", err)
	}
	return &Asked{Question: q, Crisis: crisis}, nil
}

// AtLimit reports whether the member already has as many open questions
// as one may (the ask form says so before they write).
func (s *Service) AtLimit(ctx context.Context, actor models.Actor) (_ bool, err error) {
	u := actor.User
	defer wrap(&err, "questions: open-question limit")
	err = s.checkOpenLimit(ctx, s.db.Gorm, u.ID)
	var ce *models.ConflictError
	if errors.As(err, &ce) {
		return true, nil
	}
	return false, err
}

// checkOpenLimit refuses a new (or reopened) question past the member's
// limit of open questions.
func (s *Service) checkOpenLimit(ctx context.Context, db *gorm.DB, userID int64) error {
	var n int
	if err := db.WithContext(ctx).Raw(`SELECT count(*) FROM questions WHERE asker_id = ? AND status IN ('offered', 'pool', 'assigned', 'answered')`,
		userID).Scan(&n).Error; err != nil {
		return err
	}
	if n >= s.opts.MaxOpenPerMember {
		return &models.ConflictError{Message: fmt.Sprintf("You already have %d open private questions, the most one member may have at once. "+
			"Close or withdraw one of them before you ask another: clinicians' time is shared by everyone.", s.opts.MaxOpenPerMember)}
	}
	return nil
}

func (s *Service) event(tx *database.Tx, id int64, kind string, status models.QuestionStatus, now time.Time) error {
	return tx.Create(&models.QuestionEvent{QuestionID: id, Kind: kind, Status: status, CreatedAt: now}).Error
}

// locked loads q for update inside tx.
func locked(tx *database.Tx, id int64) (*models.Question, error) {
	var q models.Question
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&q, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, fmt.Errorf("questions: %d: %w", id, models.ErrNotFound)
		}
		return nil, err
	}
	return &q, nil
}

// askerLocked is locked for actions only the asker may take: anyone else
// finds nothing.
func askerLocked(tx *database.Tx, actor models.Actor, id int64) (*models.Question, error) {
	q, err := locked(tx, id)
	if err != nil {
		return nil, err
	}
	if !mayActAsAsker(partyOf(actor, q, false)) {
		return nil, notFound(id)
	}
	return q, nil
}

func notFound(id int64) error { return fmt.Errorf("questions: %d: %w", id, models.ErrNotFound) }

// wrap names the operation on an error on its way out of an exported
// method ("questions: accept question 12: …"); errors.Is and errors.As
// still see the cause.
func wrap(err *error, format string, args ...any) {
	if *err != nil {
		*err = fmt.Errorf(format+": %w", append(args, *err)...)
	}
}
