package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// OpenIDProvider is a real OpenID Connect provider (zitadel/oidc's op
// package) for tests. It listens on loopback over plain http, keeps
// everything in memory, and adds what op leaves to its user: a login page,
// a browser session, and the sending of back-channel logout tokens.
//
// Its paths: /.well-known/openid-configuration, /authorize, /oauth/token,
// /userinfo, /keys, /end_session (op's), and /login, /login/cancel,
// /logged-out (this file's).
type OpenIDProvider struct {
	Issuer string // e.g. "http://127.0.0.1:PORT" (no trailing slash)

	op     *op.Provider
	store  *opStorage
	srv    *http.Server
	closed chan struct{} // closed by Close: hung requests give up
	served chan struct{} // closed when Serve has returned
	once   sync.Once

	mu         sync.Mutex
	hang       chan struct{} // non-nil while Hang(true); closed by Hang(false)
	authorize  []url.Values
	token      []url.Values
	endSession []url.Values
}

// OpenIDClient is a relying party registered at the provider.
type OpenIDClient struct {
	ID, Secret             string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	BackChannelLogoutURI   string // where BackChannelLogout POSTs
}

// OpenIDUser is a person who can sign in at the provider's login page.
type OpenIDUser struct {
	Username, Password string
	Subject            string // the "sub" claim
	Email              string
	EmailVerified      bool
	Groups             []string // the "groups" claim (a JSON array of strings) in the id_token and userinfo
}

const (
	opLoginPath     = "/login"
	opCancelPath    = "/login/cancel"
	opLoggedOutPath = "/logged-out"

	// LogoutEvent is the events member a back-channel logout token carries.
	LogoutEvent = "http://schemas.openid.net/event/backchannel-logout"
)

