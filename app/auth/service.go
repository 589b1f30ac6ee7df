// Package auth owns accounts, sessions, API tokens, e-mailed account links
// and sign-in through external providers.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/ratelimit"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Limits are the rate limits on account endpoints.
type Limits struct {
	SignInPerIP      ratelimit.Rule
	SignInPerAccount ratelimit.Rule // failed attempts per account
	SignUpPerIP      ratelimit.Rule
	EmailPerIP       ratelimit.Rule // password-reset and verification requests
	ExternalPerIP    ratelimit.Rule // provider sign-ins started (each writes a row)
}

// DefaultLimits suit a community where people share a clinic's Wi-Fi.
var DefaultLimits = Limits{
	SignInPerIP:      ratelimit.Rule{Max: 30, Window: 15 * time.Minute},
	SignInPerAccount: ratelimit.Rule{Max: 8, Window: 15 * time.Minute},
	SignUpPerIP:      ratelimit.Rule{Max: 10, Window: time.Hour},
	EmailPerIP:       ratelimit.Rule{Max: 10, Window: time.Hour},
	ExternalPerIP:    ratelimit.Rule{Max: 60, Window: 15 * time.Minute},
}

// Options configure the service.
type Options struct {
	SessionIdle          time.Duration
	SessionAbsolute      time.Duration
	StaffSessionIdle     time.Duration
	StaffSessionAbsolute time.Duration
	Secret               []byte
	BaseURL              string
	Limits               Limits
	// HashParams override argon2id's cost; tests use a cheaper setting.
	HashParams *argon2id.Params
}

// Client is who is asking: recorded on sessions and used for rate limits.
type Client struct {
	IP        string
	UserAgent string
	// Browser is the browser's random id, and KnownDevices the marks it
	// holds of accounts that signed in on it before (see DeviceMark).
	Browser      string
	KnownDevices string
}

// Service implements accounts and sessions.
type Service struct {
	db        *database.DB
	now       func() time.Time
	opts      Options
	limiter   *ratelimit.Limiter
	log       *slog.Logger
	store     store
	externals map[string]*External
	// externalOrder is the order providers were added: their buttons' order.
	externalOrder []string
	dummy         func() string
}

// New builds the service. now is the clock (injected for tests).
func New(db *database.DB, now func() time.Time, log *slog.Logger, opts Options) *Service {
	if opts.HashParams == nil {
		opts.HashParams = hashParams
	}
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits
	}
	if opts.Limits.ExternalPerIP.Max == 0 {
		opts.Limits.ExternalPerIP = DefaultLimits.ExternalPerIP
	}
	s := &Service{db: db, now: now, opts: opts, limiter: ratelimit.New(db.Gorm, now), log: log, externals: map[string]*External{}}
	s.dummy = sync.OnceValue(func() string {
		h, _ := argon2id.CreateHash("kindred-no-such-account", opts.HashParams)
		return h
	})
	return s
}

func (s *Service) hash(p string) (string, error) { return argon2id.CreateHash(p, s.opts.HashParams) }

func sha(b string) []byte { h := sha256.Sum256([]byte(b)); return h[:] }

func newSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// keyed signs a link secret with the server key: a stolen table of hashes
// cannot be turned into working links without the key.
func (s *Service) keyed(purpose models.AccountTokenPurpose, secret string) []byte {
	m := hmac.New(sha256.New, s.opts.Secret)
	m.Write([]byte(string(purpose) + "\x00" + secret))
	return m.Sum(nil)
}

func (s *Service) timeouts(r models.Role) (idle, absolute time.Duration) {
	if r.IsStaff() {
		return s.opts.StaffSessionIdle, s.opts.StaffSessionAbsolute
	}
	return s.opts.SessionIdle, s.opts.SessionAbsolute
}

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

// ErrBadCredentials is the one answer for an unknown account, a wrong
// password or an account without a password, so none can be told apart.
var ErrBadCredentials = errors.New("auth: bad credentials")

// ErrAccountSuspended is returned when a correct password meets a suspended account.
var ErrAccountSuspended = errors.New("auth: account suspended")

// SignIn checks a handle or e-mail and password and starts a session.
func (s *Service) SignIn(ctx context.Context, f SignInForm, cl Client) (*models.User, string, error) {
	u, err := s.authenticate(ctx, f, cl)
	if err != nil {
		return nil, "", err
	}
	if !u.CanSignIn(s.now()) {
		return nil, "", ErrAccountSuspended
	}
	token, err := s.startSession(ctx, s.db.Gorm, u, cl)
	if err != nil {
		return nil, "", err
	}
	return u, token, nil
}

// SuspendedAccount checks the credentials of a suspended account, with
// the sign-in rate limits, and returns it, so its owner can appeal without
// a session. Any other account is ErrBadCredentials here.
func (s *Service) SuspendedAccount(ctx context.Context, f SignInForm, cl Client) (*models.User, error) {
	u, err := s.authenticate(ctx, f, cl)
	if err != nil {
		return nil, err
	}
	if u.Status != models.StatusSuspended || u.CanSignIn(s.now()) {
		return nil, ErrBadCredentials
	}
	return u, nil
}

