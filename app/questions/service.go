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
	"github.com/riverqueue/river"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"kindred/app/audit"
	"kindred/app/database"
	"kindred/app/markdown"
	"kindred/app/safety"
	"kindred/models"
)

// Notifier tells a participant about a change, inside its transaction.
// Notifications name no title or text: only that something happened.
type Notifier interface {
	NotifyQuestion(ctx context.Context, tx *gorm.DB, userID int64, kind string, questionID int64) error
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

// SetSafety turns on the checks for questions and messages. Private text
// is never held for approval or reported automatically (moderators may not
// read it); blocked words refuse it, personal data must be confirmed, and
// crisis words lead the author to the crisis resources.
func (s *Service) SetSafety(c TextChecker) { s.checker = c }

// screen checks a private text before it is saved; crisis reports whether
// to show the author the crisis resources.
func (s *Service) screen(ctx context.Context, text string, confirmPersonal bool) (crisis bool, err error) {
	if s.checker == nil {
		return false, nil
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

// Options are the operator's settings.
type Options struct {
	RespondWithin time.Duration // an offer's deadline
	MaxOffers     int           // offers before the question goes to the pool
	UrgentTerms   []string      // words that show emergency guidance first
}

// DefaultUrgentTerms are matched case-insensitively in a question's title
// and text.
var DefaultUrgentTerms = []string{
	"chest pain", "crushing chest", "can't breathe", "cannot breathe", "trouble breathing", "struggling to breathe",
	"face drooping", "slurred speech", "stroke", "overdose", "overdosed", "took too many",
	"suicide", "suicidal", "kill myself", "end my life", "self-harm", "self harm", "hurt myself",
}

// Service implements private questions.
type Service struct {
	db        *database.DB
	now       func() time.Time
	md        *markdown.Renderer
	notifier  Notifier
	publisher Publisher
	checker   TextChecker // nil: no watched words or personal-data check
	log       *slog.Logger
	opts      Options
}

// New builds the service.
func New(db *database.DB, now func() time.Time, md *markdown.Renderer, n Notifier, p Publisher, log *slog.Logger, opts Options) *Service {
	if opts.RespondWithin <= 0 {
		opts.RespondWithin = 24 * time.Hour
	}
	if opts.MaxOffers <= 0 {
		opts.MaxOffers = 3
	}
	if opts.UrgentTerms == nil {
		opts.UrgentTerms = DefaultUrgentTerms
	}
	return &Service{db: db, now: now, md: md, notifier: n, publisher: p, log: log, opts: opts}
}

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

// Urgent returns the configured terms the text mentions.
func (s *Service) Urgent(text string) []string {
	lower := strings.ToLower(text)
	var out []string
	for _, t := range s.opts.UrgentTerms {
		if t != "" && strings.Contains(lower, strings.ToLower(t)) {
			out = append(out, t)
		}
	}
	return out
}

func checkText(v *models.ValidationError, field, label, s string, min, max int) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		v.Add(field, label+" contains characters we cannot store.")
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

// Ask validates a question, checks it for urgent symptoms and queues it:
// the question, its first offer (or the pool), the timeline, the
// notifications and the deadline job commit together.
func (s *Service) Ask(ctx context.Context, u *models.User, form AskForm) (*models.Question, error) {
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
	if terms := s.Urgent(form.Title + "\n" + form.Body); len(terms) > 0 && !form.NotEmergency {
		return nil, &UrgentError{Terms: terms}
	}
	if _, err := s.screen(ctx, form.Title+"\n"+form.Body, form.ConfirmPersonal); err != nil {
		return nil, err
	}
	html, err := s.md.Render(form.Body)
	if err != nil {
		return nil, err
	}
	q := &models.Question{AskerID: u.ID, ForumID: f.ID, Specialty: spec, Title: form.Title, Body: form.Body, BodyHTML: html,
		Status: models.QuestionPool, NotEmergency: form.NotEmergency, CreatedAt: now, UpdatedAt: now}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
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
	return q, nil
}

func (s *Service) event(tx *database.Tx, id int64, kind string, status models.QuestionStatus, now time.Time) error {
	return tx.Create(&models.QuestionEvent{QuestionID: id, Kind: kind, Status: status, CreatedAt: now}).Error
}

// need is what a question asks for: its specialty, else its forum's.
func need(q *models.Question, forumSpecialties []string, now time.Time) Need {
	n := Need{AskerID: q.AskerID, Specialties: forumSpecialties, Now: now}
	if q.Specialty != nil {
		n.Specialties = []string{*q.Specialty}
	}
	return n
}

type candidateRow struct {
	UserID             int64
	VerifiedUntil      time.Time
	AcceptingQuestions bool
	Specialties        pq.StringArray `gorm:"type:text[]"`
	MaxOpenQuestions   int
	Open               int
	LastOffer          time.Time
	OfferedBefore      bool
}

// candidatesSQL reads the clinicians routing may consider, with what the
// ranking needs, in one query (the specialty filter uses a GIN index).
const candidatesSQL = `SELECT c.user_id, c.verified_until, cs.accepting_questions, c.specialties, cs.max_open_questions,
	(SELECT count(*) FROM questions q WHERE q.assignee_id = c.user_id AND q.status IN ('offered', 'assigned', 'answered')) AS open,
	coalesce((SELECT max(o.offered_at) FROM question_offers o WHERE o.clinician_id = c.user_id), 'epoch') AS last_offer,
	EXISTS (SELECT 1 FROM question_offers o WHERE o.question_id = ? AND o.clinician_id = c.user_id) AS offered_before
	FROM credentials c
	JOIN clinician_settings cs ON cs.user_id = c.user_id AND cs.accepting_questions
	JOIN users u ON u.id = c.user_id AND u.status = 'active'
	WHERE c.status = 'verified' AND c.verified_until > ? AND c.user_id <> ?
	  AND (cardinality(CAST(? AS text[])) = 0 OR c.specialties && CAST(? AS text[]))`

// candidates loads the clinicians for q (only userID when it is not 0).
func (s *Service) candidates(ctx context.Context, db *gorm.DB, q *models.Question, n Need, userID int64) ([]Candidate, error) {
	specs := pq.StringArray(n.Specialties)
	if specs == nil {
		specs = pq.StringArray{}
	}
	sql, args := candidatesSQL, []any{q.ID, n.Now, q.AskerID, specs, specs}
	if userID != 0 {
		sql += ` AND c.user_id = ?`
		args = append(args, userID)
	}
	var rows []candidateRow
	if err := db.WithContext(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("questions: candidates: %w", err)
	}
	out := make([]Candidate, len(rows))
	for i, r := range rows {
		out[i] = Candidate{ID: r.UserID, Verified: true, VerifiedUntil: r.VerifiedUntil, Accepting: r.AcceptingQuestions,
			Specialties: r.Specialties, Open: r.Open, Cap: r.MaxOpenQuestions, LastOfferAt: r.LastOffer, OfferedBefore: r.OfferedBefore}
	}
	return out, nil
}

// route offers q to the best eligible clinician, or puts it in the pool
// after MaxOffers offers or when nobody is eligible.
func (s *Service) route(ctx context.Context, tx *database.Tx, q *models.Question, forumSpecs []string, now time.Time) error {
	n := need(q, forumSpecs, now)
	var chosen Candidate
	ok := false
	if q.Attempts < s.opts.MaxOffers {
		cands, err := s.candidates(ctx, tx.DB, q, n, 0)
		if err != nil {
			return err
		}
		chosen, ok = Route(cands, n)
	}
	if !ok {
		q.Status, q.AssigneeID, q.OfferedAt, q.RespondBy = models.QuestionPool, nil, nil, nil
		if err := tx.Model(&models.Question{}).Where("id = ?", q.ID).Updates(map[string]any{"status": models.QuestionPool,
			"assignee_id": nil, "offered_at": nil, "respond_by": nil, "updated_at": now}).Error; err != nil {
			return err
		}
		return s.event(tx, q.ID, "pooled", models.QuestionPool, now)
	}
	due := now.Add(s.opts.RespondWithin)
	offer := models.QuestionOffer{QuestionID: q.ID, ClinicianID: chosen.ID, OfferedAt: now, RespondBy: due, Outcome: models.OfferPending}
	if err := tx.Omit("ID").Create(&offer).Error; err != nil {
		return err
	}
	q.Status, q.AssigneeID, q.OfferedAt, q.RespondBy, q.Attempts = models.QuestionOffered, &chosen.ID, &now, &due, q.Attempts+1
	if err := tx.Model(&models.Question{}).Where("id = ?", q.ID).Updates(map[string]any{"status": models.QuestionOffered,
		"assignee_id": chosen.ID, "offered_at": now, "respond_by": due, "attempts": q.Attempts, "updated_at": now}).Error; err != nil {
		return err
	}
	if err := s.event(tx, q.ID, "offered", models.QuestionOffered, now); err != nil {
		return err
	}
	if err := s.notifier.NotifyQuestion(ctx, tx.DB, chosen.ID, models.NotifyQuestionOffered, q.ID); err != nil {
		return err
	}
	return tx.Enqueue(ctx, OfferDeadlineArgs{QuestionID: q.ID, OfferID: offer.ID}, &river.InsertOpts{ScheduledAt: due})
}

// forumSpecs reads the specialties of q's forum.
func (s *Service) forumSpecs(tx *database.Tx, forumID int64) ([]string, error) {
	var specs pq.StringArray
	err := tx.Raw(`SELECT specialties FROM forums WHERE id = ?`, forumID).Row().Scan(&specs)
	return specs, err
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
func askerLocked(tx *database.Tx, u *models.User, id int64) (*models.Question, error) {
	q, err := locked(tx, id)
	if err != nil {
		return nil, err
	}
	if q.AskerID != u.ID {
		return nil, notFound(id)
	}
	return q, nil
}

func notFound(id int64) error { return fmt.Errorf("questions: %d: %w", id, models.ErrNotFound) }

// Accept takes an offered question: the clinician now holds it.
func (s *Service) Accept(ctx context.Context, u *models.User, id int64) error {
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := locked(tx, id)
		if err != nil {
			return err
		}
		if q.AssigneeID == nil || *q.AssigneeID != u.ID || q.Status != models.QuestionOffered {
			if q.AssigneeID != nil && *q.AssigneeID == u.ID && q.Status.Open() {
				return &models.ConflictError{Message: "You already hold this question."}
			}
			return notFound(id)
		}
		if err := tx.Exec(`UPDATE question_offers SET outcome = 'accepted', decided_at = ? WHERE question_id = ? AND clinician_id = ? AND outcome = 'pending'`,
			now, id, u.ID).Error; err != nil {
			return err
		}
		return s.setStatus(ctx, tx, q, models.QuestionAssigned, "accepted", now, q.AskerID)
	})
}

// setStatus moves q, records the timeline and tells notifyID.
func (s *Service) setStatus(ctx context.Context, tx *database.Tx, q *models.Question, to models.QuestionStatus, kind string, now time.Time, notifyID int64) error {
	if err := tx.Model(&models.Question{}).Where("id = ?", q.ID).Updates(map[string]any{"status": to, "updated_at": now}).Error; err != nil {
		return err
	}
	q.Status = to
	if err := s.event(tx, q.ID, kind, to, now); err != nil {
		return err
	}
	if notifyID == 0 {
		return nil
	}
	notice := models.NotifyQuestionStatus
	if notifyID != q.AskerID {
		notice = models.NotifyQuestionClosed
	}
	return s.notifier.NotifyQuestion(ctx, tx.DB, notifyID, notice, q.ID)
}

// Decline hands an offer back: the question is routed again at once.
func (s *Service) Decline(ctx context.Context, u *models.User, id int64) error {
	return s.endOffer(ctx, id, u.ID, models.OfferDeclined, "declined", false)
}

// Deadline is the offer-deadline job's work: an offer still pending at its
// respond_by times out and the question is routed again. Anything else
// (accepted, declined, withdrawn) makes it a no-op.
func (s *Service) Deadline(ctx context.Context, questionID, offerID int64) (waitUntil time.Time, err error) {
	var o models.QuestionOffer
	if err := s.db.Gorm.WithContext(ctx).Limit(1).Find(&o, offerID).Error; err != nil || o.ID == 0 || o.Outcome != models.OfferPending {
		return time.Time{}, err
	}
	if now := s.now(); now.Before(o.RespondBy) {
		return o.RespondBy, nil
	}
	err = s.endOffer(ctx, questionID, o.ClinicianID, models.OfferTimedOut, "timed out", true)
	if errors.Is(err, models.ErrNotFound) {
		return time.Time{}, nil // decided meanwhile
	}
	return time.Time{}, err
}

func (s *Service) endOffer(ctx context.Context, id, clinicianID int64, outcome, kind string, checkDue bool) error {
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := locked(tx, id)
		if err != nil {
			return err
		}
		if q.Status != models.QuestionOffered || q.AssigneeID == nil || *q.AssigneeID != clinicianID {
			return notFound(id)
		}
		if checkDue && now.Before(*q.RespondBy) {
			return notFound(id)
		}
		res := tx.Exec(`UPDATE question_offers SET outcome = ?, decided_at = ? WHERE question_id = ? AND clinician_id = ? AND outcome = 'pending'`,
			outcome, now, id, clinicianID)
		if res.Error != nil {
			return res.Error
		}
		if err := s.event(tx, q.ID, kind, q.Status, now); err != nil {
			return err
		}
		specs, err := s.forumSpecs(tx, q.ForumID)
		if err != nil {
			return err
		}
		if err := s.route(ctx, tx, q, specs, now); err != nil {
			return err
		}
		return s.notifier.NotifyQuestion(ctx, tx.DB, q.AskerID, models.NotifyQuestionStatus, q.ID)
	})
}

