package clinicians

import (
	"context"
	"time"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Settings returns the clinician's preferences (defaults when never saved).
func (s *Service) Settings(ctx context.Context, userID int64) (models.ClinicianSettings, error) {
	st := models.ClinicianSettings{UserID: userID, MaxOpenQuestions: DefaultMaxOpen}
	err := s.db.Gorm.WithContext(ctx).Where("user_id = ?", userID).Limit(1).Find(&st).Error
	return st, err
}

// SaveSettings stores the preferences of a verified clinician.
func (s *Service) SaveSettings(ctx context.Context, actor models.Actor, form SettingsForm) error {
	u := actor.User
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
