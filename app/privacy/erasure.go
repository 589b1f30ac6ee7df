// Package privacy is the member's rights over their data: erasure (with a
// grace period, or at once by an admin on request) and retention limits
// enforced by a daily job.
//
// Erasure does not delete the users row: it becomes a tombstone under the
// same id (status erased, a random handle, nothing else), the pseudonym
// that moderation records and the append-only audit log keep. Every other
// trace is removed by the owner of each table, in one transaction, through
// the Steps app/server hands in (features never import each other).
package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Step erases what one owner holds of a member inside the erasure's
// transaction, and may return what to do once it has committed (deleting
// files from a store).
type Step struct {
	Name  string
	Erase func(ctx context.Context, tx *database.Tx, e models.Erasure) (after func(context.Context) error, err error)
}

// InTx adapts an owner's erase function that needs nothing after commit.
func InTx(name string, f func(ctx context.Context, tx *database.Tx, e models.Erasure) error) Step {
	return Step{Name: name, Erase: func(ctx context.Context, tx *database.Tx, e models.Erasure) (func(context.Context) error, error) {
		return nil, f(ctx, tx, e)
	}}
}

// Accounts is what erasure needs from app/auth besides its Step: signing
// the member out everywhere when they ask.
type Accounts interface {
	RevokeOtherSessions(ctx context.Context, userID, keep int64) (int64, error)
}

// Notifier tells a member their erasure was cancelled (app/notify).
type Notifier interface {
	NotifyMember(ctx context.Context, tx *gorm.DB, userID int64, kind, message string) error
}

// Options are the operator's settings.
type Options struct {
	// Grace is how long a member's erasure waits (KINDRED_ERASURE_GRACE_DAYS,
	// 7): signing in within it cancels.
	Grace time.Duration
	// KeepQuestionRecords keeps a minimal record of erased members'
	// private questions for the clinicians (KINDRED_ERASURE_KEEP_QUESTIONS).
	KeepQuestionRecords bool
	Retention           Retention
}

// Service runs erasures and retention.
type Service struct {
	db       *database.DB
	now      func() time.Time
	log      *slog.Logger
	steps    []Step
	accounts Accounts
	notifier Notifier
	opts     Options
	pruners  Pruners
}

// New builds the service. steps run in order; the account's own (the
// tombstone) must come last.
func New(db *database.DB, now func() time.Time, log *slog.Logger, accounts Accounts, n Notifier, opts Options, steps ...Step) (*Service, error) {
	if db == nil || now == nil || log == nil || accounts == nil || n == nil || len(steps) == 0 {
		return nil, errors.New("privacy: New needs the database, a clock, a logger, the accounts, the notifier and the erasure steps")
	}
	if opts.Grace < 0 {
		opts.Grace = 0
	}
	return &Service{db: db, now: now, log: log, steps: steps, accounts: accounts, notifier: n, opts: opts}, nil
}

// Options returns the settings in force.
func (s *Service) Options() Options { return s.opts }

// NotifyErasureCancelled is the notification kind of a cancelled erasure.
const NotifyErasureCancelled = "erasure_cancelled"

// Pending is a member's erasure waiting for its day.
type Pending struct {
	Mode        string    `json:"mode"`
	RequestedAt time.Time `json:"requested_at"`
	DueAt       time.Time `json:"due_at"`
}

// PendingFor returns the member's pending erasure, or nil.
func (s *Service) PendingFor(ctx context.Context, userID int64) (*Pending, error) {
	var p []Pending
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT mode, requested_at, due_at FROM erasure_requests WHERE user_id = ?`, userID).Scan(&p).Error; err != nil {
		return nil, err
	}
	if len(p) == 0 {
		return nil, nil
	}
	return &p[0], nil
}

func validMode(mode string) bool { return mode == models.EraseDelete || mode == models.EraseAnonymise }

func modeError() error {
	v := models.NewValidationError()
	v.Add("mode", "Choose what happens to your posts: deleted, or kept without your name.")
	return v
}

// Request schedules the member's own erasure after the grace period and
// signs them out everywhere: signing in again before the day cancels it.
func (s *Service) Request(ctx context.Context, actor models.Actor, mode string) (*Pending, error) {
	u := actor.User
	if u == nil {
		return nil, models.ErrSignInRequired
	}
	if !validMode(mode) {
		return nil, modeError()
	}
	if u.Role == models.RoleAdmin {
		var admins int64
		if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM users WHERE role = 'admin' AND status = 'active' AND id <> ?`, u.ID).Scan(&admins).Error; err != nil {
			return nil, err
		}
		if admins == 0 {
			return nil, &models.ConflictError{Message: "You are the last admin: make someone else an admin before deleting your account."}
		}
	}
	now := s.now().UTC()
	p := &Pending{Mode: mode, RequestedAt: now, DueAt: now.Add(s.opts.Grace)}
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Exec(`INSERT INTO erasure_requests (user_id, mode, requested_by, requested_at, due_at) VALUES (?, ?, 'member', ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET mode = excluded.mode, requested_at = excluded.requested_at, due_at = excluded.due_at`,
			u.ID, mode, now, p.DueAt).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &u.ID, Action: "account.erasure_requested", TargetKind: models.TargetUser, TargetID: &u.ID, Reason: mode})
	})
	if err != nil {
		return nil, fmt.Errorf("privacy: request erasure: %w", err)
	}
	if _, err := s.accounts.RevokeOtherSessions(ctx, u.ID, 0); err != nil {
		return nil, err
	}
	return p, nil
}

