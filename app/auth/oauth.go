package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth/providers/github"
	"golang.org/x/oauth2"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/ratelimit"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Purposes of a provider sign-in.
const (
	PurposeSignIn = "signin" // sign in, or join with a new account
	PurposeReauth = "reauth" // the signed-in member proves who they are again
	PurposeLink   = "link"   // the signed-in member adds this provider
)

// ExternalErrorKind says why a provider sign-in failed, so the member is
// told the cause and what to do.
type ExternalErrorKind int

// Why a provider sign-in can fail.
const (
	ExtExpired       ExternalErrorKind = iota + 1 // unknown, used, expired or foreign attempt
	ExtDeclined                                   // the member cancelled or refused at the provider
	ExtMisconfigured                              // the provider refused Kindred's client settings
	ExtUnavailable                                // the provider did not answer
	ExtRefused                                    // the answer failed verification
	ExtNotAllowed                                 // the provider's policy keeps this person out
	ExtNotFresh                                   // re-authentication did not happen at the provider
	ExtNoMFA                                      // the stronger sign-in the provider requires was not used
	ExtOtherPerson                                // re-authentication as someone else
	ExtInUse                                      // linking an identity another account has
)

// ExternalError is a failed provider sign-in. Details go to the log; the
// member sees a message for the cause.
type ExternalError struct {
	Kind     ExternalErrorKind
	Provider string // the provider's label
}

func (e *ExternalError) Error() string {
	return fmt.Sprintf("auth: external sign-in at %s failed (%d)", e.Provider, e.Kind)
}

// Is lets callers keep matching the older sentinels.
func (e *ExternalError) Is(target error) bool {
	switch target {
	case ErrProviderUnavailable:
		return e.Kind == ExtUnavailable
	case ErrExternalRefused:
		return e.Kind != ExtUnavailable
	}
	return false
}

// ErrProviderUnavailable means the provider could not be reached.
var ErrProviderUnavailable = errors.New("auth: sign-in provider unavailable")

// ErrExternalRefused covers every other failed provider sign-in.
var ErrExternalRefused = errors.New("auth: external sign-in refused")

// ErrSSOOnly refuses a local password or API token on an account that
// signs in only through its organisation's provider.
var ErrSSOOnly = &models.ForbiddenError{Code: "sso_only",
	Message: "Your organisation manages how you sign in to Kindred, so this account cannot have a password or API tokens. An admin can allow them if you need them."}