// Claim takes a question from the pool. Exactly one claimant wins; the
// others get a ConflictError (409).
func (s *Service) Claim(ctx context.Context, u *models.User, id int64) error {
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := locked(tx, id)
		if err != nil {
			return err
		}
		specs, err := s.forumSpecs(tx, q.ForumID)
		if err != nil {
			return err
		}
		n := need(q, specs, now)
		n.Now = now
		if q.Status != models.QuestionPool {
			if ok, _ := s.mayClaim(ctx, tx.DB, q, n, u.ID, true); ok {
				return &models.ConflictError{Message: "Another clinician has taken this question."}
			}
			return notFound(id)
		}
		if ok, err := s.mayClaim(ctx, tx.DB, q, n, u.ID, false); err != nil || !ok {
			if err != nil {
				return err
			}
			return notFound(id)
		}
		if err := tx.Create(&models.QuestionOffer{QuestionID: q.ID, ClinicianID: u.ID, OfferedAt: now, RespondBy: now, Outcome: models.OfferAccepted, DecidedAt: &now}).Error; err != nil {
			return err
		}
		if err := tx.Model(&models.Question{}).Where("id = ?", q.ID).Updates(map[string]any{"assignee_id": u.ID, "offered_at": now}).Error; err != nil {
			return err
		}
		q.AssigneeID = &u.ID
		return s.setStatus(ctx, tx, q, models.QuestionAssigned, "claimed", now, q.AskerID)
	})
}