// NewOpenIDProvider starts a provider on a free loopback port for the
// test's lifetime. It knows no clients and no users until AddClient and
// AddUser.
func NewOpenIDProvider(t testing.TB) *OpenIDProvider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	store := &opStorage{
		key:   key,
		keyID: randomHex(8),
		// Browsers share cookies between ports of one host, so the name
		// carries the port: the app under test and a second provider on
		// 127.0.0.1 must not see or overwrite this one.
		cookieName: "testop_session_" + port,
		clients:    map[string]*opClient{},
		users:      map[string]OpenIDUser{},
		requests:   map[string]*opAuthRequest{},
		codes:      map[string]string{},
		tokens:     map[string]opAccessToken{},
		sessions:   map[string]*opSession{},
		latestSID:  map[string]string{},
	}
	var cryptoKey [32]byte
	_, _ = rand.Read(cryptoKey[:])
	config := &op.Config{
		CryptoKey:                         cryptoKey,
		DefaultLogoutRedirectURI:          issuer + opLoggedOutPath,
		CodeMethodS256:                    true,
		AuthMethodPost:                    true,
		SupportedScopes:                   []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail},
		SupportedClaims:                   append(slices.Clone(op.DefaultSupportedClaims), "groups", "sid"),
		BackChannelLogoutSupported:        true,
		BackChannelLogoutSessionSupported: true,
	}
	provider, err := op.NewProvider(config, store, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		ln.Close()
		t.Fatalf("testenv: OpenID provider: %v", err)
	}
	p := &OpenIDProvider{Issuer: issuer, op: provider, store: store, closed: make(chan struct{}), served: make(chan struct{})}
	store.loginURL = func(id string) string { return issuer + opLoginPath + "?authRequestID=" + url.QueryEscape(id) }

	mux := http.NewServeMux()
	mux.HandleFunc("GET "+opLoginPath, p.loginPage)
	mux.HandleFunc("POST "+opLoginPath, p.loginSubmit)
	mux.HandleFunc(opCancelPath, p.loginCancel)
	mux.HandleFunc("GET "+opLoggedOutPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><p id="signed-out">You are signed out of the test provider.</p></body></html>`)
	})
	mux.Handle("/", provider)
	p.srv = &http.Server{Handler: p.intercept(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(p.served)
		_ = p.srv.Serve(ln)
	}()
	t.Cleanup(p.Close)
	return p
}

// AddClient registers a confidential web client: authorization code flow,
// client_secret_basic and client_secret_post both accepted, no refresh
// tokens. Only the listed redirect URIs are accepted, exactly.
func (p *OpenIDProvider) AddClient(c OpenIDClient) {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.clients[c.ID] = &opClient{c: c, loginURL: p.store.loginURL}
}

// AddUser adds a person who can sign in at the provider's login page.
func (p *OpenIDProvider) AddUser(u OpenIDUser) {
	u.Groups = slices.Clone(u.Groups)
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.users[u.Username] = u
}

// AuthorizeRequests are the requests to the authorization endpoint, newest
// last: each one's query (and form body, if it was a POST).
func (p *OpenIDProvider) AuthorizeRequests() []url.Values { return p.recorded(&p.authorize) }

// TokenRequests are the requests to the token endpoint, newest last: each
// one's form body and query, secrets included (client_secret when sent as
// client_secret_post, code, code_verifier). A client_secret_basic
// Authorization header is not among them.
func (p *OpenIDProvider) TokenRequests() []url.Values { return p.recorded(&p.token) }

// EndSessionRequests are the requests to the end_session endpoint, newest
// last: each one's query (and form body, if it was a POST).
func (p *OpenIDProvider) EndSessionRequests() []url.Values { return p.recorded(&p.endSession) }

// SessionIDs maps each subject to the sid of its latest sign-in at the
// provider: the "sid" of id_tokens issued in that session, and what
// BackChannelLogout takes.
func (p *OpenIDProvider) SessionIDs() map[string]string {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	out := make(map[string]string, len(p.store.latestSID))
	for k, v := range p.store.latestSID {
		out[k] = v
	}
	return out
}

// Hang makes every request to the provider wait, while on, until Hang(false),
// Close or the end of the test (a provider that accepts connections and never
// answers). Requests already waiting go on when it is switched off.
func (p *OpenIDProvider) Hang(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case on && p.hang == nil:
		p.hang = make(chan struct{})
	case !on && p.hang != nil:
		close(p.hang)
		p.hang = nil
	}
}

// Close stops the provider and waits for its requests to end; it is also
// done when the test ends.
func (p *OpenIDProvider) Close() {
	p.once.Do(func() {
		close(p.closed)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.srv.Shutdown(ctx); err != nil {
			_ = p.srv.Close()
		}
		<-p.served
	})
}

// BackChannelLogout ends the provider's sessions named by sid (or, with sid
// "", every session of subject), as an OP does before it tells the clients,
// then POSTs a logout token (OpenID Connect Back-Channel Logout 1.0) to the
// client's BackChannelLogoutURI. The token is signed with the key published
// at the jwks_uri. It returns an error unless the client answers 2xx.
func (p *OpenIDProvider) BackChannelLogout(clientID, subject, sid string) error {
	if subject == "" && sid == "" {
		return errors.New("testenv: BackChannelLogout needs a subject or a sid")
	}
	p.store.mu.Lock()
	c, ok := p.store.clients[clientID]
	if ok {
		p.store.endSessions(subject, sid)
	}
	p.store.mu.Unlock()
	if !ok {
		return fmt.Errorf("testenv: BackChannelLogout: unknown client %q", clientID)
	}
	if c.c.BackChannelLogoutURI == "" {
		return fmt.Errorf("testenv: BackChannelLogout: client %q has no BackChannelLogoutURI", clientID)
	}
	token, err := p.logoutToken(clientID, subject, sid)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.PostForm(c.c.BackChannelLogoutURI, url.Values{"logout_token": {token}})
	if err != nil {
		return fmt.Errorf("testenv: BackChannelLogout: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("testenv: BackChannelLogout: %s answered %s: %s", c.c.BackChannelLogoutURI, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func (p *OpenIDProvider) logoutToken(clientID, subject, sid string) (string, error) {
	now := time.Now()
	claims := map[string]any{
		"iss":    p.Issuer,
		"aud":    clientID,
		"iat":    now.Unix(),
		"exp":    now.Add(2 * time.Minute).Unix(),
		"jti":    randomHex(16),
		"events": map[string]any{LogoutEvent: map[string]any{}},
	}
	if subject != "" {
		claims["sub"] = subject
	}
	if sid != "" {
		claims["sid"] = sid
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	// The spec's explicit type keeps a logout token from passing as an
	// id_token at a client that checks it.
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: &jose.JSONWebKey{Key: p.store.key, KeyID: p.store.keyID}},
		(&jose.SignerOptions{}).WithType("logout+jwt"))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

func (p *OpenIDProvider) recorded(list *[]url.Values) []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]url.Values, len(*list))
	for i, v := range *list {
		out[i] = cloneValues(v)
	}
	return out
}

type endSessionKey struct{}

// endSessionContext carries to TerminateSessionFromRequest what op does not
// pass it: the browser's session cookie, and the writer to expire it on.
type endSessionContext struct {
	w      http.ResponseWriter
	cookie string
}

// intercept records requests, holds them while hung, and gives the
// end_session handler the browser's cookie.
func (p *OpenIDProvider) intercept(next http.Handler) http.Handler {
	authorizePath := p.op.AuthorizationEndpoint().Relative()
	tokenPath := p.op.TokenEndpoint().Relative()
	endSessionPath := p.op.EndSessionEndpoint().Relative()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Recorded on arrival, so a test sees what was sent even when the
		// provider is hung and the client gives up.
		switch r.URL.Path {
		case authorizePath:
			p.record(&p.authorize, r)
		case tokenPath:
			p.record(&p.token, r)
		case endSessionPath:
			p.record(&p.endSession, r)
		}
		if !p.waitWhileHung(r.Context()) {
			http.Error(w, "provider closed", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path == endSessionPath {
			es := &endSessionContext{w: w}
			if c, err := r.Cookie(p.store.cookieName); err == nil {
				es.cookie = c.Value
			}
			r = r.WithContext(context.WithValue(r.Context(), endSessionKey{}, es))
		}
		next.ServeHTTP(w, r)
	})
}

func (p *OpenIDProvider) waitWhileHung(ctx context.Context) bool {
	p.mu.Lock()
	hang := p.hang
	p.mu.Unlock()
	if hang == nil {
		return true
	}
	select {
	case <-hang:
		return true
	case <-p.closed:
		return false
	case <-ctx.Done():
		return false
	}
}

func (p *OpenIDProvider) record(list *[]url.Values, r *http.Request) {
	v := r.URL.Query()
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method == http.MethodPost && mt == "application/x-www-form-urlencoded" {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		if form, perr := url.ParseQuery(string(body)); err == nil && perr == nil {
			for k, vs := range form {
				v[k] = append(v[k], vs...)
			}
		}
	}
	p.mu.Lock()
	*list = append(*list, v)
	p.mu.Unlock()
}

var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - test provider</title></head>
<body>
<h1>Sign in</h1>
<p>to continue to {{.ClientID}}</p>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<p><label for="username">Username</label> <input id="username" name="username" autocomplete="username" value="{{.Username}}"></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password"></p>
<p><button type="submit" id="submit">Sign in</button> <a id="cancel" href="/login/cancel?authRequestID={{.ID}}">Cancel</a></p>
</form>
</body>
</html>
`))