type oauthAttempt struct {
	StateHash    []byte
	BrowserHash  []byte
	Provider     string
	Purpose      string
	UserID       *int64
	CodeVerifier string
	Nonce        string
	NextPath     string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

type oauthPending struct {
	TokenHash   []byte
	BrowserHash []byte
	Provider    string
	Issuer      string
	Subject     string
	Email       string
	Role        models.Role
	SSOOnly     bool
	ProviderSid string
	IDTokenHint string
	NextPath    string
	ExpiresAt   time.Time
}

// TableName keeps GORM off its pluralising guess.
func (oauthPending) TableName() string { return "oauth_pending" }

// BeginOptions say what a provider sign-in is for.
type BeginOptions struct {
	Purpose string // PurposeSignIn when empty
	UserID  int64  // the signed-in member, for reauth and link
	Next    string // a same-origin path to return to
}

// BeginExternal starts a sign-in at a provider and returns where to send
// the browser. State, PKCE verifier and nonce are fresh randomness kept in
// the attempt, bound to this browser; nothing the client sends is used.
func (s *Service) BeginExternal(ctx context.Context, key, browserID string, o BeginOptions, cl Client) (string, error) {
	e, err := s.external(key)
	if err != nil {
		return "", err
	}
	// Each click writes a row: limit them per address.
	if err := s.limiter.Hit(ctx, ratelimit.Key("sso-begin", cl.IP), s.opts.Limits.ExternalPerIP); err != nil {
		return "", err
	}
	d, err := e.ready(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "sign-in provider unavailable", "provider", key, "error", err.Error())
		if unreachable(err) {
			return "", &ExternalError{Kind: ExtUnavailable, Provider: e.Label}
		}
		return "", &ExternalError{Kind: ExtMisconfigured, Provider: e.Label}
	}
	if o.Purpose == "" {
		o.Purpose = PurposeSignIn
	}
	state, nonce := newSecret(), newSecret()
	verifier := ""
	cfg := e.oauth
	cfg.Endpoint = d.endpoint
	var opts []oauth2.AuthCodeOption
	if d.pkceS256 {
		verifier = oauth2.GenerateVerifier()
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	if e.kind == kindOIDC {
		opts = append(opts, oidc.Nonce(nonce))
		if o.Purpose == PurposeReauth {
			// Ask the person to sign in at the provider now, not to reuse a
			// session there; the id_token's auth_time must show it.
			opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0"))
			if len(e.policy.ReauthACR) > 0 {
				opts = append(opts, oauth2.SetAuthURLParam("acr_values", strings.Join(e.policy.ReauthACR, " ")))
			}
		}
	}
	a := &oauthAttempt{StateHash: sha(state), BrowserHash: sha(browserID), Provider: key, Purpose: o.Purpose,
		CodeVerifier: verifier, Nonce: nonce, NextPath: web.SafeNext(o.Next), ExpiresAt: s.now().Add(oauthAttemptTTL),
		// Compared with the provider's auth_time, which is wall-clock time.
		CreatedAt: time.Now().UTC()}
	if o.UserID != 0 {
		a.UserID = &o.UserID
	}
	if err := s.db.Gorm.WithContext(ctx).Create(a).Error; err != nil {
		return "", fmt.Errorf("auth: save attempt: %w", err)
	}
	return cfg.AuthCodeURL(state, opts...), nil
}

// ExternalResult is a signed-in member, a pending identity that still needs
// a handle, a re-authenticated session or a linked provider.
type ExternalResult struct {
	User         *models.User
	SessionToken string
	PendingToken string
	Email        string
	Purpose      string
	Next         string
	Provider     string // label
	// AppealToken lets a suspended member appeal without a password.
	AppealToken string
}

// claims is what Kindred reads from a verified id_token.
type claims struct {
	Subject       string
	Email         string
	EmailVerified bool
	Sid           string
	AuthTime      time.Time
	ACR           string
	Groups        []string
	IDToken       string
}

// CompleteExternal handles the provider's redirect back. Only state, code
// and error are read from it. current is the session this browser already
// has, if any (reauth and link need it).
func (s *Service) CompleteExternal(ctx context.Context, key, browserID string, q url.Values, cl Client, current *models.Session) (*ExternalResult, error) {
	e, err := s.external(key)
	if err != nil {
		return nil, err
	}
	fail := func(kind ExternalErrorKind, why string, err error) error {
		attrs := []any{"provider", key, "reason", why}
		if err != nil {
			attrs = append(attrs, "error", err.Error())
		}
		s.log.WarnContext(ctx, "external sign-in failed", attrs...)
		return &ExternalError{Kind: kind, Provider: e.Label}
	}
	state := q.Get("state")
	if state == "" || len(state) > 200 {
		return nil, fail(ExtExpired, "missing state", nil)
	}
	// Single use: the attempt is deleted whatever happens next.
	var a oauthAttempt
	res := s.db.Gorm.WithContext(ctx).Raw(`DELETE FROM oauth_attempts WHERE state_hash = ? RETURNING *`, sha(state)).Scan(&a)
	if res.Error != nil {
		return nil, res.Error
	}
	switch {
	case res.RowsAffected == 0:
		return nil, fail(ExtExpired, "unknown state", nil)
	case subtle.ConstantTimeCompare(a.BrowserHash, sha(browserID)) != 1:
		return nil, fail(ExtExpired, "state from another browser", nil)
	case a.Provider != key:
		return nil, fail(ExtExpired, "state for another provider", nil)
	case !s.now().Before(a.ExpiresAt):
		return nil, fail(ExtExpired, "attempt expired", nil)
	}
	if perr := q.Get("error"); perr != "" {
		switch perr {
		case "access_denied", "consent_required", "interaction_required", "login_required", "account_selection_required":
			return nil, fail(ExtDeclined, "declined at the provider", errors.New(clip(perr, 60)))
		case "temporarily_unavailable", "server_error":
			return nil, fail(ExtUnavailable, "provider error", errors.New(clip(perr, 60)))
		default: // invalid_request, unauthorized_client, invalid_scope, ...
			return nil, fail(ExtMisconfigured, "provider refused the request", errors.New(clip(perr, 60)))
		}
	}
	code := q.Get("code")
	if code == "" || len(code) > 4096 {
		return nil, fail(ExtRefused, "no code", nil)
	}
	d, err := e.ready(ctx)
	if err != nil {
		return nil, fail(ExtUnavailable, "discovery", err)
	}
	c, err := s.exchange(ctx, e, d, code, &a)
	if err != nil {
		var ee *ExternalError
		if errors.As(err, &ee) {
			return nil, fail(ee.Kind, "code exchange", err)
		}
		return nil, fail(ExtRefused, "code exchange", err)
	}
	switch a.Purpose {
	case PurposeReauth:
		return s.completeReauth(ctx, e, &a, c, current, fail)
	case PurposeLink:
		return s.completeLink(ctx, e, &a, c, current, fail)
	}
	return s.completeSignIn(ctx, e, &a, c, browserID, cl, fail)
}

// exchange swaps the code for tokens with Kindred's own redirect address
// and the attempt's PKCE verifier, then verifies the id_token and nonce.
func (s *Service) exchange(ctx context.Context, e *External, d *discovered, code string, a *oauthAttempt) (*claims, error) {
	cfg := e.oauth
	cfg.Endpoint = d.endpoint
	hctx := context.WithValue(ctx, oauth2.HTTPClient, e.client)
	var opts []oauth2.AuthCodeOption
	if a.CodeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(a.CodeVerifier))
	}
	tok, err := cfg.Exchange(hctx, code, opts...)
	if err != nil {
		var re *oauth2.RetrieveError
		switch {
		case errors.As(err, &re) && (re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client" || re.Response != nil && re.Response.StatusCode == 401):
			return nil, &ExternalError{Kind: ExtMisconfigured}
		case errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 500:
			return nil, &ExternalError{Kind: ExtUnavailable}
		case errors.As(err, &re):
			return nil, fmt.Errorf("token endpoint: %s", clip(re.ErrorCode, 60))
		case unreachable(err):
			return nil, &ExternalError{Kind: ExtUnavailable}
		}
		return nil, err
	}
	if e.kind == kindGitHub {
		gu, err := d.github.FetchUser(&github.Session{AccessToken: tok.AccessToken})
		if err != nil {
			if unreachable(err) {
				return nil, &ExternalError{Kind: ExtUnavailable}
			}
			return nil, err
		}
		if gu.UserID == "" {
			return nil, errors.New("no GitHub user id")
		}
		return &claims{Subject: gu.UserID, Email: gu.Email, AuthTime: s.now()}, nil
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("no id_token")
	}
	// Signature, issuer, audience and expiry first; then the nonce.
	idt, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("id_token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(a.Nonce)) != 1 {
		return nil, errors.New("id_token nonce does not match the attempt")
	}
	var cl map[string]any
	if err := idt.Claims(&cl); err != nil {
		return nil, err
	}
	c := &claims{Subject: idt.Subject, IDToken: raw}
	c.Email, _ = cl["email"].(string)
	c.EmailVerified = claimBool(cl["email_verified"])
	c.Sid, _ = cl["sid"].(string)
	c.ACR, _ = cl["acr"].(string)
	if at, ok := cl["auth_time"].(float64); ok {
		c.AuthTime = time.Unix(int64(at), 0)
	}
	c.Groups = claimStrings(cl[e.policy.GroupsClaim])
	if c.Subject == "" || len(c.Subject) > 255 {
		return nil, errors.New("no usable subject")
	}
	return c, nil
}