// mayClaim reports whether clinician userID is eligible for q now
// (ignoreCap: only to tell a late claimant "taken" rather than "not found").
func (s *Service) mayClaim(ctx context.Context, db *gorm.DB, q *models.Question, n Need, userID int64, ignoreCap bool) (bool, error) {
	cands, err := s.candidates(ctx, db, q, n, userID)
	if err != nil || len(cands) == 0 {
		return false, err
	}
	c := cands[0]
	if ignoreCap {
		c.Open = 0
	}
	return Eligible(c, n), nil
}

// Withdraw takes a question back before it is answered.
func (s *Service) Withdraw(ctx context.Context, u *models.User, id int64) error {
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := askerLocked(tx, u, id)
		if err != nil {
			return err
		}
		switch q.Status {
		case models.QuestionOffered, models.QuestionPool, models.QuestionAssigned:
		default:
			return &models.ConflictError{Message: "Only a question that is not answered yet can be withdrawn. You can close it instead."}
		}
		if err := tx.Exec(`UPDATE question_offers SET outcome = 'withdrawn', decided_at = ? WHERE question_id = ? AND outcome = 'pending'`, now, id).Error; err != nil {
			return err
		}
		notify := int64(0)
		if q.AssigneeID != nil {
			notify = *q.AssigneeID
		}
		if q.Status != models.QuestionAssigned {
			if err := tx.Model(&models.Question{}).Where("id = ?", id).Update("assignee_id", nil).Error; err != nil {
				return err
			}
		}
		return s.setStatus(ctx, tx, q, models.QuestionWithdrawn, "withdrawn", now, notify)
	})
}

