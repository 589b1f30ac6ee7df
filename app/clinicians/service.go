// Package clinicians verifies clinicians: applications with a licence and
// an optional proof document, the review queue, the verified → revoked |
// expired lifecycle, public badges and clinician settings.
package clinicians

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/models"
)

// Notifier tells the applicant about a change, inside its transaction.
type Notifier interface {
	NotifyCredential(ctx context.Context, tx *gorm.DB, userID int64, kind string, credentialID int64) error
	NotifyReviewers(ctx context.Context, tx *gorm.DB, credentialID, applicantID int64) error
}

// Options are the operator's settings.
type Options struct {
	// DocumentRetention is how long a proof document stays after the
	// decision on its application.
	DocumentRetention time.Duration
}

// VerificationListener hears, inside the transaction that ends it, that a
// clinician's verification ended: revoked (by an admin) or not (expired,
// superseded). Private questions end the clinician's access; forums take
// the "clinician answered" labels of a revoked clinician away.
type VerificationListener interface {
	VerificationEnded(ctx context.Context, tx *database.Tx, userID int64, revoked bool) error
}

// Service implements clinician verification.
type Service struct {
	db        *database.DB
	now       func() time.Time
	docs      storage.Store
	notifier  Notifier
	log       *slog.Logger
	opts      Options
	listeners []VerificationListener

	// unnamed holds documents the sweep found in the store with no
	// credential naming them, and when it first saw each (this process
	// only: a restart starts the wait again, never shortens it).
	unnamedMu sync.Mutex
	unnamed   map[string]time.Time
}

// New builds the service. docs keeps the proof documents (local disk or
// object storage); ended are told of every verification that ends, inside
// its transaction (forums relabels the clinician's posts, private
// questions move on).
func New(db *database.DB, now func() time.Time, docs storage.Store, n Notifier, log *slog.Logger, opts Options, ended ...VerificationListener) *Service {
	return &Service{db: db, now: now, docs: docs, notifier: n, log: log, opts: opts, unnamed: map[string]time.Time{}, listeners: ended}
}

// VerifiedFor is how long one approval lasts at most.
const VerifiedFor = 365 * 24 * time.Hour

// ReminderBefore is how long before verified_until the clinician is reminded.
const ReminderBefore = 30 * 24 * time.Hour

// transitions is the state machine: the action that moves a credential
// from one status to another. Anything not listed is refused.
var transitions = map[[2]models.CredentialStatus]string{
	{models.CredentialPending, models.CredentialVerified}:  "approve",
	{models.CredentialPending, models.CredentialRejected}:  "reject",
	{models.CredentialPending, models.CredentialWithdrawn}: "withdraw",
	{models.CredentialVerified, models.CredentialRevoked}:  "revoke",
	{models.CredentialVerified, models.CredentialExpired}:  "expire",
}

// notifications says which transitions notify the applicant, and how.
var notifications = map[models.CredentialStatus]string{
	models.CredentialVerified: models.NotifyCredentialApproved,
	models.CredentialRejected: models.NotifyCredentialRejected,
	models.CredentialRevoked:  models.NotifyCredentialRevoked,
	models.CredentialExpired:  models.NotifyCredentialExpired,
}

func refusedTransition(from, to models.CredentialStatus) error {
	verb := map[models.CredentialStatus]string{
		models.CredentialVerified: "approved", models.CredentialRejected: "rejected", models.CredentialWithdrawn: "withdrawn",
		models.CredentialRevoked: "revoked", models.CredentialExpired: "expired",
	}[to]
	return &models.ConflictError{Message: fmt.Sprintf("This application is %s (%s); it cannot be %s now.", from, strings.ToLower(from.Label()), verb)}
}

