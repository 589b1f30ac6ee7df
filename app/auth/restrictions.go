package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Suspend blocks sign-in until the given time and ends every session at
// once. The action is audited.
func (s *Service) Suspend(ctx context.Context, actor *models.User, userID int64, until time.Time, reason string) error {
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.store.updateUser(ctx, tx.DB, userID, map[string]any{"status": models.StatusSuspended, "suspended_until": until.UTC(), "updated_at": s.now()}); err != nil {
			return err
		}
		if _, err := s.store.deleteSessions(ctx, tx.DB, userID, 0); err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &actor.ID, Action: "user.suspend", TargetKind: "user", TargetID: &userID, Reason: reason})
	})
}

// Restrict suspends (until a time) or bans (until nil) an account inside
// tx and ends its sessions at once; moderation calls it and audits.
func (s *Service) Restrict(ctx context.Context, tx *database.Tx, userID int64, until *time.Time) error {
	cols := map[string]any{"status": models.StatusBanned, "suspended_until": nil, "updated_at": s.now()}
	if until != nil {
		cols = map[string]any{"status": models.StatusSuspended, "suspended_until": until.UTC(), "updated_at": s.now()}
	}
	if err := s.store.updateUser(ctx, tx.DB, userID, cols); err != nil {
		return err
	}
	_, err := s.store.deleteSessions(ctx, tx.DB, userID, 0)
	return err
}

// LiftSuspension makes a suspended account active again, in the caller's
// transaction (an appeal overturned the suspension).
func (s *Service) LiftSuspension(ctx context.Context, tx *database.Tx, userID int64) error {
	if err := tx.WithContext(ctx).Exec(`UPDATE users SET status = 'active', suspended_until = NULL WHERE id = ? AND status = 'suspended'`, userID).Error; err != nil {
		return fmt.Errorf("auth: lift the suspension of %d: %w", userID, err)
	}
	return nil
}

// SetOnDuty turns a moderator's immediate crisis alerts on or off, in the
// caller's transaction (app/moderation decides who may).
func (s *Service) SetOnDuty(ctx context.Context, tx *database.Tx, userID int64, on bool) error {
	if err := tx.WithContext(ctx).Exec(`UPDATE users SET on_duty = ? WHERE id = ?`, on, userID).Error; err != nil {
		return fmt.Errorf("auth: set %d on duty: %w", userID, err)
	}
	return nil
}