// Close ends an answered conversation (the asker).
func (s *Service) Close(ctx context.Context, u *models.User, id int64) error {
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := askerLocked(tx, u, id)
		if err != nil {
			return err
		}
		if q.Status != models.QuestionAnswered {
			return &models.ConflictError{Message: "Only an answered question can be closed. Withdraw it if you no longer need an answer."}
		}
		return s.setStatus(ctx, tx, q, models.QuestionClosed, "closed", now, *q.AssigneeID)
	})
}

// Rate records whether the answer helped (the asker, once answered).
func (s *Service) Rate(ctx context.Context, u *models.User, id int64, rating string) error {
	if rating != "helpful" && rating != "not_helpful" {
		v := models.NewValidationError()
		v.Add("rating", "Choose helpful or not helpful.")
		return v
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := askerLocked(tx, u, id)
		if err != nil {
			return err
		}
		if q.Status != models.QuestionAnswered && q.Status != models.QuestionClosed {
			return &models.ConflictError{Message: "You can rate the answer once there is one."}
		}
		return tx.Model(&models.Question{}).Where("id = ?", id).Updates(map[string]any{"rating": rating, "updated_at": s.now().UTC()}).Error
	})
}

// MessageForm is one message of the conversation.
type MessageForm struct {
	Body            string `json:"body"`
	InfoRequest     bool   `json:"info_request"` // the clinician asks for more information
	ConfirmPersonal bool   `json:"confirm_personal_data"`
}

