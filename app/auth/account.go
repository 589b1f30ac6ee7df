package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/alexedwards/argon2id"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// User loads one account.
func (s *Service) User(ctx context.Context, id int64) (*models.User, error) {
	return s.store.userByID(ctx, s.db.Gorm, id)
}

// ChangeHandle renames the account.
func (s *Service) ChangeHandle(ctx context.Context, u *models.User, handle string) error {
	v := models.NewValidationError()
	handle = strings.TrimSpace(handle)
	validateHandle(v, "handle", handle)
	if err := v.OrNil(); err != nil {
		return err
	}
	if err := s.checkUnique(ctx, handle, "", u.ID); err != nil {
		return err
	}
	if err := s.store.updateUser(ctx, s.db.Gorm, u.ID, map[string]any{"handle": handle, "updated_at": s.now()}); err != nil {
		if errors.Is(err, models.ErrConflict) {
			return s.raceConflict(ctx, handle, "", u.ID)
		}
		return err
	}
	u.Handle = handle
	return nil
}

// ChangeEmail sets a new, unverified address and queues its verification.
func (s *Service) ChangeEmail(ctx context.Context, u *models.User, email string) error {
	v := models.NewValidationError()
	email = validateEmail(v, "email", email)
	if err := v.OrNil(); err != nil {
		return err
	}
	if u.Email != nil && strings.EqualFold(*u.Email, email) {
		return nil
	}
	if err := s.checkUnique(ctx, "", email, u.ID); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.store.updateUser(ctx, tx.DB, u.ID, map[string]any{"email": email, "email_verified_at": nil, "updated_at": s.now()}); err != nil {
			return err
		}
		return tx.Enqueue(ctx, AccountEmailArgs{UserID: u.ID, Purpose: models.PurposeVerifyEmail}, nil)
	})
	if errors.Is(err, models.ErrConflict) {
		return s.raceConflict(ctx, "", email, u.ID)
	}
	if err != nil {
		return err
	}
	u.Email, u.EmailVerifiedAt = &email, nil
	return nil
}

// ChangePassword checks the current password, sets the new one, ends every
// session and returns a fresh one for the browser that made the change.
//
// A new password ends every other session and every API token: whoever
// knew the old one may have made them. tokens says how many ended.
func (s *Service) ChangePassword(ctx context.Context, u *models.User, current, next string, cl Client) (token string, tokens int64, err error) {
	if err := CheckLocalCredentials(u); err != nil {
		return "", 0, err
	}
	v := models.NewValidationError()
	if u.PasswordHash != nil && !CheckPasswordWith(current, *u.PasswordHash) {
		v.Add("current_password", "That is not your current password.")
	}
	email := ""
	if u.Email != nil {
		email = *u.Email
	}
	validatePassword(v, "new_password", next, u.Handle, email)
	if err := v.OrNil(); err != nil {
		return "", 0, err
	}
	hash, err := s.hash(next)
	if err != nil {
		return "", 0, err
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.store.updateUser(ctx, tx.DB, u.ID, map[string]any{"password_hash": hash, "updated_at": s.now()}); err != nil {
			return err
		}
		if _, err := s.store.deleteSessions(ctx, tx.DB, u.ID, 0); err != nil {
			return err
		}
		if tokens, err = revokeAPITokens(ctx, tx.DB, u.ID); err != nil {
			return err
		}
		// The member was fully signed in to change it: the new session
		// keeps the second factor this one passed.
		if token, err = s.startSessionWith(ctx, tx.DB, u, cl, sessionOrigin{mfaProven: true}); err != nil {
			return err
		}
		return s.factorChanged(ctx, tx, u, "user.password.changed", changePassword, cl)
	})
	return token, tokens, err
}

// CheckPasswordWith compares a password with a stored hash.
func CheckPasswordWith(p, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(p, hash)
	return err == nil && ok
}

// SetProfileVisibility chooses who may open the member's profile page.
func (s *Service) SetProfileVisibility(ctx context.Context, u *models.User, vis models.ProfileVisibility) error {
	switch vis {
	case models.ProfileEveryone, models.ProfileMembers, models.ProfileStaff:
	default:
		v := models.NewValidationError()
		v.Add("profile_visibility", "Choose who may see your profile.")
		return v
	}
	if err := s.store.updateUser(ctx, s.db.Gorm, u.ID, map[string]any{"profile_visibility": vis, "updated_at": s.now()}); err != nil {
		return err
	}
	u.ProfileVisibility = vis
	return nil
}
