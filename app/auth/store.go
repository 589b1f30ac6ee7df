package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/models"
)

// store holds auth's queries. Callers pass the *gorm.DB to use so that the
// same functions work inside and outside a transaction.
type store struct{}

func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("auth: %s: %w", what, models.ErrNotFound)
	}
	return fmt.Errorf("auth: %s: %w", what, err)
}

func (store) userByID(ctx context.Context, db *gorm.DB, id int64) (*models.User, error) {
	var u models.User
	if err := db.WithContext(ctx).First(&u, id).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("user %d", id))
	}
	return &u, nil
}

// userByLogin finds an account by handle or e-mail, ignoring case.
func (store) userByLogin(ctx context.Context, db *gorm.DB, login string) (*models.User, error) {
	var u models.User
	q := db.WithContext(ctx)
	var err error
	if strings.Contains(login, "@") {
		// Only a confirmed address signs in: an unconfirmed one proves
		// nothing, and answers as an unknown one does (so a sign-up with
		// someone else's address cannot be told from a new account).
		err = q.Where("lower(email) = lower(?) AND email_verified_at IS NOT NULL", login).First(&u).Error
	} else {
		err = q.Where("lower(handle) = lower(?)", login).First(&u).Error
	}
	if err != nil {
		return nil, notFound(err, "user by login")
	}
	return &u, nil
}

// handleTaken reports whether another account has this handle (ignoring
// case), or one a reader could take for it (the same skeleton).
func (store) handleTaken(ctx context.Context, db *gorm.DB, handle string, except int64) (taken, lookalike bool, err error) {
	var row struct{ Taken, Lookalike bool }
	err = db.WithContext(ctx).Raw(`SELECT
		EXISTS (SELECT 1 FROM users WHERE lower(handle) = lower(?) AND id <> ?) AS taken,
		EXISTS (SELECT 1 FROM users WHERE handle_skeleton = ? AND id <> ?) AS lookalike`,
		handle, except, input.Skeleton(handle), except).Scan(&row).Error
	return row.Taken, row.Lookalike, err
}

func (store) emailTaken(ctx context.Context, db *gorm.DB, email string, except int64) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Model(&models.User{}).Where("lower(email) = lower(?) AND id <> ?", email, except).Count(&n).Error
	return n > 0, err
}

func (store) createUser(ctx context.Context, db *gorm.DB, u *models.User) error {
	sk := input.Skeleton(u.Handle)
	u.HandleSkeleton = &sk
	if err := db.WithContext(ctx).Create(u).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return fmt.Errorf("auth: create user: %w", models.ErrConflict)
		}
		return fmt.Errorf("auth: create user: %w", err)
	}
	return nil
}

func (store) updateUser(ctx context.Context, db *gorm.DB, id int64, fields map[string]any) error {
	if h, ok := fields["handle"].(string); ok {
		fields["handle_skeleton"] = input.Skeleton(h)
	}
	err := db.WithContext(ctx).Model(&models.User{}).Where("id = ?", id).Updates(fields).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return fmt.Errorf("auth: update user %d: %w", id, models.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("auth: update user %d: %w", id, err)
	}
	return nil
}

func (store) createSession(ctx context.Context, db *gorm.DB, s *models.Session) error {
	if err := db.WithContext(ctx).Create(s).Error; err != nil {
		return fmt.Errorf("auth: create session: %w", err)
	}
	return nil
}

func (store) deleteSession(ctx context.Context, db *gorm.DB, userID, id int64) (bool, error) {
	res := db.WithContext(ctx).Where("id = ? AND user_id = ?", id, userID).Delete(&models.Session{})
	return res.RowsAffected > 0, res.Error
}

// deleteSessions ends every session of a user except keep (0 keeps none).
func (store) deleteSessions(ctx context.Context, db *gorm.DB, userID, keep int64) (int64, error) {
	res := db.WithContext(ctx).Where("user_id = ? AND id <> ?", userID, keep).Delete(&models.Session{})
	return res.RowsAffected, res.Error
}

func (store) sessionsOf(ctx context.Context, db *gorm.DB, userID int64) ([]models.Session, error) {
	var out []models.Session
	err := db.WithContext(ctx).Where("user_id = ?", userID).Order("last_seen_at DESC").Find(&out).Error
	return out, err
}

func (store) touchSession(ctx context.Context, db *gorm.DB, id int64, at time.Time, ip, ua string) error {
	return db.WithContext(ctx).Model(&models.Session{}).Where("id = ?", id).
		Updates(map[string]any{"last_seen_at": at, "ip": ip, "user_agent": ua}).Error
}