// Message adds to the conversation (asker or assignee, once assigned). The
// clinician's first message answers the question.
func (s *Service) Message(ctx context.Context, u *models.User, id int64, form MessageForm) (*models.QuestionMessage, error) {
	v := models.NewValidationError()
	form.Body = checkText(v, "body", "Your message", form.Body, 1, BodyMax)
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	crisis, err := s.screen(ctx, form.Body, form.ConfirmPersonal)
	if err != nil {
		return nil, err
	}
	html, err := s.md.Render(form.Body)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var m models.QuestionMessage
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := locked(tx, id)
		if err != nil {
			return err
		}
		asker := q.AskerID == u.ID
		assignee := q.AssigneeID != nil && *q.AssigneeID == u.ID && q.Status != models.QuestionOffered
		if !asker && !assignee {
			return notFound(id)
		}
		if q.Status != models.QuestionAssigned && q.Status != models.QuestionAnswered {
			return &models.ConflictError{Message: "The conversation is open once a clinician has taken the question, until it is closed."}
		}
		m = models.QuestionMessage{QuestionID: id, AuthorID: u.ID, Body: form.Body, BodyHTML: html, InfoRequest: assignee && form.InfoRequest, CreatedAt: now}
		if err := tx.Omit("ID").Create(&m).Error; err != nil {
			return err
		}
		to := q.AskerID
		if asker {
			to = *q.AssigneeID
		}
		switch {
		case assignee && m.InfoRequest:
			if err := s.event(tx, id, "more information requested", q.Status, now); err != nil {
				return err
			}
		case assignee && q.Status == models.QuestionAssigned:
			if err := tx.Model(&models.Question{}).Where("id = ?", id).Updates(map[string]any{"status": models.QuestionAnswered, "updated_at": now}).Error; err != nil {
				return err
			}
			if err := s.event(tx, id, "answered", models.QuestionAnswered, now); err != nil {
				return err
			}
		default:
			if err := tx.Model(&models.Question{}).Where("id = ?", id).Update("updated_at", now).Error; err != nil {
				return err
			}
		}
		return s.notifier.NotifyQuestion(ctx, tx.DB, to, models.NotifyQuestionMessage, id)
	})
	if err != nil {
		return nil, err
	}
	m.Crisis = crisis
	return &m, nil
}

