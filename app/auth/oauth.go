package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/google"
	"github.com/markbates/goth/providers/openidConnect"
	"gorm.io/gorm"

	"kindred/app/database"
	"kindred/models"
)

// How long a sign-in at a provider, and the handle step after it, may take.
const (
	oauthAttemptTTL = 10 * time.Minute
	oauthPendingTTL = 30 * time.Minute
)

// External is one sign-in provider. goth speaks OAuth; where the provider
// issues an id_token, go-oidc verifies its signature, issuer, audience and
// expiry, which goth does not.
type External struct {
	Key   string // URL segment: oidc, google, github
	Label string

	mu       sync.Mutex
	init     func(ctx context.Context) (goth.Provider, *oidc.IDTokenVerifier, error)
	provider goth.Provider
	verifier *oidc.IDTokenVerifier
}

// ready builds the provider on first use, so a provider that is down at
// start-up does not stop Kindred; the next attempt tries again.
func (e *External) ready(ctx context.Context) (goth.Provider, *oidc.IDTokenVerifier, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.provider == nil {
		p, v, err := e.init(ctx)
		if err != nil {
			return nil, nil, err
		}
		e.provider, e.verifier = p, v
	}
	return e.provider, e.verifier, nil
}

// NewOIDC is a generic OpenID Connect provider found by discovery.
func NewOIDC(issuer, clientID, secret, label, callbackURL string, client *http.Client) *External {
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	return &External{Key: "oidc", Label: label, init: func(context.Context) (goth.Provider, *oidc.IDTokenVerifier, error) {
		// go-oidc keeps this context to refresh signing keys later, so it
		// must outlive the request that first needed the provider.
		keyCtx := oidc.ClientContext(context.Background(), client)
		op, err := oidc.NewProvider(keyCtx, issuer)
		if err != nil {
			return nil, nil, fmt.Errorf("auth: OpenID Connect discovery for %s: %w", issuer, err)
		}
		p, err := openidConnect.New(clientID, secret, callbackURL, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", "openid", "email", "profile")
		if err != nil {
			return nil, nil, fmt.Errorf("auth: OpenID Connect provider: %w", err)
		}
		// Identity comes from the verified id_token alone; an unverified
		// userinfo answer must not override it.
		p.SkipUserInfoRequest = true
		p.HTTPClient = client
		return p, op.Verifier(&oidc.Config{ClientID: clientID}), nil
	}}
}

// NewGoogle signs in with Google; its id_token is verified with Google's keys.
func NewGoogle(clientID, secret, callbackURL string) *External {
	return &External{Key: "google", Label: "Google", init: func(ctx context.Context) (goth.Provider, *oidc.IDTokenVerifier, error) {
		p := google.New(clientID, secret, callbackURL, "openid", "email")
		keys := oidc.NewRemoteKeySet(context.Background(), "https://www.googleapis.com/oauth2/v3/certs")
		return p, oidc.NewVerifier("https://accounts.google.com", keys, &oidc.Config{ClientID: clientID}), nil
	}}
}

// NewGitHub signs in with GitHub, which speaks OAuth 2 without id_tokens;
// the account comes from GitHub's API over TLS with the access token.
func NewGitHub(clientID, secret, callbackURL string) *External {
	return &External{Key: "github", Label: "GitHub", init: func(ctx context.Context) (goth.Provider, *oidc.IDTokenVerifier, error) {
		return github.New(clientID, secret, callbackURL, "read:user"), nil, nil
	}}
}

// AddExternal switches a provider on.
func (s *Service) AddExternal(e *External) { s.externals[e.Key] = e }

// Externals lists the providers that are switched on, in a fixed order.
func (s *Service) Externals() []*External {
	var out []*External
	for _, k := range []string{"oidc", "google", "github"} {
		if e, ok := s.externals[k]; ok {
			out = append(out, e)
		}
	}
	return out
}

func (s *Service) external(key string) (*External, error) {
	e, ok := s.externals[key]
	if !ok {
		return nil, fmt.Errorf("auth: provider %q: %w", key, models.ErrNotFound)
	}
	return e, nil
}

// ErrProviderUnavailable means the provider could not be reached.
var ErrProviderUnavailable = errors.New("auth: sign-in provider unavailable")

// ErrExternalRefused covers a bad state, a provider error, and an id_token
// that fails verification. Details go to the log, not to the browser.
var ErrExternalRefused = errors.New("auth: external sign-in refused")

type oauthAttempt struct {
	StateHash   []byte
	BrowserHash []byte
	Provider    string
	SessionData string
	ExpiresAt   time.Time
}

type oauthPending struct {
	TokenHash   []byte
	BrowserHash []byte
	Provider    string
	Subject     string
	Email       string
	ExpiresAt   time.Time
}

// TableName keeps GORM off its pluralising guess.
func (oauthPending) TableName() string { return "oauth_pending" }

// BeginExternal starts a sign-in at a provider and returns where to send
// the browser. The state is fresh randomness bound to this browser; any
// state the client supplies is ignored.
func (s *Service) BeginExternal(ctx context.Context, key, browserID string) (string, error) {
	e, err := s.external(key)
	if err != nil {
		return "", err
	}
	p, _, err := e.ready(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "sign-in provider unavailable", "provider", key, "error", err.Error())
		return "", ErrProviderUnavailable
	}
	state := newSecret()
	sess, err := p.BeginAuth(state)
	if err != nil {
		return "", fmt.Errorf("auth: begin %s: %w", key, err)
	}
	authURL, err := sess.GetAuthURL()
	if err != nil {
		return "", err
	}
	a := &oauthAttempt{StateHash: sha(state), BrowserHash: sha(browserID), Provider: key, SessionData: sess.Marshal(), ExpiresAt: s.now().Add(oauthAttemptTTL)}
	if err := s.db.Gorm.WithContext(ctx).Create(a).Error; err != nil {
		return "", fmt.Errorf("auth: save attempt: %w", err)
	}
	return authURL, nil
}

