package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// SignUp creates a member account and signs it in. A verification e-mail
// is queued in the same transaction.
func (s *Service) SignUp(ctx context.Context, f SignUpForm, cl Client) (*models.User, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	if err := s.limiter.Hit(ctx, "signup:ip:"+cl.IP, s.opts.Limits.SignUpPerIP); err != nil {
		return nil, "", err
	}
	// A handle is public: a taken one is said. Whether an address is in
	// use is nobody's business: the answer is the same either way.
	if err := s.checkUnique(ctx, f.Handle, "", 0); err != nil {
		return nil, "", err
	}
	inUse, err := s.store.emailTaken(ctx, s.db.Gorm, f.Email, 0)
	if err != nil {
		return nil, "", err
	}
	hash, err := s.hash(f.Password)
	if err != nil {
		return nil, "", fmt.Errorf("auth: hash: %w", err)
	}
	email := f.Email
	u := &models.User{Handle: f.Handle, Email: &email, PasswordHash: &hash, Role: models.RoleMember, Status: models.StatusActive}
	var owner int64
	if inUse {
		// The address stays pending on this account, never confirmed,
		// and its owner hears that someone tried to sign up with it.
		if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id FROM users WHERE lower(email) = lower(?)`, email).Scan(&owner).Error; err != nil {
			return nil, "", err
		}
		u.Email, u.PendingEmail = nil, &email
	}
	if lang, region, ok := web.NormalizeLocale(f.Language, f.Region); ok {
		u.Language, u.Region = lang, region
	}
	var token string
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.store.createUser(ctx, tx.DB, u); err != nil {
			return err
		}
		notice := AccountEmailArgs{UserID: u.ID, Purpose: models.PurposeVerifyEmail}
		if owner != 0 {
			notice = AccountEmailArgs{UserID: owner, Purpose: noticeSignUpAttempt}
		}
		if err := tx.Enqueue(ctx, notice, nil); err != nil {
			return err
		}
		if s.onSignUp != nil {
			// The agreement is recorded with the account it was given for.
			if err := s.onSignUp(ctx, tx.DB, u.ID); err != nil {
				return err
			}
		}
		token, err = s.startSession(ctx, tx.DB, u, cl)
		return err
	})
	if errors.Is(err, models.ErrConflict) {
		// Lost a race with another sign-up for the same handle or address
		// (which, as above, is not said).
		return nil, "", s.raceConflict(ctx, f.Handle, "", 0)
	}
	if err != nil {
		return nil, "", err
	}
	return u, token, nil
}

// raceConflict explains a unique violation that a concurrent write caused
// after checkUnique had passed.
func (s *Service) raceConflict(ctx context.Context, handle, email string, except int64) error {
	if err := s.checkUnique(ctx, handle, email, except); err != nil {
		return err
	}
	return fmt.Errorf("auth: %w", models.ErrConflict)
}

func (s *Service) checkUnique(ctx context.Context, handle, email string, except int64) error {
	v := models.NewValidationError()
	if handle != "" {
		taken, lookalike, err := s.store.handleTaken(ctx, s.db.Gorm, handle, except)
		if err != nil {
			return err
		}
		switch {
		case taken:
			v.Add("handle", "That handle is taken. Please choose another.")
		case lookalike:
			v.Add("handle", MsgHandleLookalike)
		}
	}
	if email != "" {
		taken, err := s.store.emailTaken(ctx, s.db.Gorm, email, except)
		if err != nil {
			return err
		}
		if taken {
			v.Add("email", "An account already uses that e-mail address. Sign in, or reset your password.")
		}
	}
	return v.OrNil()
}