// SetConsent lets the clinician who answered allow (or stop) publishing an
// anonymised copy.
func (s *Service) SetConsent(ctx context.Context, u *models.User, id int64, consent bool) error {
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := locked(tx, id)
		if err != nil {
			return err
		}
		if q.AssigneeID == nil || *q.AssigneeID != u.ID || q.Status == models.QuestionOffered {
			return notFound(id)
		}
		if q.Status != models.QuestionAnswered && q.Status != models.QuestionClosed {
			return &models.ConflictError{Message: "You can agree to publishing once you have answered."}
		}
		if q.PublishedThreadID != nil {
			return &models.ConflictError{Message: "The question is already published."}
		}
		if err := tx.Model(&models.Question{}).Where("id = ?", id).Updates(map[string]any{"publish_consent": consent, "updated_at": s.now().UTC()}).Error; err != nil {
			return err
		}
		if consent {
			return s.notifier.NotifyQuestion(ctx, tx.DB, q.AskerID, models.NotifyQuestionConsent, id)
		}
		return nil
	})
}

// View is a question as a participant sees it.
type View struct {
	Question      models.Question
	ForumSlug     string
	ForumName     string
	SpecialtyName string
	AssigneeName  string
	Asker         bool // the viewer asked it
	Assignee      bool // the viewer holds it (or is offered it)
	Messages      []MessageView
	Timeline      []models.QuestionEvent
	Readers       []Reader // for the asker: who else read it, when
}

// MessageView is a message with its author's role in the conversation.
type MessageView struct {
	models.QuestionMessage
	FromAsker bool
	Author    string
}

// Reader is one audited read by someone other than the asker.
type Reader struct {
	Handle string    `json:"handle"`
	Times  int       `json:"times"`
	At     time.Time `json:"last_at"`
}

// Get loads a question for the asker or its current assignee; everyone else
// gets ErrNotFound. A read by anyone but the asker is audited.
func (s *Service) Get(ctx context.Context, u *models.User, id int64, ip string) (*View, error) {
	if u == nil {
		return nil, notFound(id)
	}
	db := s.db.Gorm.WithContext(ctx)
	var q models.Question
	if err := db.Limit(1).Find(&q, id).Error; err != nil {
		return nil, err
	}
	if q.ID == 0 || !s.mayRead(&q, u.ID) {
		return nil, notFound(id)
	}
	v := &View{Question: q, Asker: q.AskerID == u.ID, Assignee: q.AssigneeID != nil && *q.AssigneeID == u.ID}
	if !v.Asker {
		if err := audit.Record(ctx, s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: "question.read", TargetKind: "question", TargetID: &q.ID, IP: ip}); err != nil {
			return nil, err
		}
	}
	var meta struct {
		ForumSlug, ForumName, SpecialtyName, AssigneeName string
	}
	if err := db.Raw(`SELECT f.slug AS forum_slug, f.name AS forum_name, coalesce(sp.label, '') AS specialty_name, coalesce(a.handle, '') AS assignee_name
		FROM questions q JOIN forums f ON f.id = q.forum_id LEFT JOIN specialties sp ON sp.code = q.specialty
		LEFT JOIN users a ON a.id = q.assignee_id AND q.status <> 'offered'
		WHERE q.id = ?`, id).Scan(&meta).Error; err != nil {
		return nil, err
	}
	v.ForumSlug, v.ForumName, v.SpecialtyName, v.AssigneeName = meta.ForumSlug, meta.ForumName, meta.SpecialtyName, meta.AssigneeName
	if err := db.Raw(`SELECT m.*, (m.author_id = ?) AS from_asker, u.handle AS author FROM question_messages m JOIN users u ON u.id = m.author_id
		WHERE m.question_id = ? ORDER BY m.id`, q.AskerID, id).Scan(&v.Messages).Error; err != nil {
		return nil, err
	}
	if v.Asker {
		if err := db.Where("question_id = ?", id).Order("id").Find(&v.Timeline).Error; err != nil {
			return nil, err
		}
		if err := db.Raw(`SELECT coalesce(u.handle, 'a former member') AS handle, count(*) AS times, max(e.created_at) AS at
			FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
			WHERE e.target_kind = 'question' AND e.target_id = ? AND e.action = 'question.read'
			GROUP BY e.actor_id, u.handle ORDER BY max(e.created_at) DESC LIMIT 100`, id).Scan(&v.Readers).Error; err != nil {
			return nil, err
		}
	}
	return v, nil
}