// ExternalResult is either a signed-in user, or a pending identity that
// still needs a handle.
type ExternalResult struct {
	User         *models.User
	SessionToken string
	PendingToken string
	Email        string
}

// CompleteExternal handles the provider's redirect back.
func (s *Service) CompleteExternal(ctx context.Context, key, browserID string, q url.Values, cl Client) (*ExternalResult, error) {
	e, err := s.external(key)
	if err != nil {
		return nil, err
	}
	p, verifier, err := e.ready(ctx)
	if err != nil {
		return nil, ErrProviderUnavailable
	}
	refuse := func(why string, err error) error {
		attrs := []any{"provider", key, "reason", why}
		if err != nil {
			attrs = append(attrs, "error", err.Error())
		}
		s.log.WarnContext(ctx, "external sign-in refused", attrs...)
		return ErrExternalRefused
	}
	state := q.Get("state")
	if state == "" || len(state) > 200 {
		return nil, refuse("missing state", nil)
	}
	// Single use: the attempt is deleted whatever happens next.
	var a oauthAttempt
	res := s.db.Gorm.WithContext(ctx).Raw(`DELETE FROM oauth_attempts WHERE state_hash = ? RETURNING *`, sha(state)).Scan(&a)
	if res.Error != nil {
		return nil, res.Error
	}
	switch {
	case res.RowsAffected == 0:
		return nil, refuse("unknown state", nil)
	case string(a.BrowserHash) != string(sha(browserID)):
		return nil, refuse("state from another browser", nil)
	case a.Provider != key:
		return nil, refuse("state for another provider", nil)
	case !s.now().Before(a.ExpiresAt):
		return nil, refuse("attempt expired", nil)
	case q.Get("error") != "":
		return nil, refuse("provider error", errors.New(clip(q.Get("error"), 100)))
	}
	gs, err := p.UnmarshalSession(a.SessionData)
	if err != nil {
		return nil, refuse("bad stored session", err)
	}
	if _, err := gs.Authorize(p, q); err != nil {
		return nil, refuse("code exchange failed", err)
	}
	// Verify the id_token (signature, issuer, audience, expiry) before goth
	// reads anything from it: goth decodes it without checking the signature.
	var subject, email string
	if verifier != nil {
		var raw struct{ IDToken string }
		if err := json.Unmarshal([]byte(gs.Marshal()), &raw); err != nil || raw.IDToken == "" {
			return nil, refuse("no id_token", err)
		}
		idt, err := verifier.Verify(ctx, raw.IDToken)
		if err != nil {
			return nil, refuse("id_token verification failed", err)
		}
		var claims struct {
			Email string `json:"email"`
		}
		_ = idt.Claims(&claims)
		subject, email = idt.Subject, claims.Email
	}
	gu, err := p.FetchUser(gs)
	if err != nil {
		return nil, refuse("fetch user failed", err)
	}
	if verifier == nil {
		subject, email = gu.UserID, gu.Email
	}
	if subject == "" {
		return nil, refuse("no subject", nil)
	}
	var ident models.Identity
	err = s.db.Gorm.WithContext(ctx).Where("provider = ? AND subject = ?", key, subject).First(&ident).Error
	if err == nil {
		u, err := s.store.userByID(ctx, s.db.Gorm, ident.UserID)
		if err != nil {
			return nil, err
		}
		if !u.CanSignIn(s.now()) {
			return nil, ErrAccountSuspended
		}
		s.db.Gorm.WithContext(ctx).Model(&ident).Update("last_used_at", s.now())
		token, err := s.startSession(ctx, s.db.Gorm, u, cl)
		if err != nil {
			return nil, err
		}
		return &ExternalResult{User: u, SessionToken: token}, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, err
	}
	pending := newSecret()
	row := &oauthPending{TokenHash: sha(pending), BrowserHash: sha(browserID), Provider: key, Subject: subject, Email: clip(email, EmailMax), ExpiresAt: s.now().Add(oauthPendingTTL)}
	if err := s.db.Gorm.WithContext(ctx).Create(row).Error; err != nil {
		return nil, err
	}
	return &ExternalResult{PendingToken: pending, Email: email}, nil
}