// Vocabulary loads the professions, specialties and jurisdictions.
func (s *Service) Vocabulary(ctx context.Context) (*Vocabulary, error) {
	var v Vocabulary
	db := s.db.Gorm.WithContext(ctx)
	if err := db.Order("position, label").Find(&v.Professions).Error; err != nil {
		return nil, fmt.Errorf("clinicians: professions: %w", err)
	}
	if err := db.Order("label").Find(&v.Specialties).Error; err != nil {
		return nil, fmt.Errorf("clinicians: specialties: %w", err)
	}
	if err := db.Order("name").Find(&v.Jurisdictions).Error; err != nil {
		return nil, fmt.Errorf("clinicians: jurisdictions: %w", err)
	}
	return &v, nil
}

// Latest is the member's newest credential, or nil.
func (s *Service) Latest(ctx context.Context, userID int64) (*models.Credential, error) {
	var c models.Credential
	err := s.db.Gorm.WithContext(ctx).Where("user_id = ?", userID).Order("id DESC").Limit(1).Find(&c).Error
	if err != nil {
		return nil, fmt.Errorf("clinicians: latest: %w", err)
	}
	if c.ID == 0 {
		return nil, nil
	}
	return &c, nil
}

// Mine lists the member's applications, newest first.
func (s *Service) Mine(ctx context.Context, userID int64) ([]models.Credential, error) {
	var out []models.Credential
	err := s.db.Gorm.WithContext(ctx).Where("user_id = ?", userID).Order("id DESC").Limit(50).Find(&out).Error
	return out, err
}

// Standing is the member's newest credential and their current
// verification (either may be nil; they are the same row while verified).
func (s *Service) Standing(ctx context.Context, userID int64) (latest, verified *models.Credential, err error) {
	if latest, err = s.Latest(ctx, userID); err != nil {
		return nil, nil, err
	}
	var v models.Credential
	if err := s.db.Gorm.WithContext(ctx).Where("user_id = ? AND status = ?", userID, models.CredentialVerified).Limit(1).Find(&v).Error; err != nil {
		return nil, nil, fmt.Errorf("clinicians: verification: %w", err)
	}
	if v.ID != 0 {
		verified = &v
	}
	return latest, verified, nil
}

// CanApply says whether a member may apply at now, and if not, why.
// Rejected, withdrawn and expired applicants may apply again; a verified
// clinician may renew in the last 30 days of their verification; a
// revoked one may not apply here again.
func CanApply(latest, verified *models.Credential, now time.Time) error {
	if latest != nil {
		switch latest.Status {
		case models.CredentialPending:
			return &models.ConflictError{Message: "You already have an application waiting for review. Withdraw it first to change it."}
		case models.CredentialRevoked:
			return &models.ConflictError{Message: "Your verification was revoked, so you cannot apply again here. Contact the administrators if you think this is wrong."}
		}
	}
	if verified != nil && verified.VerifiedUntil.Sub(now) > ReminderBefore {
		return &models.ConflictError{Message: "You are verified until " + verified.VerifiedUntil.UTC().Format("2 Jan 2006") +
			". You can renew from " + verified.VerifiedUntil.Add(-ReminderBefore).UTC().Format("2 Jan 2006") + "."}
	}
	return nil
}