// claimBool reads a boolean claim some providers send as a string.
func claimBool(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	}
	return false
}

// claimStrings reads a list claim: an array of strings, or one string.
func claimStrings(v any) []string {
	switch g := v.(type) {
	case string:
		return []string{g}
	case []any:
		out := make([]string, 0, len(g))
		for _, x := range g {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// completeSignIn signs in an existing identity, or keeps a new one pending
// until its owner chooses a handle.
func (s *Service) completeSignIn(ctx context.Context, e *External, a *oauthAttempt, c *claims, browserID string, cl Client, fail func(ExternalErrorKind, string, error) error) (*ExternalResult, error) {
	if why := e.refuses(c); why != "" {
		return nil, fail(ExtNotAllowed, why, nil)
	}
	var ident models.Identity
	err := s.db.Gorm.WithContext(ctx).Where("provider = ? AND issuer = ? AND subject = ?", e.Key, e.Issuer, c.Subject).First(&ident).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		pending := newSecret()
		row := &oauthPending{TokenHash: sha(pending), BrowserHash: sha(browserID), Provider: e.Key, Issuer: e.Issuer, Subject: c.Subject,
			Email: clip(c.Email, EmailMax), Role: e.roleFor(c.Groups), SSOOnly: e.policy.SSOOnly, ProviderSid: clip(c.Sid, 255),
			IDTokenHint: c.IDToken, NextPath: a.NextPath, ExpiresAt: s.now().Add(oauthPendingTTL)}
		if err := s.db.Gorm.WithContext(ctx).Create(row).Error; err != nil {
			return nil, err
		}
		return &ExternalResult{PendingToken: pending, Email: c.Email, Purpose: PurposeSignIn, Next: a.NextPath, Provider: e.Label}, nil
	}
	if err != nil {
		return nil, err
	}
	var u *models.User
	var token string
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var err error
		if u, err = s.store.userByID(ctx, tx.DB, ident.UserID); err != nil {
			return err
		}
		if !u.CanSignIn(s.now()) {
			return ErrAccountSuspended
		}
		if err := s.syncRole(ctx, tx, e, u, c.Groups); err != nil {
			return err
		}
		if err := tx.Model(&ident).Update("last_used_at", s.now()).Error; err != nil {
			return err
		}
		token, err = s.startSessionWith(ctx, tx.DB, u, cl, sessionOrigin{identityID: ident.ID, sid: c.Sid, idToken: c.IDToken})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &u.ID, Action: "sso.sign_in", TargetKind: "user", TargetID: &u.ID, ToState: e.Key, IP: clip(cl.IP, 64)})
	})
	if errors.Is(err, ErrAccountSuspended) {
		appeal, aerr := s.appealTicket(ctx, u)
		if aerr != nil {
			return nil, aerr
		}
		return &ExternalResult{User: u, AppealToken: appeal, Provider: e.Label}, ErrAccountSuspended
	}
	if err != nil {
		return nil, err
	}
	return &ExternalResult{User: u, SessionToken: token, Purpose: PurposeSignIn, Next: a.NextPath, Provider: e.Label}, nil
}

