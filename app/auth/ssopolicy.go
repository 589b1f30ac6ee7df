package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// refuses says why the provider's policy keeps this person out ("" lets
// them in): an e-mail domain not on the list (or not verified), or none of
// the required groups. Checked at joining and at every sign-in, so someone
// who leaves the organisation's group loses access here too.
func (e *External) refuses(c *claims) string {
	p := e.policy
	if len(p.AllowedDomains) > 0 {
		at := strings.LastIndexByte(c.Email, '@')
		if at < 0 || !c.EmailVerified {
			return "no verified e-mail address for the domain allow-list"
		}
		if !contains(p.AllowedDomains, strings.ToLower(c.Email[at+1:])) {
			return "e-mail domain not allowed"
		}
	}
	if len(p.RequiredGroups) > 0 && !anyOf(p.RequiredGroups, c.Groups) {
		return "not in a required group"
	}
	return ""
}

func anyOf(want, have []string) bool {
	for _, h := range have {
		if contains(want, h) {
			return true
		}
	}
	return false
}

// roleFor maps the provider's groups to a role: admin before moderator.
// Never "verified clinician": that stays a review decision.
func (e *External) roleFor(groups []string) models.Role {
	switch {
	case anyOf(e.policy.AdminGroups, groups):
		return models.RoleAdmin
	case anyOf(e.policy.ModeratorGroups, groups):
		return models.RoleModerator
	}
	return models.RoleMember
}

// syncRole applies the provider's groups to the account's role at sign-in,
// when the provider maps groups to roles; the change is audited.
func (s *Service) syncRole(ctx context.Context, tx *database.Tx, e *External, u *models.User, groups []string) error {
	if !e.policy.MapsRoles() {
		return nil
	}
	role := e.roleFor(groups)
	if role == u.Role {
		return nil
	}
	from := u.Role
	if err := s.store.updateUser(ctx, tx.DB, u.ID, map[string]any{"role": role, "updated_at": s.now()}); err != nil {
		return err
	}
	u.Role = role
	return audit.Record(ctx, tx.DB, models.AuditEvent{Action: "user.role." + string(role), TargetKind: "user", TargetID: &u.ID,
		Reason: "groups at " + e.Key, FromState: string(from), ToState: string(role)})
}

// sessionOrigin is how a session began at a provider.
type sessionOrigin struct {
	identityID int64
	sid        string
	idToken    string
	// mfaProven: the second factor was just checked (or the session
	// replaces one that had passed it). Otherwise an account with a
	// second factor gets a half-signed session.
	mfaProven bool
}

// startSessionWith starts a session that remembers its provider sign-in.
func (s *Service) startSessionWith(ctx context.Context, db *gorm.DB, u *models.User, cl Client, o sessionOrigin) (string, error) {
	token := newSecret()
	now := s.now().UTC()
	_, absolute := s.timeouts(u.Role)
	sess := &models.Session{
		TokenHash: sha(token), UserID: u.ID, CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now, ExpiresAt: now.Add(absolute),
		IP: clip(cl.IP, 64), UserAgent: clip(cl.UserAgent, 300), ProviderSid: clip(o.sid, 255), IDTokenHint: o.idToken,
	}
	if o.identityID != 0 {
		sess.IdentityID = &o.identityID
	}
	if o.mfaProven {
		sess.MFAAt = &now
	} else {
		pending, err := hasSecondFactor(ctx, db, u.ID)
		if err != nil {
			return "", err
		}
		if pending {
			sess.MFAPending, sess.ExpiresAt = true, now.Add(PendingSecondFactorTTL)
		}
	}
	if err := s.store.createSession(ctx, db, sess); err != nil {
		return "", err
	}
	// A half-signed session (second factor still to come) is not a
	// sign-in yet: the hook runs when the full session starts.
	if s.onSignIn != nil && !sess.MFAPending {
		if err := s.onSignIn(ctx, db, u.ID); err != nil {
			return "", err
		}
	}
	return token, nil
}

// ReauthWindow is how long a proof of identity counts for sensitive
// actions: linking and unlinking sign-in methods, passwords, API tokens and
// e-mail changes.
const ReauthWindow = 10 * time.Minute

// Fresh reports whether the session's owner proved who they are recently
// enough for a sensitive action.
func (s *Service) Fresh(sess *models.Session) bool {
	return sess != nil && s.now().Sub(sess.AuthenticatedAt) < ReauthWindow
}

// ErrReauthRequired asks the member to prove who they are again.
var ErrReauthRequired = errors.New("auth: please confirm it is you")

// ConfirmPassword marks the session fresh after the member typed their
// password again (rate-limited like a sign-in).
func (s *Service) ConfirmPassword(ctx context.Context, u *models.User, sess *models.Session, password string, cl Client) error {
	if u.PasswordHash == nil {
		return ErrBadCredentials
	}
	login := u.Handle
	if _, err := s.authenticate(ctx, SignInForm{Login: login, Password: password}, cl); err != nil {
		return err
	}
	return s.db.Gorm.WithContext(ctx).Exec(`UPDATE sessions SET authenticated_at = ? WHERE id = ? AND user_id = ?`, s.now().UTC(), sess.ID, u.ID).Error
}

