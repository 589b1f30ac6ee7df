package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// SetRole changes a user's role; admins only, audited. Sessions end so the
// new role's session limits apply from the next sign-in.
func (s *Service) SetRole(ctx context.Context, actor *models.User, userID int64, role models.Role, reason string) error {
	if !role.Valid() {
		v := models.NewValidationError()
		v.Add("role", "Role must be member, moderator or admin.")
		return v
	}
	if actor != nil && actor.ID == userID {
		v := models.NewValidationError()
		v.Add("role", "You cannot change your own role. Ask another admin.")
		return v
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		if _, err := s.store.userByID(ctx, tx.DB, userID); err != nil {
			return err
		}
		if err := s.store.updateUser(ctx, tx.DB, userID, map[string]any{"role": role, "updated_at": s.now()}); err != nil {
			return err
		}
		if _, err := s.store.deleteSessions(ctx, tx.DB, userID, 0); err != nil {
			return err
		}
		var actorID *int64
		if actor != nil {
			actorID = &actor.ID
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: actorID, Action: "user.role." + string(role), TargetKind: "user", TargetID: &userID, Reason: reason})
	})
}

// SetReviewer grants or takes away the credential-reviewer permission.
func (s *Service) SetReviewer(ctx context.Context, actor *models.User, userID int64, on bool) error {
	if actor == nil || actor.Role != models.RoleAdmin {
		return models.ErrForbidden
	}
	if actor.ID == userID {
		v := models.NewValidationError()
		v.Add("reviewer", "You cannot change your own permissions. Ask another admin.")
		return v
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		u, err := s.store.userByID(ctx, tx.DB, userID)
		if err != nil {
			return err
		}
		if u.Reviewer == on {
			return nil
		}
		if err := s.store.updateUser(ctx, tx.DB, userID, map[string]any{"reviewer": on, "updated_at": s.now()}); err != nil {
			return err
		}
		action := "user.reviewer.revoke"
		if on {
			action = "user.reviewer.grant"
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &actor.ID, Action: action, TargetKind: "user", TargetID: &userID,
			FromState: strconv.FormatBool(u.Reviewer), ToState: strconv.FormatBool(on)})
	})
}

// Users lists accounts for the admin page, newest first, filtered by a
// handle prefix.
func (s *Service) Users(ctx context.Context, handlePrefix, provider string, page, perPage int) ([]AdminUser, int64, error) {
	q := s.db.Gorm.WithContext(ctx).Model(&models.User{})
	if handlePrefix != "" {
		q = q.Where("lower(handle) LIKE ?", strings.ToLower(escapeLike(handlePrefix))+"%")
	}
	switch provider {
	case "":
	case "password":
		q = q.Where("password_hash IS NOT NULL")
	default:
		q = q.Where("EXISTS (SELECT 1 FROM identities i WHERE i.user_id = users.id AND i.provider = ?)", provider)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var users []models.User
	if err := q.Order("id DESC").Offset((page - 1) * perPage).Limit(perPage).Find(&users).Error; err != nil {
		return nil, 0, err
	}
	out := make([]AdminUser, len(users))
	ids := make([]int64, len(users))
	for i, u := range users {
		out[i].User, ids[i] = u, u.ID
	}
	var seen []struct {
		UserID   int64
		LastSeen time.Time
	}
	if len(ids) > 0 {
		if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT user_id, max(last_seen_at) AS last_seen FROM sessions WHERE user_id IN ? GROUP BY user_id`, ids).Scan(&seen).Error; err != nil {
			return nil, 0, err
		}
	}
	at := map[int64]time.Time{}
	for _, r := range seen {
		at[r.UserID] = r.LastSeen
	}
	var idents []struct {
		UserID   int64
		Provider string
	}
	if len(ids) > 0 {
		if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT user_id, provider FROM identities WHERE user_id IN ? ORDER BY id`, ids).Scan(&idents).Error; err != nil {
			return nil, 0, err
		}
	}
	via := map[int64][]string{}
	for _, r := range idents {
		label := r.Provider
		if e, ok := s.externals[r.Provider]; ok {
			label = e.Label
		}
		via[r.UserID] = append(via[r.UserID], label)
	}
	for i := range out {
		if t, ok := at[out[i].ID]; ok {
			out[i].LastSeen = &t
		}
		out[i].Providers = via[out[i].ID]
	}
	return out, total, nil
}

// AdminUser is an account as the admins' list shows it.
type AdminUser struct {
	models.User
	LastSeen  *time.Time // the latest use of any of its sessions (nil: none open)
	Clinician string     // the clinician status, filled by the handler ("" when none)
	Providers []string   // the providers it signs in with, by label
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SeedAccount creates a confirmed account with a role, for demo data and
// the command line. It records no consent: its owner is asked at their
// first page after signing in.
func (s *Service) SeedAccount(ctx context.Context, handle, email, password string, role models.Role) (*models.User, error) {
	f := SignUpForm{Handle: handle, Email: email, Password: password, Agree: true, HealthConsent: true}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	hash, err := s.hash(password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &models.User{Handle: f.Handle, Email: &f.Email, EmailVerifiedAt: &now, PasswordHash: &hash, Role: role, Status: models.StatusActive}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.store.createUser(ctx, tx.DB, u); err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{Action: "user.seed." + string(role), TargetKind: "user", TargetID: &u.ID, Reason: "demo data"})
	})
	return u, err
}

// CreateAdmin creates an admin account, or promotes an existing one with
// that handle and sets its password. Used by `kindred create-admin`.
func (s *Service) CreateAdmin(ctx context.Context, handle, email, password string) (*models.User, bool, error) {
	v := models.NewValidationError()
	handle = strings.TrimSpace(handle)
	validateHandle(v, "handle", handle)
	if email != "" {
		email = validateEmail(v, "email", email)
	}
	validatePassword(v, "password", password, handle, email)
	if err := v.OrNil(); err != nil {
		return nil, false, err
	}
	hash, err := s.hash(password)
	if err != nil {
		return nil, false, err
	}
	var u *models.User
	created := false
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		existing, err := s.store.userByLogin(ctx, tx.DB, handle)
		switch {
		case err == nil:
			u = existing
			if err := s.store.updateUser(ctx, tx.DB, u.ID, map[string]any{"role": models.RoleAdmin, "password_hash": hash, "status": models.StatusActive, "updated_at": s.now()}); err != nil {
				return err
			}
			u.Role = models.RoleAdmin
		case errors.Is(err, models.ErrNotFound):
			u = &models.User{Handle: handle, PasswordHash: &hash, Role: models.RoleAdmin, Status: models.StatusActive}
			if email != "" {
				now := s.now()
				u.Email, u.EmailVerifiedAt = &email, &now
			}
			if err := s.store.createUser(ctx, tx.DB, u); err != nil {
				return err
			}
			created = true
		default:
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{Action: "user.role.admin", TargetKind: "user", TargetID: &u.ID, Reason: "kindred create-admin"})
	})
	if errors.Is(err, models.ErrConflict) {
		// A lookalike of the handle, or the address, is taken.
		if err := s.checkUnique(ctx, handle, email, -1); err != nil {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("auth: create admin: %w", models.ErrConflict)
	}
	return u, created, err
}