// CancelOnSignIn runs inside every new session's transaction (auth's
// OnSignIn): a pending erasure is cancelled, and the member told.
func (s *Service) CancelOnSignIn(ctx context.Context, db *gorm.DB, userID int64) error {
	res := db.WithContext(ctx).Exec(`DELETE FROM erasure_requests WHERE user_id = ?`, userID)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	if err := audit.Record(ctx, db, models.AuditEvent{ActorID: &userID, Action: "account.erasure_cancelled", TargetKind: models.TargetUser, TargetID: &userID,
		Reason: "signed in during the grace period"}); err != nil {
		return err
	}
	return s.notifier.NotifyMember(ctx, db, userID, NotifyErasureCancelled,
		"You signed in, so your account will not be deleted. To delete it after all, ask again from your account settings.")
}

// EraseNow erases an account at once on an admin's decision (the member
// asked them, for example by letter), with a reason kept in the audit log.
func (s *Service) EraseNow(ctx context.Context, actor models.Actor, userID int64, mode, reason string) error {
	if !actor.IsAdmin() {
		return models.ErrForbidden
	}
	v := models.NewValidationError()
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) < 5 || utf8.RuneCountInString(reason) > 500 {
		v.Add("reason", "Say why, in 5 to 500 characters (for example: the member asked by e-mail on 3 March). Do not write their name or address: the reason is kept.")
	}
	if !validMode(mode) {
		v.Add("mode", "Choose what happens to their posts: deleted, or kept without their name.")
	}
	if userID == actor.ID() {
		v.Add("mode", "Delete your own account from your account settings.")
	}
	if err := v.OrNil(); err != nil {
		return err
	}
	return s.execute(ctx, userID, mode, func(tx *database.Tx) error {
		admin := actor.ID()
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin, Action: "account.erased", TargetKind: models.TargetUser, TargetID: &userID,
			Reason: mode + ": " + reason})
	})
}

// RunDue erases every account whose grace period is over; it returns how
// many. A failure leaves that request for the next run.
func (s *Service) RunDue(ctx context.Context) (int, error) {
	var due []struct {
		UserID int64
		Mode   string
	}
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT user_id, mode FROM erasure_requests WHERE due_at <= ? ORDER BY due_at LIMIT 100`, s.now().UTC()).Scan(&due).Error; err != nil {
		return 0, fmt.Errorf("privacy: due erasures: %w", err)
	}
	n := 0
	var failed error
	for _, d := range due {
		err := s.execute(ctx, d.UserID, d.Mode, func(tx *database.Tx) error {
			uid := d.UserID
			return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &uid, Action: "account.erased", TargetKind: models.TargetUser, TargetID: &uid,
				Reason: d.Mode + ": at the member's request, after the grace period"})
		})
		if err != nil {
			failed = err
			continue
		}
		n++
	}
	return n, failed
}

// execute erases one account: every step, the request row and record in
// one transaction, then the files.
func (s *Service) execute(ctx context.Context, userID int64, mode string, record func(tx *database.Tx) error) error {
	var after []func(context.Context) error
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		var u struct {
			Handle string
			Email  *string
			Status string
		}
		if err := tx.Raw(`SELECT handle, email, status FROM users WHERE id = ? FOR UPDATE`, userID).Scan(&u).Error; err != nil {
			return err
		}
		if u.Handle == "" {
			return fmt.Errorf("privacy: account %d: %w", userID, models.ErrNotFound)
		}
		if u.Status == string(models.StatusErased) {
			return &models.ConflictError{Message: "This account is already erased."}
		}
		e := models.Erasure{UserID: userID, Mode: mode, Handle: u.Handle, KeepQuestionRecords: s.opts.KeepQuestionRecords}
		if u.Email != nil {
			e.Email = *u.Email
		}
		after = after[:0]
		for _, st := range s.steps {
			a, err := st.Erase(ctx, tx, e)
			if err != nil {
				return fmt.Errorf("privacy: erase %d (%s): %w", userID, st.Name, err)
			}
			if a != nil {
				after = append(after, a)
			}
		}
		if err := tx.Exec(`DELETE FROM erasure_requests WHERE user_id = ?`, userID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM consents WHERE user_id = ?`, userID).Error; err != nil {
			return err
		}
		return record(tx)
	})
	if err != nil {
		return err
	}
	for _, a := range after {
		if err := a(ctx); err != nil {
			// The rows are gone; the stores' sweeps remove what no row names.
			s.log.ErrorContext(ctx, "privacy: delete a file after erasure (the sweep will)", "error", err.Error())
		}
	}
	return nil
}

// EraseArgs is the periodic job that runs due erasures and the retention
// limits.
type EraseArgs struct{}

// Kind names the job in River's table.
func (EraseArgs) Kind() string { return "privacy_daily" }

// Worker runs due erasures, then the retention limits.
type Worker struct {
	river.WorkerDefaults[EraseArgs]
	Svc *Service
}

// Work runs one pass.
func (w *Worker) Work(ctx context.Context, _ *river.Job[EraseArgs]) error {
	n, err := w.Svc.RunDue(ctx)
	if n > 0 {
		w.Svc.log.InfoContext(ctx, "privacy: accounts erased", "count", n)
	}
	res, rerr := w.Svc.Enforce(ctx)
	if res.Total() > 0 {
		w.Svc.log.InfoContext(ctx, "privacy: retention", "sessions", res.Sessions, "ip_cleared", res.IPCleared, "notifications", res.Notifications,
			"audit_events", res.AuditEvents)
	}
	return errors.Join(err, rerr)
}
