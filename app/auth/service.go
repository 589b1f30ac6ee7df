// Package auth owns accounts, sessions, API tokens, e-mailed account links
// and sign-in through external providers.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/ratelimit"
	"github.com/kindred-health/kindred/models"
)

// Limits are the rate limits on account endpoints.
type Limits struct {
	SignInPerIP      ratelimit.Rule
	SignInPerAccount ratelimit.Rule // failed attempts per account
	SignUpPerIP      ratelimit.Rule
	EmailPerIP       ratelimit.Rule // password-reset and verification requests
	ExternalPerIP    ratelimit.Rule // provider sign-ins started (each writes a row)
	SecondFactor     ratelimit.Rule // wrong second-factor codes per account
}

// DefaultLimits suit a community where people share a clinic's Wi-Fi.
var DefaultLimits = Limits{
	SignInPerIP:      ratelimit.Rule{Max: 30, Window: 15 * time.Minute},
	SignInPerAccount: ratelimit.Rule{Max: 8, Window: 15 * time.Minute},
	SignUpPerIP:      ratelimit.Rule{Max: 10, Window: time.Hour},
	EmailPerIP:       ratelimit.Rule{Max: 10, Window: time.Hour},
	ExternalPerIP:    ratelimit.Rule{Max: 60, Window: 15 * time.Minute},
	SecondFactor:     ratelimit.Rule{Max: 6, Window: 15 * time.Minute},
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
	// StaffMFAOptional lets people whose role requires a second factor
	// work without one. Only tests set it (server.Deps); no environment
	// setting reaches it.
	StaffMFAOptional bool
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
	db *database.DB
	// figuresSQL: the per-member figures loaded with each session
	// (SetSessionFigures).
	figuresSQL, pageFiguresSQL string
	// cache answers page reads' sessions from memory (UseSessionCache).
	cache     *sessionCache
	now       func() time.Time
	opts      Options
	limiter   *ratelimit.Limiter
	log       *slog.Logger
	store     store
	externals map[string]*External
	// externalOrder is the order providers were added: their buttons' order.
	externalOrder []string
	dummy         func() string
	// onSignIn runs inside every new session's transaction (app/privacy:
	// signing in cancels a pending erasure).
	onSignIn func(ctx context.Context, db *gorm.DB, userID int64) error
	// onSignUp records the consents a sign-up form gave (app/privacy).
	onSignUp func(ctx context.Context, db *gorm.DB, userID int64) error
}

// OnSignUp sets what records, inside the sign-up's transaction, the
// agreement and consent the form required.
func (s *Service) OnSignUp(f func(ctx context.Context, db *gorm.DB, userID int64) error) {
	s.onSignUp = f
}

// OnSignIn sets what runs, inside the transaction, whenever a session
// starts (a password, an external provider, a sign-up).
func (s *Service) OnSignIn(f func(ctx context.Context, db *gorm.DB, userID int64) error) {
	s.onSignIn = f
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
	if opts.Limits.SecondFactor.Max == 0 {
		opts.Limits.SecondFactor = DefaultLimits.SecondFactor
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
