package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/markbates/goth/providers/github"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"
	"golang.org/x/sync/singleflight"

	"github.com/kindred-health/kindred/app/config"
	"github.com/kindred-health/kindred/models"
)

// How long a sign-in at a provider, and the handle step after it, may take;
// how often a provider's discovery document is fetched again; and how long
// a click waits for a provider that is slow to answer.
const (
	oauthAttemptTTL   = 10 * time.Minute
	oauthPendingTTL   = 30 * time.Minute
	discoveryRefresh  = time.Hour
	discoveryWaitMax  = 5 * time.Second
	providerHTTPLimit = 10 * time.Second
)

// Provider kinds.
const (
	kindOIDC   = "oidc"   // discovery, id_token, nonce, PKCE
	kindGitHub = "github" // OAuth 2 with PKCE; the account comes from GitHub's API
)

// External is one sign-in provider. golang.org/x/oauth2 runs the code flow
// with PKCE (its own S256 helpers) and go-oidc verifies id_tokens and
// logout tokens; goth reads GitHub's account API. Nothing read from the
// provider's redirect back reaches the token request except the code.
type External struct {
	Key    string // URL segment and the identities' provider column
	Label  string
	Issuer string // whose identities these are
	kind   string
	policy config.OIDC // for OIDC providers; the zero value otherwise

	oauth  oauth2.Config // Endpoint filled by discovery for OIDC
	client *http.Client
	// checkAtStart: a wrong issuer stops start-up (Google's and GitHub's
	// fixed addresses are not fetched at start).
	checkAtStart bool
	discover     func(ctx context.Context) (*discovered, error)

	mu      sync.RWMutex // guards disc and fetched; never held during a fetch
	disc    *discovered
	fetched time.Time
	flight  singleflight.Group
}

// discovered is what a provider's discovery document gave.
type discovered struct {
	endpoint     oauth2.Endpoint
	verifier     *oidc.IDTokenVerifier // nil for GitHub
	logoutVerify *oidc.IDTokenVerifier // logout tokens: exp checked by hand
	endSession   string
	backChannel  bool
	pkceS256     bool
	github       *github.Provider
}

// OIDCConfigError is a provider whose settings are wrong (not merely
// unreachable): start-up stops with it.
type OIDCConfigError struct {
	Key, Issuer string
	Err         error
}

func (e *OIDCConfigError) Error() string {
	// One line: a provider's error page may come back with newlines.
	why := strings.Join(strings.Fields(clip(e.Err.Error(), 300)), " ")
	return fmt.Sprintf("sign-in provider %q: discovery at issuer %s failed (%s); check its ISSUER setting: it must be the issuer exactly as the provider's /.well-known/openid-configuration states it", e.Key, e.Issuer, why)
}

func (e *OIDCConfigError) Unwrap() error { return e.Err }

// NewOIDC is an OpenID Connect provider found by discovery.
func NewOIDC(p config.OIDC, callbackURL string, client *http.Client) *External {
	client = e0(client)
	e := &External{Key: p.Key, Label: p.DisplayName, Issuer: p.Issuer, kind: kindOIDC, policy: p, client: client, checkAtStart: true,
		oauth: oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: callbackURL, Scopes: p.Scopes}}
	e.discover = func(context.Context) (*discovered, error) {
		// go-oidc keeps this context to fetch signing keys later, so it must
		// outlive any one request; the client's timeout bounds each fetch.
		keyCtx := oidc.ClientContext(context.Background(), client)
		op, err := oidc.NewProvider(keyCtx, p.Issuer)
		if err != nil {
			return nil, err
		}
		var meta struct {
			EndSession  string   `json:"end_session_endpoint"`
			BackChannel bool     `json:"backchannel_logout_supported"`
			PKCE        []string `json:"code_challenge_methods_supported"`
		}
		if err := op.Claims(&meta); err != nil {
			return nil, err
		}
		d := &discovered{endpoint: op.Endpoint(), endSession: meta.EndSession, backChannel: meta.BackChannel,
			verifier:     op.Verifier(&oidc.Config{ClientID: p.ClientID}),
			logoutVerify: op.Verifier(&oidc.Config{ClientID: p.ClientID, SkipExpiryCheck: true})}
		// Providers that list no methods may still do PKCE; one that lists
		// methods without S256 gets none rather than a refused sign-in.
		d.pkceS256 = len(meta.PKCE) == 0
		for _, m := range meta.PKCE {
			d.pkceS256 = d.pkceS256 || m == "S256"
		}
		return d, nil
	}
	return e
}

// NewGoogle signs in with Google, an OpenID Connect provider at fixed
// addresses: nothing is fetched until a sign-in needs Google's keys.
func NewGoogle(clientID, secret, callbackURL string, client *http.Client) *External {
	e := NewOIDC(config.OIDC{Key: "google", Issuer: "https://accounts.google.com", ClientID: clientID, ClientSecret: secret,
		DisplayName: "Google", Scopes: []string{"openid", "email"}}, callbackURL, e0(client))
	e.checkAtStart = false
	e.discover = func(context.Context) (*discovered, error) {
		keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), e.client), "https://www.googleapis.com/oauth2/v3/certs")
		cfg := &oidc.Config{ClientID: clientID}
		return &discovered{endpoint: endpoints.Google, pkceS256: true,
			verifier:     oidc.NewVerifier("https://accounts.google.com", keys, cfg),
			logoutVerify: oidc.NewVerifier("https://accounts.google.com", keys, &oidc.Config{ClientID: clientID, SkipExpiryCheck: true})}, nil
	}
	return e
}

