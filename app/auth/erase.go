package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// EraseMember erases the account's own data inside the erasure's
// transaction (app/privacy runs it after the other owners): every way in
// (sessions, tokens, identities, e-mailed links, sign-in attempts) is
// deleted, second factors too, and the users row becomes a tombstone: a random handle, no
// e-mail, no password, no settings, status erased. Its id stays, as the
// pseudonym moderation records and the audit log keep.
func (s *Service) EraseMember(ctx context.Context, tx *database.Tx, e models.Erasure) error {
	db := tx.WithContext(ctx)
	for _, q := range []string{
		`DELETE FROM sessions WHERE user_id = ?`,
		`DELETE FROM api_tokens WHERE user_id = ?`,
		`DELETE FROM identities WHERE user_id = ?`,
		`DELETE FROM account_tokens WHERE user_id = ?`,
		`DELETE FROM oauth_attempts WHERE user_id = ?`,
		`DELETE FROM mfa_totp WHERE user_id = ?`,
		`DELETE FROM mfa_recovery_codes WHERE user_id = ?`,
		`DELETE FROM webauthn_credentials WHERE user_id = ?`,
	} {
		if err := db.Exec(q, e.UserID).Error; err != nil {
			return fmt.Errorf("auth: erase %d: %w", e.UserID, err)
		}
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("auth: erase %d: %w", e.UserID, err)
	}
	handle := models.FormerMemberPrefix + hex.EncodeToString(b[:])
	skeleton := handle
	err := db.Exec(`UPDATE users SET handle = ?, handle_skeleton = ?, email = NULL, email_verified_at = NULL, pending_email = NULL,
		password_hash = NULL, role = 'member', status = ?, suspended_until = NULL, profile_visibility = 'staff', time_zone = '',
		reviewer = false, sso_only = false, on_duty = false, language = '', region = '', updated_at = ?
		WHERE id = ?`, handle, skeleton, models.StatusErased, s.now().UTC(), e.UserID).Error
	if err != nil {
		return fmt.Errorf("auth: erase %d: %w", e.UserID, err)
	}
	return nil
}

// ForgetDevices is the retention limit of sessions' IP addresses and
// browser names (run by app/privacy's daily job): sessions not used since
// before keep neither. Expired sessions and links are deleted by Prune.
func (s *Service) ForgetDevices(ctx context.Context, before time.Time) (int64, error) {
	res := s.db.Gorm.WithContext(ctx).Exec(`UPDATE sessions SET ip = '', user_agent = '' WHERE last_seen_at < ? AND (ip <> '' OR user_agent <> '')`, before)
	if res.Error != nil {
		return 0, fmt.Errorf("auth: forget devices: %w", res.Error)
	}
	return res.RowsAffected, nil
}