func (p *OpenIDProvider) showLogin(w http.ResponseWriter, ar *opAuthRequest, username, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = loginTemplate.Execute(w, map[string]string{"ID": ar.id, "ClientID": ar.clientID, "Username": username, "Error": message})
}

// loginPage is where op sends the browser for each authorization request.
// A browser with a live session goes straight back, unless the request
// asks for a fresh sign-in (prompt=login, max_age).
func (p *OpenIDProvider) loginPage(w http.ResponseWriter, r *http.Request) {
	ar, ok := p.store.pendingAuthRequest(r.URL.Query().Get("authRequestID"))
	if !ok {
		http.Error(w, "unknown or finished sign-in request", http.StatusBadRequest)
		return
	}
	if sess := p.browserSession(r); sess != nil && !ar.needsLogin(sess, time.Now()) {
		p.finish(w, r, ar, *sess)
		return
	}
	if slices.Contains(ar.prompt, oidc.PromptNone) {
		p.store.deleteAuthRequest(ar.id)
		op.AuthRequestError(w, r, ar, oidc.ErrLoginRequired(), p.op)
		return
	}
	p.showLogin(w, ar, "", "")
}

func (p *OpenIDProvider) loginSubmit(w http.ResponseWriter, r *http.Request) {
	ar, ok := p.store.pendingAuthRequest(r.PostFormValue("authRequestID"))
	if !ok {
		http.Error(w, "unknown or finished sign-in request", http.StatusBadRequest)
		return
	}
	username := r.PostFormValue("username")
	user, ok := p.store.checkPassword(username, r.PostFormValue("password"))
	if !ok {
		p.showLogin(w, ar, username, "Wrong username or password")
		return
	}
	cookie, sess := p.store.newSession(user.Subject, time.Now())
	http.SetCookie(w, &http.Cookie{Name: p.store.cookieName, Value: cookie, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	p.finish(w, r, ar, sess)
}

// finish marks the request signed in and hands it back to op, which
// redirects to the client with the code.
func (p *OpenIDProvider) finish(w http.ResponseWriter, r *http.Request, ar *opAuthRequest, sess opSession) {
	if !p.store.completeAuthRequest(ar.id, sess) {
		http.Error(w, "unknown or finished sign-in request", http.StatusBadRequest)
		return
	}
	callback := p.op.AuthorizationEndpoint().Absolute(p.Issuer) + "/callback?id=" + url.QueryEscape(ar.id)
	http.Redirect(w, r, callback, http.StatusSeeOther)
}

// loginCancel is the person declining: the client hears access_denied.
func (p *OpenIDProvider) loginCancel(w http.ResponseWriter, r *http.Request) {
	ar, ok := p.store.pendingAuthRequest(r.FormValue("authRequestID"))
	if !ok {
		http.Error(w, "unknown or finished sign-in request", http.StatusBadRequest)
		return
	}
	p.store.deleteAuthRequest(ar.id)
	op.AuthRequestError(w, r, ar, oidc.ErrAccessDenied().WithDescription("The user declined to sign in."), p.op)
}

func (p *OpenIDProvider) browserSession(r *http.Request) *opSession {
	c, err := r.Cookie(p.store.cookieName)
	if err != nil {
		return nil
	}
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	if s, ok := p.store.sessions[c.Value]; ok {
		sess := *s
		return &sess
	}
	return nil
}

// opStorage is op.Storage in memory.
type opStorage struct {
	key        *rsa.PrivateKey
	keyID      string
	cookieName string
	loginURL   func(authRequestID string) string

	mu        sync.Mutex
	clients   map[string]*opClient
	users     map[string]OpenIDUser     // by username
	requests  map[string]*opAuthRequest // by id
	codes     map[string]string         // code → auth request id
	tokens    map[string]opAccessToken  // by id
	sessions  map[string]*opSession     // by browser cookie value
	latestSID map[string]string         // subject → sid
}

// opSession is a browser signed in at the provider. The cookie value and
// the sid differ, so a client that learns the sid cannot use it as the
// browser's cookie.
type opSession struct {
	sid      string
	subject  string
	authTime time.Time
}

type opAccessToken struct {
	subject  string
	clientID string
	scopes   []string
	expires  time.Time
}

var (
	_ op.Storage                        = (*opStorage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*opStorage)(nil)
	_ op.CanTerminateSessionFromRequest = (*opStorage)(nil)
)

var errOpNotFound = errors.New("testenv: not found")

func (s *opStorage) pendingAuthRequest(id string) (*opAuthRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.requests[id]
	if !ok || ar.done {
		return nil, false
	}
	return ar.snapshot(), true
}

func (s *opStorage) completeAuthRequest(id string, sess opSession) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.requests[id]
	if !ok || ar.done {
		return false
	}
	ar.done, ar.subject, ar.authTime, ar.sid = true, sess.subject, sess.authTime, sess.sid
	return true
}

func (s *opStorage) deleteAuthRequest(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
}

func (s *opStorage) checkPassword(username, password string) (OpenIDUser, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok || subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 {
		return OpenIDUser{}, false
	}
	return u, true
}

// newSession is a fresh sign-in: a new cookie and a new sid, even for a
// browser that had a session.
func (s *opStorage) newSession(subject string, now time.Time) (string, opSession) {
	cookie := randomHex(24)
	sess := opSession{sid: randomHex(16), subject: subject, authTime: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[cookie] = &sess
	s.latestSID[subject] = sess.sid
	return cookie, sess
}

// endSessions ends the sessions with sid, or every session of subject
// when sid is "". The caller holds s.mu.
func (s *opStorage) endSessions(subject, sid string) {
	for cookie, sess := range s.sessions {
		if (sid != "" && sess.sid == sid) || (sid == "" && sess.subject == subject) {
			delete(s.sessions, cookie)
		}
	}
}

func (s *opStorage) userBySubject(subject string) (OpenIDUser, bool) {
	for _, u := range s.users {
		if u.Subject == subject {
			return u, true
		}
	}
	return OpenIDUser{}, false
}

// fillUserinfo follows the scopes as a real provider does: email and
// email_verified only with "email", preferred_username only with "profile".
// groups has no standard scope and is always there.
func (s *opStorage) fillUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	s.mu.Lock()
	u, ok := s.userBySubject(subject)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("testenv: no user with subject %q", subject)
	}
	info.Subject = u.Subject
	if slices.Contains(scopes, oidc.ScopeEmail) && u.Email != "" {
		info.Email = u.Email
		info.EmailVerified = oidc.Bool(u.EmailVerified)
		// op drops a false email_verified (omitempty); the claim must say false.
		info.AppendClaims("email_verified", u.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.PreferredUsername = u.Username
	}
	groups := u.Groups
	if groups == nil {
		groups = []string{}
	}
	info.AppendClaims("groups", groups)
	return nil
}

func (s *opStorage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, hintSubject string) (op.AuthRequest, error) {
	ar := &opAuthRequest{
		id:           randomHex(16),
		created:      time.Now(),
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		state:        req.State,
		nonce:        req.Nonce,
		scopes:       slices.Clone([]string(req.Scopes)),
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
		prompt:       slices.Clone([]string(req.Prompt)),
		maxAge:       req.MaxAge,
		hintSubject:  hintSubject,
	}
	if req.CodeChallenge != "" {
		ar.challenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}
	}
	// The provider "meets" whatever class was asked first.
	if len(req.ACRValues) > 0 {
		ar.acr = req.ACRValues[0]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[ar.id] = ar
	return ar.snapshot(), nil
}

func (s *opStorage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.requests[id]
	if !ok {
		return nil, errOpNotFound
	}
	return ar.snapshot(), nil
}

// Codes live ten minutes, as RFC 6749 recommends at most.
const opCodeLifetime = 10 * time.Minute

func (s *opStorage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.requests[s.codes[code]]
	if !ok || !ar.done || time.Since(ar.created) > opCodeLifetime {
		return nil, errOpNotFound
	}
	return ar.snapshot(), nil
}

func (s *opStorage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.requests[id]; !ok {
		return errOpNotFound
	}
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest is op redeeming the code: it cannot be used twice.
func (s *opStorage) DeleteAuthRequest(_ context.Context, id string) error {
	s.deleteAuthRequest(id)
	return nil
}

func (s *opStorage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	t := opAccessToken{subject: req.GetSubject(), scopes: slices.Clone(req.GetScopes()), expires: time.Now().Add(time.Hour)}
	if ar, ok := req.(*opAuthRequest); ok {
		t.clientID = ar.clientID
	} else if aud := req.GetAudience(); len(aud) > 0 {
		t.clientID = aud[0]
	}
	id := randomHex(16)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[id] = t
	return id, t.expires, nil
}

func (s *opStorage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("testenv: refresh tokens are not issued")
}

func (s *opStorage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

// TerminateSession is not called: TerminateSessionFromRequest replaces it.
func (s *opStorage) TerminateSession(context.Context, string, string) error { return nil }

// TerminateSessionFromRequest ends the browser's session at the provider
// (and the one the id_token_hint names) and expires its cookie.
func (s *opStorage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	es, _ := ctx.Value(endSessionKey{}).(*endSessionContext)
	s.mu.Lock()
	if es != nil && es.cookie != "" {
		delete(s.sessions, es.cookie)
	}
	if req.IDTokenHintClaims != nil && req.IDTokenHintClaims.SessionID != "" {
		s.endSessions("", req.IDTokenHintClaims.SessionID)
	}
	s.mu.Unlock()
	if es != nil {
		http.SetCookie(es.w, &http.Cookie{Name: s.cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	return req.RedirectURI, nil
}

func (s *opStorage) RevokeToken(_ context.Context, tokenOrTokenID, _, _ string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, tokenOrTokenID)
	return nil
}

func (s *opStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

type opSigningKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k opSigningKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k opSigningKey) Key() any                                    { return k.key }
func (k opSigningKey) ID() string                                  { return k.id }

type opPublicKey struct {
	id  string
	key *rsa.PublicKey
}

func (k opPublicKey) ID() string                         { return k.id }
func (k opPublicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k opPublicKey) Use() string                        { return "sig" }
func (k opPublicKey) Key() any                           { return k.key }

func (s *opStorage) SigningKey(context.Context) (op.SigningKey, error) {
	return opSigningKey{id: s.keyID, key: s.key}, nil
}

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *opStorage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{opPublicKey{id: s.keyID, key: &s.key.PublicKey}}, nil
}

func (s *opStorage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok {
		return nil, fmt.Errorf("testenv: unknown client %q", clientID)
	}
	return c, nil
}

func (s *opStorage) AuthorizeClientIDSecret(_ context.Context, clientID, clientSecret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok || c.c.Secret == "" || subtle.ConstantTimeCompare([]byte(c.c.Secret), []byte(clientSecret)) != 1 {
		return errors.New("testenv: wrong client credentials")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in op; it still sets the subject,
// which op copies into the id_token.
func (s *opStorage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, userID, _ string, _ []string) error {
	info.Subject = userID
	return nil
}

// SetUserinfoFromRequest fills the id_token: the user's claims, and the sid
// of the provider session that signed in.
func (s *opStorage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.fillUserinfo(info, req.GetSubject(), scopes); err != nil {
		return err
	}
	if ar, ok := req.(*opAuthRequest); ok && ar.sid != "" {
		info.AppendClaims("sid", ar.sid)
	}
	return nil
}

func (s *opStorage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || t.subject != subject || time.Now().After(t.expires) {
		return errors.New("testenv: access token invalid or expired")
	}
	return s.fillUserinfo(info, subject, t.scopes)
}

func (s *opStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("testenv: introspection is not supported")
}

func (s *opStorage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID refuses: clients authenticate with secrets only,
// so JWT profile grants and private_key_jwt fail.
func (s *opStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("testenv: no client keys")
}

func (s *opStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("testenv: JWT profile grants are not supported")
}

func (s *opStorage) Health(context.Context) error { return nil }

// opAuthRequest is one authorization request, signed in or not yet.
type opAuthRequest struct {
	id           string
	created      time.Time
	clientID     string
	redirectURI  string
	state        string
	nonce        string
	scopes       []string
	responseType oidc.ResponseType
	responseMode oidc.ResponseMode
	challenge    *oidc.CodeChallenge
	prompt       []string
	maxAge       *uint // op sets 0 for prompt=login
	acr          string
	hintSubject  string // sub of the id_token_hint, if one was sent

	done     bool
	subject  string
	authTime time.Time
	sid      string
}

// snapshot is a copy for op to read while the login page may change the
// stored request.
func (a *opAuthRequest) snapshot() *opAuthRequest {
	c := *a
	c.scopes = slices.Clone(a.scopes)
	c.prompt = slices.Clone(a.prompt)
	return &c
}

// needsLogin reports whether sess cannot answer this request without the
// person typing their password again.
func (a *opAuthRequest) needsLogin(sess *opSession, now time.Time) bool {
	if slices.Contains(a.prompt, oidc.PromptLogin) {
		return true
	}
	if a.hintSubject != "" && a.hintSubject != sess.subject {
		return true
	}
	if a.maxAge != nil && (*a.maxAge == 0 || now.Sub(sess.authTime) > time.Duration(*a.maxAge)*time.Second) {
		return true
	}
	return false
}

func (a *opAuthRequest) GetID() string                         { return a.id }
func (a *opAuthRequest) GetACR() string                        { return a.acr }
func (a *opAuthRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *opAuthRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *opAuthRequest) GetClientID() string                   { return a.clientID }
func (a *opAuthRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *opAuthRequest) GetNonce() string                      { return a.nonce }
func (a *opAuthRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *opAuthRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *opAuthRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *opAuthRequest) GetScopes() []string                   { return a.scopes }
func (a *opAuthRequest) GetState() string                      { return a.state }
func (a *opAuthRequest) GetSubject() string                    { return a.subject }
func (a *opAuthRequest) Done() bool                            { return a.done }
func (a *opAuthRequest) GetAMR() []string {
	if a.done {
		return []string{"pwd"}
	}
	return nil
}

// opClient is a confidential web client.
type opClient struct {
	c        OpenIDClient
	loginURL func(string) string
}

func (c *opClient) GetID() string                       { return c.c.ID }
func (c *opClient) RedirectURIs() []string              { return c.c.RedirectURIs }
func (c *opClient) PostLogoutRedirectURIs() []string    { return c.c.PostLogoutRedirectURIs }
func (c *opClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *opClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic } // op takes client_secret_post too (Config.AuthMethodPost)
func (c *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *opClient) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *opClient) LoginURL(id string) string           { return c.loginURL(id) }
func (c *opClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *opClient) IDTokenLifetime() time.Duration      { return time.Hour }
func (c *opClient) DevMode() bool                       { return false }
func (c *opClient) IsScopeAllowed(string) bool          { return false }
func (c *opClient) ClockSkew() time.Duration            { return 0 }
func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IDTokenUserinfoClaimsAssertion puts the user's claims into the id_token
// even though an access token is issued too: the app reads identity from
// the id_token alone.
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return true }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