// mayRead: the asker, and the current assignee (who is also the offeree
// while the question is offered). Earlier offerees are nobody here.
func (s *Service) mayRead(q *models.Question, userID int64) bool {
	return q.AskerID == userID || (q.AssigneeID != nil && *q.AssigneeID == userID)
}

// Summary is a line of a dashboard list: never the text, only the title
// for participants.
type Summary struct {
	ID        int64                 `json:"id"`
	Title     string                `json:"title"`
	Status    models.QuestionStatus `json:"status"`
	ForumName string                `json:"forum"`
	Specialty string                `json:"specialty"`
	RespondBy *time.Time            `json:"respond_by,omitempty"`
	Rating    *string               `json:"rating,omitempty"`
	CreatedAt time.Time             `json:"created_at"`
	UpdatedAt time.Time             `json:"updated_at"`
	Remaining string                `json:"-" gorm:"-"` // "5 h 20 min left", for pages
}

const summarySQL = `SELECT q.id, q.title, q.status, f.name AS forum_name, coalesce(sp.label, '') AS specialty, q.respond_by, q.rating, q.created_at, q.updated_at
	FROM questions q JOIN forums f ON f.id = q.forum_id LEFT JOIN specialties sp ON sp.code = q.specialty `

// Asked lists the member's own questions, newest first.
func (s *Service) Asked(ctx context.Context, u *models.User) ([]Summary, error) {
	var out []Summary
	err := s.db.Gorm.WithContext(ctx).Raw(summarySQL+`WHERE q.asker_id = ? ORDER BY q.id DESC LIMIT 100`, u.ID).Scan(&out).Error
	return out, err
}

// Dashboard is what a clinician sees.
type Dashboard struct {
	Offers   []Summary                `json:"offers"`   // offered to them, with deadlines
	Open     []Summary                `json:"open"`     // assigned or answered, still open
	Finished []Summary                `json:"finished"` // closed or withdrawn after they took it
	Pool     []Summary                `json:"pool"`     // waiting for any eligible clinician
	Eligible bool                     `json:"eligible"` // verified and accepting
	Verified bool                     `json:"verified"`
	Settings models.ClinicianSettings `json:"-"`
}

// ClinicianDashboard lists a clinician's offers, questions and the pool
// they may claim from.
func (s *Service) ClinicianDashboard(ctx context.Context, u *models.User) (*Dashboard, error) {
	db := s.db.Gorm.WithContext(ctx)
	d := &Dashboard{}
	if err := db.Raw(summarySQL+`WHERE q.assignee_id = ? AND q.status = 'offered' ORDER BY q.respond_by`, u.ID).Scan(&d.Offers).Error; err != nil {
		return nil, err
	}
	if err := db.Raw(summarySQL+`WHERE q.assignee_id = ? AND q.status IN ('assigned', 'answered') ORDER BY q.updated_at DESC`, u.ID).Scan(&d.Open).Error; err != nil {
		return nil, err
	}
	if err := db.Raw(summarySQL+`WHERE q.assignee_id = ? AND q.status IN ('closed', 'withdrawn') ORDER BY q.updated_at DESC LIMIT 50`, u.ID).Scan(&d.Finished).Error; err != nil {
		return nil, err
	}
	pool, err := s.Pool(ctx, u)
	if err != nil {
		return nil, err
	}
	d.Pool = pool
	var n int64
	if err := db.Raw(`SELECT count(*) FROM credentials c WHERE c.user_id = ? AND c.status = 'verified' AND c.verified_until > ?`,
		u.ID, s.now().UTC()).Scan(&n).Error; err != nil {
		return nil, err
	}
	d.Verified = n > 0
	d.Settings = models.ClinicianSettings{UserID: u.ID, MaxOpenQuestions: 5}
	if err := db.Where("user_id = ?", u.ID).Limit(1).Find(&d.Settings).Error; err != nil {
		return nil, err
	}
	d.Eligible = d.Verified && d.Settings.AcceptingQuestions
	return d, nil
}