// Apply records a new application. doc is the proof document (nil for
// none): over MaxDocumentSize is a 413, a type other than PDF, PNG or JPEG
// a field error. The document is stored first and the row written after,
// in one transaction; if that fails the document is deleted again (and
// should that fail too, the sweep removes it later), so no credential ever
// names a document that is not there. A store that does not answer is a
// 503 (models.UnavailableError) and nothing is recorded.
func (s *Service) Apply(ctx context.Context, u *models.User, form ApplicationForm, doc *Upload) (*models.Credential, error) {
	now := s.now().UTC()
	if u == nil || !u.CanSignIn(now) {
		return nil, models.ErrForbidden
	}
	if doc != nil && doc.Size == 0 {
		doc = nil
	}
	if doc != nil && doc.Size > MaxDocumentSize {
		return nil, &models.TooLargeError{Field: "document", Message: "The document is larger than 5 MB. Upload a smaller scan or photo."}
	}
	voc, err := s.Vocabulary(ctx)
	if err != nil {
		return nil, err
	}
	verr := models.NewValidationError()
	if err := form.Validate(voc, now); err != nil {
		verr = err.(*models.ValidationError)
	}
	var mime string
	var content io.Reader
	if doc != nil {
		var ok bool
		if mime, ok, content, err = doc.sniff(); err != nil {
			return nil, err
		}
		if !ok {
			verr.Add("document", "The document must be a PDF, PNG or JPEG file.")
		}
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	latest, verified, err := s.Standing(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if err := CanApply(latest, verified, now); err != nil {
		return nil, err
	}
	c := &models.Credential{UserID: u.ID, Profession: form.Profession, Specialties: pq.StringArray(form.Specialties),
		LicenceNumber: form.LicenceNumber, Jurisdiction: form.Jurisdiction, LicenceExpires: form.expires,
		Status: models.CredentialPending, SubmittedAt: now}
	if doc != nil {
		key, err := storage.NewKey()
		if err != nil {
			return nil, err
		}
		if err := s.docs.Put(ctx, key, content, doc.Size, mime); err != nil {
			switch {
			case errors.Is(err, storage.ErrTooLarge):
				return nil, &models.TooLargeError{Field: "document", Message: "The document is larger than 5 MB. Upload a smaller scan or photo."}
			case ctx.Err() != nil:
				return nil, err // the applicant went away
			}
			return nil, unavailable("We could not store your document just now, so your application was not sent.", err)
		}
		size := doc.Size
		c.DocumentFile, c.DocumentType, c.DocumentSize = &key, &mime, &size
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Omit("ID").Create(c).Error; err != nil {
			return err
		}
		if err := audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &u.ID, Action: "credential.apply", TargetKind: "credential", TargetID: &c.ID,
			ToState: string(models.CredentialPending)}); err != nil {
			return err
		}
		return s.notifier.NotifyReviewers(ctx, tx.DB, c.ID, u.ID)
	})
	if err != nil {
		if c.DocumentFile != nil {
			// Even when the applicant has gone away: the document must not stay.
			if derr := s.docs.Delete(context.WithoutCancel(ctx), *c.DocumentFile); derr != nil {
				s.log.ErrorContext(ctx, "clinicians: remove document of failed application (the sweep will)", "error", derr.Error())
			}
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return nil, &models.ConflictError{Message: "You already have an application waiting for review."}
		}
		return nil, fmt.Errorf("clinicians: apply: %w", err)
	}
	return c, nil
}