// e0 is the HTTP client providers use when none is given.
func e0(client *http.Client) *http.Client {
	if client == nil {
		return &http.Client{Timeout: providerHTTPLimit}
	}
	return client
}

// NewGitHub signs in with GitHub, which speaks OAuth 2 (with PKCE) but
// issues no id_token; the account comes from GitHub's API over TLS.
func NewGitHub(clientID, secret, callbackURL string, client *http.Client) *External {
	client = e0(client)
	e := &External{Key: "github", Label: "GitHub", Issuer: "https://github.com", kind: kindGitHub, client: client,
		oauth: oauth2.Config{ClientID: clientID, ClientSecret: secret, RedirectURL: callbackURL, Scopes: []string{"read:user"}}}
	e.discover = func(context.Context) (*discovered, error) {
		gp := github.New(clientID, secret, callbackURL, "read:user")
		gp.HTTPClient = client
		return &discovered{endpoint: endpoints.GitHub, pkceS256: true, github: gp}, nil
	}
	return e
}

// ready returns the provider's discovered settings. Discovery runs once for
// all the clicks that need it (singleflight), each click waiting at most
// discoveryWaitMax; a stale document is refreshed in the background while
// sign-ins go on with the one in hand.
func (e *External) ready(ctx context.Context) (*discovered, error) {
	e.mu.RLock()
	d, fetched := e.disc, e.fetched
	e.mu.RUnlock()
	if d != nil {
		if time.Since(fetched) > discoveryRefresh {
			go func() { _, _ = e.fetch() }()
		}
		return d, nil
	}
	ch := e.flight.DoChan("discover", func() (any, error) { return e.fetch() })
	wait, cancel := context.WithTimeout(ctx, discoveryWaitMax)
	defer cancel()
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*discovered), nil
	case <-wait.Done():
		return nil, fmt.Errorf("auth: provider %s: discovery: %w", e.Key, wait.Err())
	}
}

// fetch reads the discovery document; a failed refresh keeps the old one.
func (e *External) fetch() (*discovered, error) {
	v, err, _ := e.flight.Do("fetch", func() (any, error) {
		ctx, cancel := context.WithTimeout(context.Background(), providerHTTPLimit)
		defer cancel()
		d, err := e.discover(ctx)
		if err != nil {
			return nil, err
		}
		e.mu.Lock()
		e.disc, e.fetched = d, time.Now()
		e.mu.Unlock()
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*discovered), nil
}

// unreachable tells a provider that did not answer from one that answered
// wrongly: only the second is a configuration mistake.
func unreachable(err error) bool {
	// A host name that does not exist is a typing mistake, not an outage.
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	// go-oidc reports an answer it could not use as "<status>: <body>".
	msg := err.Error()
	for _, s := range []string{": 500 ", ": 502 ", ": 503 ", ": 504 ", "connection refused", "EOF"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// CheckProviders fetches every OpenID Connect provider's discovery document
// once at start. A provider that answers with the wrong issuer, no document
// or a broken one is a configuration mistake and stops start-up; one that
// does not answer is logged and tried again at the first sign-in, so an
// outage at the provider does not keep the community down.
func (s *Service) CheckProviders(ctx context.Context) error {
	for _, e := range s.Externals() {
		if !e.checkAtStart {
			continue
		}
		if _, err := e.fetch(); err != nil {
			if unreachable(err) {
				s.log.WarnContext(ctx, "sign-in provider not answering at start; will try again at the first sign-in", "provider", e.Key, "error", err.Error())
				continue
			}
			return &OIDCConfigError{Key: e.Key, Issuer: e.Issuer, Err: err}
		}
	}
	return nil
}

// AddExternal switches a provider on.
func (s *Service) AddExternal(e *External) {
	s.externals[e.Key] = e
	s.externalOrder = append(s.externalOrder, e.Key)
}

// Externals lists the providers that are switched on, in the order added.
func (s *Service) Externals() []*External {
	out := make([]*External, 0, len(s.externalOrder))
	for _, k := range s.externalOrder {
		out = append(out, s.externals[k])
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

// BindLegacyIdentities gives identities saved before issuers were kept
// (migration 00024) the issuer of the provider configured under their key
// now, once; an identity with no issuer never signs in.
func (s *Service) BindLegacyIdentities(ctx context.Context) error {
	for _, e := range s.Externals() {
		res := s.db.Gorm.WithContext(ctx).Exec(`UPDATE identities SET issuer = ? WHERE provider = ? AND issuer = ''`, e.Issuer, e.Key)
		if res.Error != nil {
			return fmt.Errorf("auth: bind identities of %s to %s: %w", e.Key, e.Issuer, res.Error)
		}
		if res.RowsAffected > 0 {
			s.log.InfoContext(ctx, "identities saved before issuers were kept are now bound to the configured issuer",
				"provider", e.Key, "issuer", e.Issuer, "identities", res.RowsAffected)
		}
	}
	return nil
}

// FormActionSources lists the origins of the providers' sign-in and logout
// pages, for the pages' Content-Security-Policy form-action: a form that
// links a provider, re-authenticates or signs out is redirected there.
func (s *Service) FormActionSources() string {
	seen := map[string]bool{}
	var out []string
	add := func(raw string) {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return
		}
		o := u.Scheme + "://" + u.Host
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	for _, e := range s.Externals() {
		add(e.Issuer)
		e.mu.RLock()
		d := e.disc
		e.mu.RUnlock()
		if d != nil {
			add(d.endpoint.AuthURL)
			add(d.endSession)
		}
	}
	return strings.Join(out, " ")
}
