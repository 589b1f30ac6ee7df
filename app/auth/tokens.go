package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/models"
)

// apiTokenPrefix makes leaked tokens easy to recognise in code and logs scanners.
const apiTokenPrefix = "kdr_"

// MaxAPITokens per account.
const MaxAPITokens = 50

// CreateAPIToken makes a personal token. The secret is returned once and
// only its hash is kept.
func (s *Service) CreateAPIToken(ctx context.Context, u *models.User, f TokenForm) (*models.APIToken, string, error) {
	if err := CheckLocalCredentials(u); err != nil {
		return nil, "", err
	}
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	var n int64
	if err := s.db.Gorm.WithContext(ctx).Model(&models.APIToken{}).Where("user_id = ?", u.ID).Count(&n).Error; err != nil {
		return nil, "", err
	}
	if n >= MaxAPITokens {
		v := models.NewValidationError()
		v.Add("name", fmt.Sprintf("You already have %d tokens. Revoke one you no longer use first.", MaxAPITokens))
		return nil, "", v
	}
	raw := apiTokenPrefix + newSecret()
	t := &models.APIToken{UserID: u.ID, Name: f.Name, TokenHash: sha(raw), Scope: models.TokenScope(f.Scope), CreatedAt: s.now().UTC()}
	if f.ExpiresInDays > 0 {
		end := t.CreatedAt.Add(time.Duration(f.ExpiresInDays) * 24 * time.Hour)
		t.ExpiresAt = &end
	}
	if err := s.db.Gorm.WithContext(ctx).Create(t).Error; err != nil {
		return nil, "", fmt.Errorf("auth: create token: %w", err)
	}
	return t, raw, nil
}

// APITokens lists a user's tokens, newest first.
func (s *Service) APITokens(ctx context.Context, userID int64) ([]models.APIToken, error) {
	var out []models.APIToken
	err := s.db.Gorm.WithContext(ctx).Where("user_id = ?", userID).Order("id DESC").Find(&out).Error
	return out, err
}

// RevokeAPIToken deletes one of the user's tokens.
func (s *Service) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	res := s.db.Gorm.WithContext(ctx).Where("id = ? AND user_id = ?", id, userID).Delete(&models.APIToken{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("auth: token %d: %w", id, models.ErrNotFound)
	}
	return nil
}

// revokeAPITokens deletes all of a user's tokens (a new password ends
// them) and says how many there were.
func revokeAPITokens(ctx context.Context, db *gorm.DB, userID int64) (int64, error) {
	res := db.WithContext(ctx).Where("user_id = ?", userID).Delete(&models.APIToken{})
	return res.RowsAffected, res.Error
}

// ResolveAPIToken returns the user of a bearer token, or nils if unknown or
// the user may not sign in.
func (s *Service) ResolveAPIToken(ctx context.Context, raw string) (*models.User, *models.APIToken, error) {
	u, t, _, _, err := s.ResolveAPITokenActor(ctx, raw)
	return u, t, err
}

// ResolveAPITokenActor is ResolveAPIToken that also returns, from the same
// statement, the Actor and the per-member figures (as ResolveSessionActor).
func (s *Service) ResolveAPITokenActor(ctx context.Context, raw string) (*models.User, *models.APIToken, *models.Actor, map[string]int64, error) {
	if !strings.HasPrefix(raw, apiTokenPrefix) || len(raw) > 100 {
		return nil, nil, nil, nil, nil
	}
	row, err := s.resolveToken(ctx, sha(raw))
	if err != nil || row == nil {
		return nil, nil, nil, nil, err
	}
	u, t := &row.User, &row.Token
	now := s.now().UTC()
	if !u.CanSignIn(now) || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) {
		return nil, nil, nil, nil, nil
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.db.Gorm.WithContext(ctx).Model(&models.APIToken{}).Where("id = ?", t.ID).Update("last_used_at", now).Error; err != nil {
			return nil, nil, nil, nil, err
		}
		t.LastUsedAt = &now
	}
	a, figures, err := row.actor(u, s)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return u, t, &a, figures, nil
}