// completeReauth marks the browser's session as freshly proven, when the
// provider really asked the same person to sign in just now.
func (s *Service) completeReauth(ctx context.Context, e *External, a *oauthAttempt, c *claims, current *models.Session, fail func(ExternalErrorKind, string, error) error) (*ExternalResult, error) {
	if current == nil || a.UserID == nil || current.UserID != *a.UserID {
		return nil, fail(ExtExpired, "reauth without the session that asked for it", nil)
	}
	var ident models.Identity
	err := s.db.Gorm.WithContext(ctx).Where("provider = ? AND issuer = ? AND subject = ? AND user_id = ?", e.Key, e.Issuer, c.Subject, current.UserID).First(&ident).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fail(ExtOtherPerson, "reauth as another person", nil)
	}
	if err != nil {
		return nil, err
	}
	if e.kind == kindOIDC && c.AuthTime.Before(a.CreatedAt.Add(-time.Minute)) {
		return nil, fail(ExtNotFresh, "auth_time before the attempt", nil)
	}
	if len(e.policy.ReauthACR) > 0 && !contains(e.policy.ReauthACR, c.ACR) {
		return nil, fail(ExtNoMFA, "acr not among the required values", nil)
	}
	err = s.db.Gorm.WithContext(ctx).Exec(`UPDATE sessions SET authenticated_at = ?, identity_id = ?, provider_sid = ?, id_token_hint = ? WHERE id = ?`,
		s.now().UTC(), ident.ID, clip(c.Sid, 255), c.IDToken, current.ID).Error
	if err != nil {
		return nil, err
	}
	return &ExternalResult{Purpose: PurposeReauth, Next: a.NextPath, Provider: e.Label}, nil
}