// move applies one transition under the row's lock: it checks the state
// machine, updates the row, writes the audit event and notifies the
// applicant, all in one transaction. check runs on the locked row.
func (s *Service) move(ctx context.Context, id int64, actorID *int64, to models.CredentialStatus, reason string,
	check func(c *models.Credential) error, set func(c *models.Credential, now time.Time) map[string]any,
	before ...func(tx *database.Tx, c *models.Credential, now time.Time) error) (*models.Credential, error) {
	now := s.now().UTC()
	var c models.Credential
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&c, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return fmt.Errorf("clinicians: credential %d: %w", id, models.ErrNotFound)
			}
			return err
		}
		if check != nil {
			if err := check(&c); err != nil {
				return err
			}
		}
		from := c.Status
		action, ok := transitions[[2]models.CredentialStatus{from, to}]
		if !ok {
			return refusedTransition(from, to)
		}
		for _, b := range before {
			if err := b(tx, &c, now); err != nil {
				return err
			}
		}
		cols := set(&c, now)
		cols["status"] = to
		cols["reason"] = reason
		if err := tx.Model(&models.Credential{}).Where("id = ? AND status = ?", c.ID, from).Updates(cols).Error; err != nil {
			return err
		}
		c.Status, c.Reason = to, reason
		if from == models.CredentialVerified || to == models.CredentialVerified {
			// The professions shown on the threads they answered change.
			if err := tx.Enqueue(ctx, models.IndexThreadsArgs{Clinician: c.UserID}, nil); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: actorID, Action: "credential." + action, TargetKind: "credential", TargetID: &c.ID,
			Reason: reason, FromState: string(from), ToState: string(to)}); err != nil {
			return err
		}
		if from == models.CredentialVerified && to != models.CredentialVerified {
			for _, l := range s.listeners {
				if err := l.VerificationEnded(ctx, tx, c.UserID, to == models.CredentialRevoked); err != nil {
					return err
				}
			}
		}
		if kind, ok := notifications[to]; ok {
			return s.notifier.NotifyCredential(ctx, tx.DB, c.UserID, kind, c.ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func notOwn(reviewer *models.User) func(c *models.Credential) error {
	return func(c *models.Credential) error {
		if c.UserID == reviewer.ID {
			return &models.ConflictError{Message: "Nobody may review their own application. Another reviewer will decide."}
		}
		return nil
	}
}

// LicenceEnds is the instant a licence stops being valid: the end of its
// expiry date, UTC.
func LicenceEnds(expires time.Time) time.Time {
	y, m, d := expires.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
}

// StatusByUser says, per member, where their clinician verification stands
// (their latest application): "verified", "verification expired",
// "applied", "rejected", "revoked", "withdrawn"; members who never applied
// are absent.
func (s *Service) StatusByUser(ctx context.Context, userIDs []int64) (map[int64]string, error) {
	var rows []struct {
		UserID        int64
		Status        string
		VerifiedUntil *time.Time
	}
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT DISTINCT ON (user_id) user_id, status, verified_until FROM credentials
		WHERE user_id IN ? ORDER BY user_id, id DESC`, userIDs).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(rows))
	now := s.now()
	for _, r := range rows {
		switch {
		case models.VerifiedAt(r.Status, r.VerifiedUntil, now):
			out[r.UserID] = "verified"
		case r.Status == string(models.CredentialVerified) || r.Status == string(models.CredentialExpired):
			out[r.UserID] = "verification expired"
		case r.Status == string(models.CredentialPending):
			out[r.UserID] = "applied"
		default:
			out[r.UserID] = r.Status
		}
	}
	return out, nil
}

// Approve verifies a pending application. verified_until is the earlier of
// the licence's expiry and one year from now.
func (s *Service) Approve(ctx context.Context, reviewer *models.User, id int64, note string) (*models.Credential, error) {
	if !reviewer.CanReviewCredentials() {
		return nil, models.ErrForbidden
	}
	note, err := checkReason(note, false)
	if err != nil {
		return nil, err
	}
	return s.move(ctx, id, &reviewer.ID, models.CredentialVerified, note, func(c *models.Credential) error {
		if err := notOwn(reviewer)(c); err != nil {
			return err
		}
		if c.Status == models.CredentialPending && !LicenceEnds(c.LicenceExpires).After(s.now()) {
			return &models.ConflictError{Message: "This licence has expired since the application was made. Reject it so the member can apply with the renewed licence."}
		}
		return nil
	}, func(c *models.Credential, now time.Time) map[string]any {
		until := now.Add(VerifiedFor)
		if ends := LicenceEnds(c.LicenceExpires); ends.Before(until) {
			until = ends
		}
		c.ReviewerID, c.ReviewedAt, c.VerifiedUntil = &reviewer.ID, &now, &until
		return map[string]any{"reviewer_id": reviewer.ID, "reviewed_at": now, "verified_until": until}
	}, func(tx *database.Tx, c *models.Credential, now time.Time) error {
		return s.supersede(ctx, tx, c, now)
	})
}

// supersede ends the member's current verification when a renewal is
// approved: it expires (audited, without a notification: the approval is
// the news), so exactly one verification is ever current.
func (s *Service) supersede(ctx context.Context, tx *database.Tx, renewal *models.Credential, now time.Time) error {
	var old []int64
	if err := tx.Model(&models.Credential{}).Where("user_id = ? AND status = ? AND id <> ?", renewal.UserID, models.CredentialVerified, renewal.ID).
		Pluck("id", &old).Error; err != nil {
		return err
	}
	for _, id := range old {
		reason := fmt.Sprintf("Renewed by application %d", renewal.ID)
		if err := tx.Model(&models.Credential{}).Where("id = ?", id).
			Updates(map[string]any{"status": models.CredentialExpired, "ended_at": now, "reason": reason}).Error; err != nil {
			return err
		}
		if err := audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: renewal.ReviewerID, Action: "credential.expire", TargetKind: "credential", TargetID: &id,
			Reason: reason, FromState: string(models.CredentialVerified), ToState: string(models.CredentialExpired)}); err != nil {
			return err
		}
	}
	return nil
}

// Reject refuses a pending application with a reason the applicant reads.
func (s *Service) Reject(ctx context.Context, reviewer *models.User, id int64, reason string) (*models.Credential, error) {
	if !reviewer.CanReviewCredentials() {
		return nil, models.ErrForbidden
	}
	reason, err := checkReason(reason, true)
	if err != nil {
		return nil, err
	}
	return s.move(ctx, id, &reviewer.ID, models.CredentialRejected, reason, notOwn(reviewer), func(c *models.Credential, now time.Time) map[string]any {
		c.ReviewerID, c.ReviewedAt = &reviewer.ID, &now
		return map[string]any{"reviewer_id": reviewer.ID, "reviewed_at": now}
	})
}

// Withdraw lets applicants take back their pending application.
func (s *Service) Withdraw(ctx context.Context, u *models.User, id int64) (*models.Credential, error) {
	return s.move(ctx, id, &u.ID, models.CredentialWithdrawn, "", func(c *models.Credential) error {
		if c.UserID != u.ID {
			return fmt.Errorf("clinicians: credential %d: %w", id, models.ErrNotFound)
		}
		return nil
	}, func(c *models.Credential, now time.Time) map[string]any {
		c.ReviewedAt = &now
		return map[string]any{"reviewed_at": now}
	})
}

// Revoke ends a verification (admins only, with a reason).
func (s *Service) Revoke(ctx context.Context, admin *models.User, id int64, reason string) (*models.Credential, error) {
	if admin == nil || admin.Role != models.RoleAdmin {
		return nil, models.ErrForbidden
	}
	reason, err := checkReason(reason, true)
	if err != nil {
		return nil, err
	}
	return s.move(ctx, id, &admin.ID, models.CredentialRevoked, reason, func(c *models.Credential) error {
		if c.UserID == admin.ID {
			return &models.ConflictError{Message: "Ask another admin to revoke your own verification."}
		}
		return nil
	}, func(c *models.Credential, now time.Time) map[string]any {
		c.EndedAt = &now
		return map[string]any{"ended_at": now}
	})
}

// SweepResult counts what one sweep did.
type SweepResult struct {
	Expired, Reminded, DocumentsDeleted int
	// UnnamedDeleted counts documents removed because no credential named them.
	UnnamedDeleted int
}

// Sweep expires verifications whose time is up, reminds clinicians 30 days
// before, and deletes proof documents kept past the retention period. A
// River periodic job runs it; it is safe to run at any time and repeatedly.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	now := s.now().UTC()
	var due []int64
	if err := s.db.Gorm.WithContext(ctx).Model(&models.Credential{}).Where("status = ? AND verified_until <= ?", models.CredentialVerified, now).
		Order("id").Limit(500).Pluck("id", &due).Error; err != nil {
		return res, fmt.Errorf("clinicians: due: %w", err)
	}
	for _, id := range due {
		_, err := s.move(ctx, id, nil, models.CredentialExpired, "Verification period ended", func(c *models.Credential) error {
			if c.VerifiedAt(now) {
				return errNotDue
			}
			return nil
		}, func(c *models.Credential, now time.Time) map[string]any {
			c.EndedAt = &now
			return map[string]any{"ended_at": now}
		})
		var ce *models.ConflictError
		switch {
		case errors.Is(err, errNotDue) || errors.As(err, &ce):
			continue // changed meanwhile
		case err != nil:
			return res, err
		}
		res.Expired++
	}

	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		var rows []struct {
			ID     int64
			UserID int64
		}
		if err := tx.Raw(`UPDATE credentials SET reminder_sent_at = ? WHERE status = 'verified' AND reminder_sent_at IS NULL
			AND verified_until > ? AND verified_until <= ? RETURNING id, user_id`, now, now, now.Add(ReminderBefore)).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			if err := s.notifier.NotifyCredential(ctx, tx.DB, r.UserID, models.NotifyCredentialExpiring, r.ID); err != nil {
				return err
			}
		}
		res.Reminded = len(rows)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("clinicians: reminders: %w", err)
	}

	var old []models.Credential
	if err := s.db.Gorm.WithContext(ctx).Where("document_file IS NOT NULL AND document_deleted_at IS NULL AND status <> 'pending' AND reviewed_at <= ?",
		now.Add(-s.opts.DocumentRetention)).Order("id").Limit(500).Find(&old).Error; err != nil {
		return res, fmt.Errorf("clinicians: old documents: %w", err)
	}
	for _, c := range old {
		if err := s.docs.Delete(ctx, *c.DocumentFile); err != nil {
			// A store that does not answer would fail the rest too: try
			// again at the next sweep.
			s.log.ErrorContext(ctx, "clinicians: delete document", "credential", c.ID, "error", err.Error())
			return res, nil
		}
		err := s.db.InTx(ctx, func(tx *database.Tx) error {
			if err := tx.Model(&models.Credential{}).Where("id = ?", c.ID).Update("document_deleted_at", now).Error; err != nil {
				return err
			}
			return audit.Record(ctx, tx.DB, models.AuditEvent{Action: "credential.document.delete", TargetKind: "credential", TargetID: &c.ID,
				Reason: "retention period ended"})
		})
		if err != nil {
			return res, fmt.Errorf("clinicians: document deleted: %w", err)
		}
		res.DocumentsDeleted++
	}
	n, err := s.sweepUnnamed(ctx, now)
	res.UnnamedDeleted = n
	if err != nil {
		s.log.ErrorContext(ctx, "clinicians: documents no credential names", "error", err.Error())
	}
	return res, nil
}

// sweepUnnamed removes documents that no credential names: left behind
// when the row's transaction failed and the store did not answer the
// delete, or when the store kept an upload Kindred had given up on. One
// listing of the store and one query per sweep; a document goes only when
// two sweeps at least orphanGrace apart both found it unnamed, so an upload
// between writing its object and committing its row is never touched.
func (s *Service) sweepUnnamed(ctx context.Context, now time.Time) (int, error) {
	var stored []string
	if err := s.docs.List(ctx, func(key string) error {
		if documentKey.MatchString(key) {
			stored = append(stored, key)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	var named []string
	if err := s.db.Gorm.WithContext(ctx).Model(&models.Credential{}).Where("document_file IS NOT NULL AND document_deleted_at IS NULL").
		Pluck("document_file", &named).Error; err != nil {
		return 0, fmt.Errorf("clinicians: named documents: %w", err)
	}
	isNamed := make(map[string]bool, len(named))
	for _, k := range named {
		isNamed[k] = true
	}
	s.unnamedMu.Lock()
	defer s.unnamedMu.Unlock()
	next := map[string]time.Time{}
	deleted := 0
	var failed error
	for _, key := range stored {
		if isNamed[key] {
			continue
		}
		first, seen := s.unnamed[key]
		if !seen {
			first = now
		}
		if failed != nil || now.Sub(first) < orphanGrace || deleted >= 500 {
			next[key] = first
			continue
		}
		if err := s.docs.Delete(ctx, key); err != nil {
			failed = err
			next[key] = first
			continue
		}
		deleted++
	}
	s.unnamed = next
	return deleted, failed
}

var errNotDue = errors.New("not due")

// Document opens a credential's proof document for the applicant or a
// reviewer; everyone else gets ErrNotFound (the document's existence is
// not revealed). Every successful open is audited. A store that does not
// answer in time is a 503 (models.UnavailableError), never a wait without end.
func (s *Service) Document(ctx context.Context, u *models.User, id int64, ip string) (*storage.Object, *models.Credential, error) {
	notFound := fmt.Errorf("clinicians: document %d: %w", id, models.ErrNotFound)
	if u == nil {
		return nil, nil, notFound
	}
	var c models.Credential
	if err := s.db.Gorm.WithContext(ctx).Limit(1).Find(&c, id).Error; err != nil {
		return nil, nil, err
	}
	if c.ID == 0 || !c.HasDocument() || c.DocumentType == nil || (c.UserID != u.ID && !u.CanReviewCredentials()) {
		return nil, nil, notFound
	}
	obj, err := s.docs.Open(ctx, *c.DocumentFile)
	switch {
	case errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrBadKey):
		return nil, nil, notFound
	case err != nil && ctx.Err() != nil:
		return nil, nil, err
	case err != nil:
		return nil, nil, unavailable("The document store is not answering just now, so this document cannot be shown. Please try again in a minute.",
			fmt.Errorf("clinicians: document %d: %w", id, err))
	}
	if err := audit.Record(ctx, s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: "credential.document.view", TargetKind: "credential", TargetID: &c.ID, IP: ip}); err != nil {
		obj.Close()
		return nil, nil, err
	}
	return obj, &c, nil
}

// Settings returns the clinician's preferences (defaults when never saved).
func (s *Service) Settings(ctx context.Context, userID int64) (models.ClinicianSettings, error) {
	st := models.ClinicianSettings{UserID: userID, MaxOpenQuestions: DefaultMaxOpen}
	err := s.db.Gorm.WithContext(ctx).Where("user_id = ?", userID).Limit(1).Find(&st).Error
	return st, err
}

// SaveSettings stores the preferences of a verified clinician.
func (s *Service) SaveSettings(ctx context.Context, u *models.User, form SettingsForm) error {
	if err := form.Validate(); err != nil {
		return err
	}
	ok, err := s.IsVerified(ctx, u.ID)
	if err != nil {
		return err
	}
	if !ok {
		return &models.ConflictError{Message: "These settings are for verified clinicians."}
	}
	// Saving ends a pause: the clinician chose their settings again.
	return s.db.Gorm.WithContext(ctx).Exec(`INSERT INTO clinician_settings (user_id, accepting_questions, max_open_questions, generalist, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET accepting_questions = excluded.accepting_questions, max_open_questions = excluded.max_open_questions,
		generalist = excluded.generalist, paused_at = NULL, updated_at = excluded.updated_at`,
		u.ID, form.AcceptingQuestions, form.MaxOpenQuestions, form.Generalist, s.now().UTC()).Error
}

// Pauser stops a clinician's offers after repeated time-outs. Private
// questions call it; it needs nothing but the transaction, so it is built
// before both features (clinicians' own service listens to questions).
type Pauser struct{ now func() time.Time }

// NewPauser builds the Pauser.
func NewPauser(now func() time.Time) Pauser { return Pauser{now: now} }

// PauseQuestions turns off a clinician's offers, inside the transaction
// of the time-out that was one too many.
func (p Pauser) PauseQuestions(ctx context.Context, tx *database.Tx, userID int64) error {
	now := p.now().UTC()
	if err := tx.Exec(`UPDATE clinician_settings SET accepting_questions = false, paused_at = ?, updated_at = ? WHERE user_id = ? AND accepting_questions`,
		now, now, userID).Error; err != nil {
		return err
	}
	return audit.Record(ctx, tx.DB, models.AuditEvent{Action: "clinician.questions_paused", TargetKind: "user", TargetID: &userID,
		Reason: "offers or answers timed out repeatedly"})
}

// IsVerified reports whether the member holds a verification now.
func (s *Service) IsVerified(ctx context.Context, userID int64) (bool, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM credentials WHERE user_id = ? AND clinician_verified(status, verified_until, ?)`,
		userID, s.now().UTC()).Scan(&n).Error
	return n > 0, err
}