// SignInMethod is one way an account signs in, for the settings page.
type SignInMethod struct {
	IdentityID int64
	Provider   string // key
	Label      string
	Configured bool // the provider is still switched on
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// SignInMethods lists the account's provider identities.
func (s *Service) SignInMethods(ctx context.Context, userID int64) ([]SignInMethod, error) {
	var ids []models.Identity
	if err := s.db.Gorm.WithContext(ctx).Where("user_id = ?", userID).Order("id").Find(&ids).Error; err != nil {
		return nil, err
	}
	out := make([]SignInMethod, 0, len(ids))
	for _, id := range ids {
		m := SignInMethod{IdentityID: id.ID, Provider: id.Provider, Label: id.Provider, CreatedAt: id.CreatedAt, LastUsedAt: id.LastUsedAt}
		if e, ok := s.externals[id.Provider]; ok && e.Issuer == id.Issuer {
			m.Label, m.Configured = e.Label, true
		}
		out = append(out, m)
	}
	return out, nil
}

// Unlink removes one of the account's provider identities. The last way to
// sign in is never removed, and the session must be fresh.
func (s *Service) Unlink(ctx context.Context, u *models.User, sess *models.Session, identityID int64) error {
	if !s.Fresh(sess) {
		return ErrReauthRequired
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var ids []models.Identity
		if err := tx.Raw(`SELECT * FROM identities WHERE user_id = ? FOR UPDATE`, u.ID).Scan(&ids).Error; err != nil {
			return err
		}
		var gone *models.Identity
		usable := 0
		for i := range ids {
			if ids[i].ID == identityID {
				gone = &ids[i]
			} else if e, ok := s.externals[ids[i].Provider]; ok && e.Issuer == ids[i].Issuer {
				usable++
			}
		}
		if gone == nil {
			return fmt.Errorf("auth: identity %d: %w", identityID, models.ErrNotFound)
		}
		var hasPassword bool
		if err := tx.Raw(`SELECT password_hash IS NOT NULL FROM users WHERE id = ?`, u.ID).Scan(&hasPassword).Error; err != nil {
			return err
		}
		if usable == 0 && !hasPassword {
			v := models.NewValidationError()
			v.Message = "This is your only way to sign in, so it cannot be removed. Add another sign-in method or a password first."
			v.Add("identity", "Your only way to sign in.")
			return v
		}
		if err := tx.Exec(`DELETE FROM identities WHERE id = ?`, identityID).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &u.ID, Action: "sso.unlink", TargetKind: "user", TargetID: &u.ID, FromState: gone.Provider})
	})
}

// CheckLocalCredentials refuses a local password or API token on an
// SSO-only account.
func CheckLocalCredentials(u *models.User) error {
	if u.SSOOnly {
		return ErrSSOOnly
	}
	return nil
}

// SetSSOOnly lets an admin allow (or forbid again) a local password and API
// tokens on an account a provider created as SSO-only. Forbidding them
// again removes the password and revokes the tokens. Audited.
func (s *Service) SetSSOOnly(ctx context.Context, actor *models.User, userID int64, on bool) error {
	if actor == nil || actor.Role != models.RoleAdmin {
		return models.ErrForbidden
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		u, err := s.store.userByID(ctx, tx.DB, userID)
		if err != nil {
			return err
		}
		if u.SSOOnly == on {
			return nil
		}
		fields := map[string]any{"sso_only": on, "updated_at": s.now()}
		action := "user.sso_only.allow_local"
		if on {
			// Back to organisation-only: the local password and the API
			// tokens it allowed stop working now.
			action = "user.sso_only.require"
			fields["password_hash"] = nil
			if _, err := revokeAPITokens(ctx, tx.DB, userID); err != nil {
				return err
			}
		}
		if err := s.store.updateUser(ctx, tx.DB, userID, fields); err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &actor.ID, Action: action, TargetKind: "user", TargetID: &userID})
	})
}

// appealTicket lets a suspended member who proved who they are at their
// provider file an appeal without a password: single use, 30 minutes.
func (s *Service) appealTicket(ctx context.Context, u *models.User) (string, error) {
	secret := newSecret()
	now := s.now()
	t := &models.AccountToken{UserID: u.ID, Purpose: models.PurposeAppeal, TokenHash: s.keyed(models.PurposeAppeal, secret), CreatedAt: now, ExpiresAt: now.Add(30 * time.Minute)}
	if err := s.db.Gorm.WithContext(ctx).Create(t).Error; err != nil {
		return "", err
	}
	return secret, nil
}

// SuspendedByTicket returns the suspended account an appeal ticket names;
// the ticket is used up only when the appeal is filed (UseAppealTicket).
func (s *Service) SuspendedByTicket(ctx context.Context, secret string) (*models.User, error) {
	if secret == "" || len(secret) > 100 {
		return nil, ErrBadCredentials
	}
	var t models.AccountToken
	err := s.db.Gorm.WithContext(ctx).Where("purpose = ? AND token_hash = ? AND used_at IS NULL AND expires_at > ?",
		models.PurposeAppeal, s.keyed(models.PurposeAppeal, secret), s.now()).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	u, err := s.store.userByID(ctx, s.db.Gorm, t.UserID)
	if err != nil {
		return nil, err
	}
	if u.Status != models.StatusSuspended || u.CanSignIn(s.now()) {
		return nil, ErrBadCredentials
	}
	return u, nil
}

// UseAppealTicket spends a ticket once its appeal is filed.
func (s *Service) UseAppealTicket(ctx context.Context, secret string) error {
	return s.db.Gorm.WithContext(ctx).Exec(`UPDATE account_tokens SET used_at = ? WHERE purpose = ? AND token_hash = ? AND used_at IS NULL`,
		s.now(), models.PurposeAppeal, s.keyed(models.PurposeAppeal, secret)).Error
}