// Pool lists pooled questions this clinician is eligible to claim, oldest
// first: title, condition and specialty only; the text opens on claiming.
func (s *Service) Pool(ctx context.Context, u *models.User) ([]Summary, error) {
	now := s.now().UTC()
	anyNeed := Need{Now: now}
	self, err := s.candidates(ctx, s.db.Gorm, &models.Question{}, anyNeed, u.ID)
	if err != nil || len(self) == 0 || !Eligible(self[0], anyNeed) {
		return nil, err
	}
	var out []Summary
	err = s.db.Gorm.WithContext(ctx).Raw(summarySQL+`WHERE q.status = 'pool' AND q.asker_id <> ?
		AND NOT EXISTS (SELECT 1 FROM question_offers o WHERE o.question_id = q.id AND o.clinician_id = ?)
		AND (CASE WHEN q.specialty IS NOT NULL THEN ARRAY[q.specialty] ELSE f.specialties END && CAST(? AS text[])
		     OR (q.specialty IS NULL AND cardinality(f.specialties) = 0))
		ORDER BY q.created_at, q.id LIMIT 200`, u.ID, u.ID, pq.StringArray(self[0].Specialties)).Scan(&out).Error
	return out, err
}

// Decide makes one routing decision for a question without acting on it:
// the candidates query and Route, as route does (the benchmark measures it).
func (s *Service) Decide(ctx context.Context, id int64) (Candidate, bool, error) {
	var q models.Question
	if err := s.db.Gorm.WithContext(ctx).First(&q, id).Error; err != nil {
		return Candidate{}, false, err
	}
	var specs pq.StringArray
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT specialties FROM forums WHERE id = ?`, q.ForumID).Row().Scan(&specs); err != nil {
		return Candidate{}, false, err
	}
	n := need(&q, specs, s.now().UTC())
	cands, err := s.candidates(ctx, s.db.Gorm, &q, n, 0)
	if err != nil {
		return Candidate{}, false, err
	}
	c, ok := Route(cands, n)
	return c, ok, nil
}

// PublishForm is the asker's anonymised copy: they may edit out anything
// that could identify them.
type PublishForm struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Publish shares an answered question as a public thread: the asker's
// edited text anonymously, the clinician's answers under their name. It
// needs the clinician's consent and happens once.
func (s *Service) Publish(ctx context.Context, u *models.User, id int64, form PublishForm) (int64, error) {
	var threadID int64
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := askerLocked(tx, u, id)
		if err != nil {
			return err
		}
		switch {
		case q.PublishedThreadID != nil:
			return &models.ConflictError{Message: "This question is already published."}
		case !q.PublishConsent:
			return &models.ConflictError{Message: "The clinician has not agreed to publishing yet."}
		case q.Status != models.QuestionAnswered && q.Status != models.QuestionClosed:
			return &models.ConflictError{Message: "Only an answered question can be published."}
		}
		var answers []models.PublishedAnswer
		if err := tx.Raw(`SELECT author_id, body, created_at AS at FROM question_messages
			WHERE question_id = ? AND author_id = ? AND NOT info_request ORDER BY id`, id, *q.AssigneeID).Scan(&answers).Error; err != nil {
			return err
		}
		threadID, err = s.publisher.PublishAnonymised(ctx, tx, q.ForumID, q.AskerID, form.Title, form.Body, answers)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		if err := tx.Model(&models.Question{}).Where("id = ?", id).Updates(map[string]any{"published_thread_id": threadID, "updated_at": now}).Error; err != nil {
			return err
		}
		return s.event(tx, id, "published", q.Status, now)
	})
	return threadID, err
}