// completeLink adds the provider's identity to the signed-in account.
func (s *Service) completeLink(ctx context.Context, e *External, a *oauthAttempt, c *claims, current *models.Session, fail func(ExternalErrorKind, string, error) error) (*ExternalResult, error) {
	if current == nil || a.UserID == nil || current.UserID != *a.UserID {
		return nil, fail(ExtExpired, "link without the session that asked for it", nil)
	}
	if why := e.refuses(c); why != "" {
		return nil, fail(ExtNotAllowed, why, nil)
	}
	uid := current.UserID
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		var owner int64
		if err := tx.Raw(`SELECT user_id FROM identities WHERE provider = ? AND issuer = ? AND subject = ?`, e.Key, e.Issuer, c.Subject).Scan(&owner).Error; err != nil {
			return err
		}
		switch {
		case owner == uid:
			return nil
		case owner != 0:
			return &ExternalError{Kind: ExtInUse, Provider: e.Label}
		}
		now := s.now()
		ident := &models.Identity{UserID: uid, Provider: e.Key, Issuer: e.Issuer, Subject: c.Subject, CreatedAt: now, LastUsedAt: now}
		if err := tx.Create(ident).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &ExternalError{Kind: ExtInUse, Provider: e.Label}
			}
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &uid, Action: "sso.link", TargetKind: "user", TargetID: &uid, ToState: e.Key})
	})
	var ee *ExternalError
	if errors.As(err, &ee) {
		return nil, fail(ee.Kind, "link", nil)
	}
	if err != nil {
		return nil, err
	}
	return &ExternalResult{Purpose: PurposeLink, Next: a.NextPath, Provider: e.Label}, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// PendingExternal reports whether a pending identity is still waiting.
func (s *Service) PendingExternal(ctx context.Context, pending, browserID string) (string, error) {
	var row oauthPending
	err := s.db.Gorm.WithContext(ctx).Where("token_hash = ? AND browser_hash = ? AND expires_at > ?", sha(pending), sha(browserID), s.now()).First(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", &ExternalError{Kind: ExtExpired, Provider: row.Provider}
	}
	if err != nil {
		return "", err
	}
	return row.Provider, nil
}

// FinishExternal creates the account for a new external identity with the
// chosen handle. No e-mail address is taken over from the provider: accounts
// are never joined or filled by e-mail alone. It returns where to go next.
func (s *Service) FinishExternal(ctx context.Context, pending, browserID, handle string, consented bool, cl Client) (*models.User, string, string, error) {
	v := models.NewValidationError()
	handle = strings.TrimSpace(handle)
	validateHandle(v, "handle", handle)
	if !consented {
		v.Add("agree", "Tick both boxes: agree to the terms and privacy notice, and consent to Kindred processing your health information.")
	}
	if err := v.OrNil(); err != nil {
		return nil, "", "", err
	}
	if err := s.checkUnique(ctx, handle, "", -1); err != nil {
		return nil, "", "", err
	}
	var u *models.User
	var token, next string
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		var row oauthPending
		res := tx.Raw(`DELETE FROM oauth_pending WHERE token_hash = ? AND browser_hash = ? AND expires_at > ? RETURNING *`, sha(pending), sha(browserID), s.now()).Scan(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return &ExternalError{Kind: ExtExpired}
		}
		next = row.NextPath
		u = &models.User{Handle: handle, Role: row.Role, Status: models.StatusActive, SSOOnly: row.SSOOnly}
		if err := s.store.createUser(ctx, tx.DB, u); err != nil {
			return err
		}
		now := s.now()
		ident := &models.Identity{UserID: u.ID, Provider: row.Provider, Issuer: row.Issuer, Subject: row.Subject, CreatedAt: now, LastUsedAt: now}
		if err := tx.Create(ident).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &ExternalError{Kind: ExtExpired}
			}
			return err
		}
		if s.onSignUp != nil {
			if err := s.onSignUp(ctx, tx.DB, u.ID); err != nil {
				return err
			}
		}
		var err error
		token, err = s.startSessionWith(ctx, tx.DB, u, cl, sessionOrigin{identityID: ident.ID, sid: row.ProviderSid, idToken: row.IDTokenHint})
		if err != nil {
			return err
		}
		ev := models.AuditEvent{ActorID: &u.ID, Action: "sso.account_created", TargetKind: "user", TargetID: &u.ID, ToState: row.Provider, IP: clip(cl.IP, 64)}
		if row.Role != models.RoleMember {
			ev.Reason = "role " + string(row.Role) + " from the provider's groups"
		}
		return audit.Record(ctx, tx.DB, ev)
	})
	if errors.Is(err, models.ErrConflict) {
		return nil, "", "", s.raceConflict(ctx, handle, "", -1)
	}
	return u, token, next, err
}

// Prune deletes expired sessions, links, attempts and (through the
// limiter, which owns them) old rate-limit windows.
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
	} {
		if err := db.Exec(q.sql, q.args...).Error; err != nil {
			return fmt.Errorf("auth: prune: %w", err)
		}
	}
	if _, err := s.limiter.Prune(ctx, now.Add(-48*time.Hour)); err != nil {
		return fmt.Errorf("auth: prune: %w", err)
	}
	return nil
}
