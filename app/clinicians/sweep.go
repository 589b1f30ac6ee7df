package clinicians

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

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
	return s.orphans.Sweep(ctx, s.docs, now, documentKey.MatchString, func(ctx context.Context) ([]string, error) {
		var named []string
		err := s.db.Gorm.WithContext(ctx).Model(&models.Credential{}).Where("document_file IS NOT NULL AND document_deleted_at IS NULL").
			Pluck("document_file", &named).Error
		return named, err
	})
}

var errNotDue = errors.New("not due")