// authenticate checks a handle or e-mail and password under the rate limits.
func (s *Service) authenticate(ctx context.Context, f SignInForm, cl Client) (*models.User, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if err := s.limiter.Hit(ctx, "signin:ip:"+cl.IP, s.opts.Limits.SignInPerIP); err != nil {
		return nil, err
	}
	u, err := s.store.userByLogin(ctx, s.db.Gorm, f.Login)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	// One account, one count: failures by handle and by e-mail add up. A
	// login that names no account is counted by what was typed.
	rule := s.opts.Limits.SignInPerAccount
	key := ratelimit.Key("signin:acct", f.Login)
	if u != nil {
		key = "signin:user:" + strconv.FormatInt(u.ID, 10)
	}
	owner := false
	if err := s.limiter.Check(ctx, key, rule); err != nil {
		// Someone else's guesses do not lock the owner out of a browser
		// they signed in on before: it has a count of its own.
		if u == nil || !s.knownDevice(u, cl) {
			return nil, err
		}
		owner = true
		key = ratelimit.Key("signin:device:"+strconv.FormatInt(u.ID, 10), cl.Browser)
		if err := s.limiter.Check(ctx, key, rule); err != nil {
			return nil, err
		}
	}
	hash := s.dummy()
	if u != nil && u.PasswordHash != nil {
		hash = *u.PasswordHash
	}
	ok, _ := argon2id.ComparePasswordAndHash(f.Password, hash)
	if !ok || u == nil || u.PasswordHash == nil {
		n, err := s.limiter.RecordCount(ctx, key, rule)
		if err != nil {
			return nil, err
		}
		if n == rule.Max && u != nil && !owner && u.Email != nil {
			// Sign-ins from new browsers are paused now: the owner hears
			// of it once per window, with the way back.
			if _, err := s.db.River.Insert(ctx, AccountEmailArgs{UserID: u.ID, Purpose: noticeSignInPaused}, nil); err != nil {
				s.log.WarnContext(ctx, "sign-in pause notice not queued", "user_id", u.ID, "error", err.Error())
			}
		}
		return nil, ErrBadCredentials
	}
	return u, nil
}

// DeviceMark is what a browser keeps after u signs in on it: a mark of
// the account and that browser only the server can make.
func (s *Service) DeviceMark(u *models.User, browser string) string {
	if browser == "" {
		return ""
	}
	mac := hmac.New(sha256.New, s.opts.Secret)
	mac.Write([]byte("known-device|" + strconv.FormatInt(u.ID, 10) + "|" + browser))
	return strconv.FormatInt(u.ID, 10) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

// knownDevice: the browser holds u's mark for itself.
func (s *Service) knownDevice(u *models.User, cl Client) bool {
	want := s.DeviceMark(u, cl.Browser)
	if want == "" {
		return false
	}
	for _, m := range strings.Split(cl.KnownDevices, "~") {
		if hmac.Equal([]byte(m), []byte(want)) {
			return true
		}
	}
	return false
}

// startSession issues a fresh random token; only its hash is stored.
func (s *Service) startSession(ctx context.Context, db *gorm.DB, u *models.User, cl Client) (string, error) {
	return s.startSessionWith(ctx, db, u, cl, sessionOrigin{})
}

func clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// sessionTouchEvery limits last-seen writes to one a minute per session.
const sessionTouchEvery = time.Minute

// ResolveSession returns the user of a live session, or nils when the token
// is unknown, idle or past its absolute lifetime, or the user may no longer
// sign in. Dead sessions are deleted on the spot.
func (s *Service) ResolveSession(ctx context.Context, token, ip, ua string) (*models.User, *models.Session, error) {
	if len(token) > 100 {
		return nil, nil, nil
	}
	sess, err := s.store.sessionByHash(ctx, s.db.Gorm, sha(token))
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := s.store.userByID(ctx, s.db.Gorm, sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	now := s.now().UTC()
	idle, absolute := s.timeouts(u.Role)
	expired := !now.Before(sess.ExpiresAt) || !now.Before(sess.CreatedAt.Add(absolute)) || !now.Before(sess.LastSeenAt.Add(idle))
	if expired || !u.CanSignIn(now) {
		if _, err := s.store.deleteSession(ctx, s.db.Gorm, u.ID, sess.ID); err != nil {
			return nil, nil, err
		}
		return nil, nil, nil
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouchEvery {
		if err := s.store.touchSession(ctx, s.db.Gorm, sess.ID, now, clip(ip, 64), clip(ua, 300)); err != nil {
			return nil, nil, err
		}
		sess.LastSeenAt = now
	}
	return u, sess, nil
}

// SignOut ends one session on the server.
func (s *Service) SignOut(ctx context.Context, sess *models.Session) error {
	_, err := s.store.deleteSession(ctx, s.db.Gorm, sess.UserID, sess.ID)
	return err
}

// Sessions lists a user's sessions, most recently used first.
func (s *Service) Sessions(ctx context.Context, userID int64) ([]models.Session, error) {
	return s.store.sessionsOf(ctx, s.db.Gorm, userID)
}

// RevokeSession ends one of the user's own sessions.
func (s *Service) RevokeSession(ctx context.Context, userID, sessionID int64) error {
	ok, err := s.store.deleteSession(ctx, s.db.Gorm, userID, sessionID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("auth: session %d: %w", sessionID, models.ErrNotFound)
	}
	return nil
}

// RevokeOtherSessions ends every session but keep.
func (s *Service) RevokeOtherSessions(ctx context.Context, userID, keep int64) (int64, error) {
	return s.store.deleteSessions(ctx, s.db.Gorm, userID, keep)
}

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
		token, err = s.startSession(ctx, tx.DB, u, cl)
		return err
	})
	return token, tokens, err
}

// CheckPasswordWith compares a password with a stored hash.
func CheckPasswordWith(p, hash string) bool {
	ok, err := argon2id.ComparePasswordAndHash(p, hash)
	return err == nil && ok
}

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

// SeedAccount creates a confirmed account with a role, for demo data.
func (s *Service) SeedAccount(ctx context.Context, handle, email, password string, role models.Role) (*models.User, error) {
	f := SignUpForm{Handle: handle, Email: email, Password: password}
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