// PendingExternal reports whether a pending identity is still waiting.
func (s *Service) PendingExternal(ctx context.Context, pending, browserID string) (string, error) {
	var row oauthPending
	err := s.db.Gorm.WithContext(ctx).Where("token_hash = ? AND browser_hash = ? AND expires_at > ?", sha(pending), sha(browserID), s.now()).First(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", ErrExternalRefused
	}
	if err != nil {
		return "", err
	}
	return row.Provider, nil
}

// FinishExternal creates the account for a new external identity with the
// chosen handle. No e-mail address is taken over from the provider: accounts
// are never joined or filled by e-mail alone.
func (s *Service) FinishExternal(ctx context.Context, pending, browserID, handle string, cl Client) (*models.User, string, error) {
	v := models.NewValidationError()
	handle = strings.TrimSpace(handle)
	validateHandle(v, "handle", handle)
	if err := v.OrNil(); err != nil {
		return nil, "", err
	}
	if err := s.checkUnique(ctx, handle, "", -1); err != nil {
		return nil, "", err
	}
	var u *models.User
	var token string
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		var row oauthPending
		res := tx.Raw(`DELETE FROM oauth_pending WHERE token_hash = ? AND browser_hash = ? AND expires_at > ? RETURNING *`, sha(pending), sha(browserID), s.now()).Scan(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrExternalRefused
		}
		u = &models.User{Handle: handle, Role: models.RoleMember, Status: models.StatusActive}
		if err := s.store.createUser(ctx, tx.DB, u); err != nil {
			return err
		}
		now := s.now()
		if err := tx.Create(&models.Identity{UserID: u.ID, Provider: row.Provider, Subject: row.Subject, CreatedAt: now, LastUsedAt: now}).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrExternalRefused
			}
			return err
		}
		var err error
		token, err = s.startSession(ctx, tx.DB, u, cl)
		return err
	})
	if errors.Is(err, models.ErrConflict) {
		return nil, "", s.raceConflict(ctx, handle, "", -1)
	}
	return u, token, err
}

// Prune deletes expired sessions, links, attempts and rate-limit windows.
func (s *Service) Prune(ctx context.Context) error {
	now := s.now()
	db := s.db.Gorm.WithContext(ctx)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM sessions WHERE expires_at < ?`, []any{now}},
		{`DELETE FROM account_tokens WHERE expires_at < ?`, []any{now.Add(-24 * time.Hour)}},
		{`DELETE FROM oauth_attempts WHERE expires_at < ?`, []any{now}},
		{`DELETE FROM oauth_pending WHERE expires_at < ?`, []any{now}},
		{`DELETE FROM rate_limits WHERE window_start < ?`, []any{now.Add(-48 * time.Hour)}},
	} {
		if err := db.Exec(q.sql, q.args...).Error; err != nil {
			return fmt.Errorf("auth: prune: %w", err)
		}
	}
	return nil
}
