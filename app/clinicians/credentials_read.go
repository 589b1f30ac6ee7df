package clinicians

import (
	"context"
	"fmt"
	"time"

	"github.com/kindred-health/kindred/models"
)

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

// IsVerified reports whether the member holds a verification now.
func (s *Service) IsVerified(ctx context.Context, userID int64) (bool, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM credentials WHERE user_id = ? AND clinician_verified(status, verified_until, ?)`,
		userID, s.now().UTC()).Scan(&n).Error
	return n > 0, err
}
