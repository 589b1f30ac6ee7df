package clinicians

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

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

// Approve verifies a pending application. verified_until is the earlier of
// the licence's expiry and one year from now.
func (s *Service) Approve(ctx context.Context, actor models.Actor, id int64, note string) (*models.Credential, error) {
	reviewer := actor.User
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
func (s *Service) Reject(ctx context.Context, actor models.Actor, id int64, reason string) (*models.Credential, error) {
	reviewer := actor.User
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
func (s *Service) Withdraw(ctx context.Context, actor models.Actor, id int64) (*models.Credential, error) {
	u := actor.User
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
func (s *Service) Revoke(ctx context.Context, actor models.Actor, id int64, reason string) (*models.Credential, error) {
	admin := actor.User
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
