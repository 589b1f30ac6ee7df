package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

func TestSignUpValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.member("taken_name")
	before := h.count("users")
	long := strings.Repeat("a", 31)
	bad := string([]byte{0xff, 0xfe, 'a', 'b', 'c'})
	cases := []struct {
		name, handle, email, password string
		field, msg                    string
	}{
		{"empty handle", "", "a@example.org", goodPassword, "handle", "Choose a handle"},
		{"short handle", "ab", "a@example.org", goodPassword, "handle", "at least 3"},
		{"oversized handle", long, "a@example.org", goodPassword, "handle", "at most 30"},
		{"invalid UTF-8 handle", bad, "a@example.org", goodPassword, "handle", "cannot store"},
		{"handle with spaces", "two words", "a@example.org", goodPassword, "handle", "letters, digits"},
		{"reserved handle", "Admin", "a@example.org", goodPassword, "handle", "reserved"},
		{"taken handle, other case", "TAKEN_NAME", "new@example.org", goodPassword, "handle", "taken"},
		{"empty e-mail", "newbie", "", goodPassword, "email", "Enter your e-mail"},
		{"oversized e-mail", "newbie", strings.Repeat("a", 250) + "@example.org", goodPassword, "email", "at most 254"},
		{"invalid UTF-8 e-mail", "newbie", "a\xffb@example.org", goodPassword, "email", "cannot store"},
		{"not an address", "newbie", "not-an-address", goodPassword, "email", "such as name@example.org"},
		{"empty password", "newbie", "n@example.org", "", "password", "Choose a password"},
		{"short password", "newbie", "n@example.org", "short", "password", "at least 10"},
		{"oversized password", "newbie", "n@example.org", strings.Repeat("x", 257), "password", "at most 256"},
		{"invalid UTF-8 password", "newbie", "n@example.org", "abcdefghij\xff", "password", "cannot store"},
		{"common password", "newbie", "n@example.org", "Password123!", "password", "most common"},
		{"keyboard run", "newbie", "n@example.org", "qwertyuiop", "password", "most common"},
		{"password is the handle", "newbie_long", "n@example.org", "Newbie_Long", "password", "same as your handle"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := h.browser()
			b.get("/signup")
			r := b.post("/signup", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {tc.handle}, "email": {tc.email}, "password": {tc.password}})
			if r.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", r.StatusCode)
			}
			if !strings.Contains(r.body, `id="`+tc.field+`-error"`) || !strings.Contains(r.body, tc.msg) {
				t.Fatalf("no %s error containing %q in page", tc.field, tc.msg)
			}
			if !strings.Contains(r.body, `role="alert"`) {
				t.Error("error summary missing")
			}
			if tc.password != "" && strings.Contains(r.body, tc.password) && tc.field != "handle" {
				t.Error("the password was echoed back into the page")
			}
			if b.cookie(web.SessionCookie) != "" {
				t.Error("a session was started for an invalid sign-up")
			}
		})
	}
	if got := h.count("users"); got != before {
		t.Fatalf("users: %d, want %d: invalid sign-ups wrote rows", got, before)
	}
	if got := h.count("river_job"); got != 1 {
		t.Fatalf("river_job: %d, want only the one verification job of taken_name", got)
	}
}

func TestSignUpKeepsInputAndSignsIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	b := h.browser()
	b.get("/signup")
	r := b.post("/signup", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {"river_walker"}, "email": {"rw@example.org"}, "password": {"short"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `value="river_walker"`) || !strings.Contains(r.body, `value="rw@example.org"`) {
		t.Fatalf("the form did not keep the handle and e-mail: %d", r.StatusCode)
	}
	r = b.post("/signup", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {"river_walker"}, "email": {"rw@example.org"}, "password": {goodPassword}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("sign-up: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	home := b.get("/")
	if !strings.Contains(home.body, `href="/account">river_walker<`) || !strings.Contains(home.body, "Welcome to Kindred, river_walker") {
		t.Fatal("home page does not greet the new member with a flash")
	}
	u := h.user("river_walker")
	if u.PasswordHash == nil || !strings.HasPrefix(*u.PasswordHash, "$argon2id$") {
		t.Fatal("password not stored as an argon2id hash")
	}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.member("maya")
	h.confirmEmail("maya")
	h.member("unconfirmed_uma")
	cases := []struct {
		name, login, password string
		status                int
	}{
		{"handle", "maya", goodPassword, http.StatusSeeOther},
		{"handle in other case", "MAYA", goodPassword, http.StatusSeeOther},
		{"e-mail", "Maya@Example.org", goodPassword, http.StatusSeeOther},
		{"unconfirmed e-mail", "unconfirmed_uma@example.org", goodPassword, http.StatusUnprocessableEntity},
		{"wrong password", "maya", "wrong password!", http.StatusUnprocessableEntity},
		{"unknown account", "nobody", goodPassword, http.StatusUnprocessableEntity},
		{"empty fields", "", "", http.StatusUnprocessableEntity},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := h.browser()
			r := b.signIn(tc.login, tc.password)
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", r.StatusCode, tc.status)
			}
			signedIn := b.cookie(web.SessionCookie) != ""
			if signedIn != (tc.status == http.StatusSeeOther) {
				t.Fatalf("signed in = %v", signedIn)
			}
		})
	}
	// A wrong password and an unknown account read the same.
	wrong := h.browser().signIn("maya", "wrong password!")
	unknown := h.browser().signIn("nobody", "wrong password!")
	msg := "do not match an account"
	if !strings.Contains(wrong.body, msg) || !strings.Contains(unknown.body, msg) {
		t.Fatal("wrong password and unknown account must share one message")
	}
}

func TestSignInRedirectsToNextButOnlyLocally(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.member("nina")
	for next, want := range map[string]string{"/account": "/account", "https://evil.example/": "/", "//evil.example/": "/"} {
		b := h.browser()
		b.get("/signin?next=" + url.QueryEscape(next))
		r := b.post("/signin", url.Values{"login": {"nina"}, "password": {goodPassword}, "next": {next}})
		if got := r.Header.Get("Location"); got != want {
			t.Errorf("next=%q: redirected to %q, want %q", next, got, want)
		}
	}
}

func TestSessionReplayAfterSignOutIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	b := h.member("leo")
	stolen := b.cookie(web.SessionCookie)
	if stolen == "" {
		t.Fatal("no session cookie after sign-up")
	}
	if r := b.get("/account"); r.StatusCode != http.StatusOK {
		t.Fatalf("settings while signed in: %d", r.StatusCode)
	}
	if r := b.post("/signout", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", r.StatusCode)
	}
	if n := h.count("sessions"); n != 0 {
		t.Fatalf("%d session rows remain after sign-out", n)
	}
	// Replay the old cookie from another client.
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/account", nil)
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: stolen})
	r := h.browser().do(req)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
		t.Fatalf("replayed cookie: status %d location %q, want a redirect to sign in", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{
		"KINDRED_SESSION_IDLE": "24h", "KINDRED_SESSION_ABSOLUTE": "72h",
		"KINDRED_STAFF_SESSION_IDLE": "1h", "KINDRED_STAFF_SESSION_ABSOLUTE": "4h",
	}})
	member := h.member("ida")
	mod := h.withRole("morgan", models.RoleModerator)

	alive := func(b *browser) bool { return b.get("/account").StatusCode == http.StatusOK }

	h.clock.Advance(50 * time.Minute)
	if !alive(member) || !alive(mod) {
		t.Fatal("sessions died before any timeout")
	}
	// 61 minutes idle: the moderator's 1 h idle limit has passed, not the member's.
	h.clock.Advance(61 * time.Minute)
	if alive(mod) {
		t.Fatal("moderator session outlived the staff idle timeout")
	}
	if !alive(member) {
		t.Fatal("member session died early")
	}
	// Keep the member active every 20 h: idle never trips, the absolute limit does.
	for i := 0; i < 3; i++ {
		h.clock.Advance(20 * time.Hour)
		if !alive(member) {
			t.Fatalf("member session died after %d active days", i+1)
		}
	}
	h.clock.Advance(11 * time.Hour) // now past 72 h since sign-in
	if alive(member) {
		t.Fatal("member session outlived the absolute timeout")
	}
	// Idle expiry for a member.
	fresh := h.browser()
	fresh.signIn("ida", goodPassword)
	h.clock.Advance(25 * time.Hour)
	if alive(fresh) {
		t.Fatal("member session outlived the idle timeout")
	}
}

func TestUsersSeeAndRevokeSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	laptop := h.member("kai")
	phone := h.browser()
	phone.signIn("kai", goodPassword)
	tablet := h.browser()
	tablet.signIn("kai", goodPassword)

	page := laptop.get("/account")
	if strings.Count(page.body, "/revoke\"") != 3 || !strings.Contains(page.body, "(this device)") {
		t.Fatal("settings does not list the three sessions")
	}
	var phoneID int64
	kai := h.user("kai")
	var sessions []models.Session
	h.app.DB.Gorm.Where("user_id = ?", kai.ID).Order("id").Find(&sessions)
	phoneID = sessions[1].ID
	r := laptop.post("/account/sessions/"+itoa(phoneID)+"/revoke", nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.StatusCode)
	}
	if phone.get("/account").StatusCode != http.StatusSeeOther {
		t.Fatal("revoked session still works")
	}
	if tablet.get("/account").StatusCode != http.StatusOK {
		t.Fatal("revoking one session ended another")
	}
	// Someone else's session id is not found.
	other := h.member("someone")
	if r := other.post("/account/sessions/"+itoa(sessions[2].ID)+"/revoke", nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("revoking another user's session: %d, want 404", r.StatusCode)
	}
	laptop.get("/account")
	laptop.post("/account/sessions/revoke-others", nil)
	if tablet.get("/account").StatusCode != http.StatusSeeOther {
		t.Fatal("sign out others left the tablet signed in")
	}
	if laptop.get("/account").StatusCode != http.StatusOK {
		t.Fatal("sign out others ended the current session")
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	a := h.member("pat")
	other := h.browser()
	other.signIn("pat", goodPassword)
	a.get("/account")
	r := a.post("/account/password", url.Values{"current_password": {"not it at all"}, "new_password": {"a brand new passphrase"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "not your current password") {
		t.Fatalf("wrong current password: %d", r.StatusCode)
	}
	r = a.post("/account/password", url.Values{"current_password": {goodPassword}, "new_password": {"a brand new passphrase"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d", r.StatusCode)
	}
	if a.get("/account").StatusCode != http.StatusOK {
		t.Fatal("the browser that changed the password was signed out")
	}
	if other.get("/account").StatusCode != http.StatusSeeOther {
		t.Fatal("another session survived the password change")
	}
	if h.browser().signIn("pat", "a brand new passphrase").StatusCode != http.StatusSeeOther {
		t.Fatal("new password does not work")
	}
}

func TestSuspensionEndsSessionsAndBlocksSignIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	admin := h.withRole("the_admin", models.RoleAdmin)
	_ = admin
	b := h.member("troll")
	u := h.user("troll")
	until := h.clock.Now().Add(48 * time.Hour)
	if err := h.app.Auth.Suspend(t.Context(), h.user("the_admin"), u.ID, until, "harassment"); err != nil {
		t.Fatal(err)
	}
	if b.get("/account").StatusCode != http.StatusSeeOther {
		t.Fatal("suspended user's session still works")
	}
	r := h.browser().signIn("troll", goodPassword)
	if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "suspended") {
		t.Fatalf("sign-in while suspended: %d", r.StatusCode)
	}
	var n int64
	h.app.DB.Gorm.Model(&models.AuditEvent{}).Where("action = 'user.suspend' AND target_id = ?", u.ID).Count(&n)
	if n != 1 {
		t.Fatal("suspension not audited")
	}
	h.clock.Advance(49 * time.Hour)
	if h.browser().signIn("troll", goodPassword).StatusCode != http.StatusSeeOther {
		t.Fatal("cannot sign in after the suspension ended")
	}
}

func TestCSRFRefusal(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	victim := h.member("vic")
	attacker := h.member("eve")
	attacker.get("/account")

	cases := []struct {
		name  string
		token string
	}{
		{"no token", ""},
		{"made-up token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"another user's token", attacker.csrf},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := victim.postRaw("/account/handle", url.Values{"handle": {"pwned"}, "csrf_token": {tc.token}})
			if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "came from another site") {
				t.Fatalf("status %d, want 403 with an explanation", r.StatusCode)
			}
		})
	}
	if h.user("vic").Handle != "vic" {
		t.Fatal("a forged request changed the handle")
	}
	// Signed out forms are protected too (login CSRF).
	anon := h.browser()
	anon.get("/signin")
	if r := anon.postRaw("/signin", url.Values{"login": {"eve"}, "password": {goodPassword}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in without token: %d", r.StatusCode)
	}
	// The token changes at sign-in, so a pre-sign-in token is useless after.
	pre := h.browser()
	pre.get("/signin")
	oldToken := pre.csrf
	pre.post("/signin", url.Values{"login": {"vic"}, "password": {goodPassword}})
	if r := pre.postRaw("/account/handle", url.Values{"handle": {"x_vic"}, "csrf_token": {oldToken}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("token from before sign-in accepted: %d", r.StatusCode)
	}
	// And a valid token works.
	victim.get("/account")
	if r := victim.post("/account/handle", url.Values{"handle": {"vic_renamed"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid token refused: %d", r.StatusCode)
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.member("target")
	t.Run("per account", func(t *testing.T) {
		// Failures against one account from many addresses are still counted.
		var last *resp
		for i := 0; i < 9; i++ {
			b := h.browser()
			b.get("/signin")
			req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/signin", strings.NewReader(url.Values{"login": {"target"}, "password": {"wrong password " + itoa(int64(i))}, "csrf_token": {b.csrf}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			last = b.do(req)
		}
		if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
			t.Fatalf("9th failure: %d, Retry-After %q; want 429 with Retry-After", last.StatusCode, last.Header.Get("Retry-After"))
		}
		// Even the right password waits now.
		if r := h.browser().signIn("target", goodPassword); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("right password during lockout: %d", r.StatusCode)
		}
		h.clock.Advance(16 * time.Minute)
		if r := h.browser().signIn("target", goodPassword); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("after the window: %d", r.StatusCode)
		}
	})
	t.Run("per IP on sign-in", func(t *testing.T) {
		h.clock.Advance(16 * time.Minute)
		var last *resp
		for i := 0; i < 31; i++ {
			last = h.browser().signIn("nobody_"+itoa(int64(i)), "wrong password")
		}
		if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
			t.Fatalf("31st sign-in from one address: %d, want 429", last.StatusCode)
		}
		h.clock.Advance(16 * time.Minute)
	})
	t.Run("per IP on sign-up", func(t *testing.T) {
		var last *resp
		for i := 0; i < 11; i++ {
			b := h.browser()
			b.get("/signup")
			last = b.post("/signup", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {"bot" + itoa(int64(i))}, "email": {"bot" + itoa(int64(i)) + "@example.org"}, "password": {goodPassword}})
		}
		if last.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("11th sign-up from one address: %d, want 429", last.StatusCode)
		}
		if last.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
	})
	t.Run("X-Forwarded-For is ignored without trusted proxies", func(t *testing.T) {
		b := h.browser()
		b.get("/signup")
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/signup", strings.NewReader(url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {"spoofer"}, "email": {"s@example.org"}, "password": {goodPassword}, "csrf_token": {b.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		if r := b.do(req); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("a forged X-Forwarded-For escaped the limit: %d", r.StatusCode)
		}
	})
}

func TestRoleChecks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	member := h.member("plain")
	mod := h.withRole("modest", models.RoleModerator)
	admin := h.withRole("boss", models.RoleAdmin)
	anon := h.browser()

	if r := anon.get("/admin/users"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin?next=") {
		t.Fatalf("visitor: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	for name, b := range map[string]*browser{"member": member, "moderator": mod} {
		if r := b.get("/admin/users"); r.StatusCode != http.StatusForbidden {
			t.Fatalf("%s on /admin/users: %d, want 403", name, r.StatusCode)
		}
	}
	r := admin.get("/admin/users")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "plain") {
		t.Fatalf("admin: %d", r.StatusCode)
	}
	// A moderator cannot change roles even with a valid CSRF token of their own.
	mod.get("/account")
	if r := mod.post("/admin/users/"+itoa(h.user("plain").ID)+"/role", url.Values{"role": {"admin"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("moderator changing a role: %d", r.StatusCode)
	}
	// The admin promotes the member; the change is audited and ends their sessions.
	if r := admin.post("/admin/users/"+itoa(h.user("plain").ID)+"/role", url.Values{"role": {"moderator"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin changing a role: %d", r.StatusCode)
	}
	if h.user("plain").Role != models.RoleModerator {
		t.Fatal("role not changed")
	}
	if member.get("/account").StatusCode != http.StatusSeeOther {
		t.Fatal("role change did not end the member's sessions")
	}
	var n int64
	h.app.DB.Gorm.Model(&models.AuditEvent{}).Where("action = 'user.role.moderator'").Count(&n)
	if n != 1 {
		t.Fatal("role change not audited")
	}
	// The audit log refuses edits.
	if err := h.app.DB.Gorm.Exec("UPDATE audit_events SET reason = 'x'").Error; err == nil {
		t.Fatal("audit_events accepted an UPDATE")
	}
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	b := h.member("scripter")
	b.get("/account")
	r := b.post("/account/tokens", url.Values{"name": {"export"}, "scope": {"read"}})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create token: %d", r.StatusCode)
	}
	raw := tokenRe.FindStringSubmatch(r.body)
	if raw == nil {
		t.Fatal("token not shown")
	}
	readTok := raw[1]
	if b.get("/account").body == "" || strings.Contains(b.get("/account").body, readTok) {
		t.Fatal("the token is shown again on the settings page")
	}

	api := func(method, path, token, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	status, me := api("GET", "/api/v1/me", readTok, "")
	if status != http.StatusOK || me["handle"] != "scripter" || me["email"] != "scripter@example.org" {
		t.Fatalf("/me: %d %v", status, me)
	}
	if status, body := api("GET", "/api/v1/me", "", ""); status != http.StatusUnauthorized || body["error"].(map[string]any)["code"] != "unauthorized" {
		t.Fatalf("no token: %d %v", status, body)
	}
	if status, _ := api("GET", "/api/v1/me", "kdr_forged", ""); status != http.StatusUnauthorized {
		t.Fatalf("forged token: %d", status)
	}
	if status, _ := api("POST", "/api/v1/tokens", readTok, `{"name":"more"}`); status != http.StatusForbidden {
		t.Fatalf("read token creating a token: %d, want 403", status)
	}
	if status, s := api("GET", "/api/v1/sessions", readTok, ""); status != http.StatusOK || len(s["sessions"].([]any)) != 1 {
		t.Fatalf("sessions: %d %v", status, s)
	}
	// A session cookie alone does not open the API (it has no CSRF check).
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/api/v1/me", nil)
	if r := b.do(req); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("cookie on the API: %d", r.StatusCode)
	}

	b.get("/account")
	r = b.post("/account/tokens", url.Values{"name": {"writer"}, "scope": {"write"}})
	writeTok := tokenRe.FindStringSubmatch(r.body)[1]
	status, body := api("POST", "/api/v1/tokens", writeTok, `{"name":"","scope":"admin"}`)
	fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
	if status != http.StatusUnprocessableEntity || fields["name"] == nil || fields["scope"] == nil {
		t.Fatalf("invalid token request: %d %v", status, body)
	}
	status, body = api("POST", "/api/v1/tokens", writeTok, `{"name":"ci","scope":"read"}`)
	if status != http.StatusCreated || !strings.HasPrefix(body["token"].(string), "kdr_") {
		t.Fatalf("create via API: %d %v", status, body)
	}
	id := int64(body["id"].(float64))
	if status, _ := api("DELETE", "/api/v1/tokens/"+itoa(id), writeTok, ""); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}
	if status, _ := api("GET", "/api/v1/me", body["token"].(string), ""); status != http.StatusUnauthorized {
		t.Fatalf("revoked token still works: %d", status)
	}
	if status, _ := api("POST", "/api/v1/tokens", writeTok, `not json`); status != http.StatusBadRequest {
		t.Fatalf("bad JSON: %d", status)
	}
	var stored []models.APIToken
	h.app.DB.Gorm.Find(&stored)
	for _, s := range stored {
		if strings.Contains(string(s.TokenHash), "kdr_") {
			t.Fatal("token stored in clear")
		}
	}
}

func TestSignedOutPagesAndErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	b := h.browser()
	for _, p := range []string{"/", "/signup", "/signin", "/password/forgot"} {
		if r := b.get(p); r.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", p, r.StatusCode)
		}
	}
	r := b.get("/no/such/page")
	if r.StatusCode != http.StatusNotFound || !strings.Contains(r.body, "Page not found") || !strings.Contains(r.body, `<main id="main"`) {
		t.Fatalf("404 page: %d", r.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/api/v2/nothing", nil)
	r = b.do(req)
	var body map[string]map[string]any
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || r.StatusCode != http.StatusNotFound || body["error"]["code"] != "not_found" {
		t.Fatalf("API 404: %d %s", r.StatusCode, r.body)
	}
	if r := b.get("/account"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings while signed out: %d", r.StatusCode)
	}
}

// One account, one sign-in limit: wrong passwords by handle and by e-mail
// add up, a pause for one identifier holds for the other, the owner is
// told by e-mail once, the owner's own browser (where they signed in
// before) still gets in with the right password, and the pause ends.
func TestSignInLimitIsPerAccount(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	home := h.member("lock_owner")
	// Only a confirmed address signs in.
	h.confirmEmail("lock_owner")
	home.post("/signout", url.Values{})
	if r := home.signIn("lock_owner", goodPassword); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("first sign-in at home: %d", r.StatusCode)
	}
	home.post("/signout", url.Values{})

	for i := 0; i < 8; i++ {
		login := "lock_owner"
		if i%2 == 1 {
			login = "LOCK_OWNER@example.org"
		}
		if r := h.browser().signIn(login, "guess number "+itoa(int64(i))); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password %d: %d", i, r.StatusCode)
		}
	}
	for _, login := range []string{"lock_owner@example.org", "lock_owner"} {
		r := h.browser().signIn(login, goodPassword)
		if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(r.body, "Sign-ins are paused") {
			t.Errorf("right password from a new browser by %s while paused: %d", login, r.StatusCode)
		}
	}
	msg := h.mailbox.Wait(t, "lock_owner@example.org", "Sign-ins to your Kindred account are paused", 20*time.Second)
	if !strings.Contains(msg.Body, "/password/forgot") || strings.Contains(msg.Body, "guess number") {
		t.Errorf("the notice does not give the way back, or names what was typed:\n%s", msg.Body)
	}
	if r := home.signIn("lock_owner", goodPassword); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner's own browser with the right password: %d", r.StatusCode)
	}
	// Another browser's stolen mark does not help: the mark is bound to
	// the browser it was made for.
	thief := h.browser()
	thief.get("/signin")
	u, _ := url.Parse(h.srv.URL)
	for _, ck := range home.c.Jar.Cookies(u) {
		if ck.Name == "kindred_known" {
			thief.c.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: ck.Value, Path: "/"}})
		}
	}
	if r := thief.signIn("lock_owner", goodPassword); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a copied mark in another browser: %d, want 429", r.StatusCode)
	}
	notices := 0
	for _, m := range h.mailbox.All() {
		if strings.Contains(m.Subject, "paused") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("%d notices, want one", notices)
	}
	h.clock.Advance(16 * time.Minute)
	if r := h.browser().signIn("lock_owner@example.org", goodPassword); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the pause: %d", r.StatusCode)
	}
}

// API tokens end with the password: changing it or resetting it revokes
// every token; a token can be made to end on a date, and the account page
// shows when each was last used and when it ends.
func TestAPITokensEndWithThePassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	b := h.member("token_owner")
	b.get("/account")
	r := b.post("/account/tokens", url.Values{"name": {"export script"}, "scope": {"read"}, "expires_in_days": {"30"}})
	m := tokenRe.FindStringSubmatch(r.body)
	if r.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("token with an expiry: %d", r.StatusCode)
	}
	monthly := m[1]
	forever := b.token("write")
	if res := h.api(http.MethodGet, "/api/v1/me", monthly, nil); res.Status != http.StatusOK {
		t.Fatalf("fresh token: %d", res.Status)
	}
	list := h.api(http.MethodGet, "/api/v1/tokens", forever, nil)
	raw := list.Raw
	if !strings.Contains(raw, `"expires_at":null`) || !strings.Contains(raw, `"last_used_at":"`) || !regexp.MustCompile(`"expires_at":"\d{4}-\d\d-\d\dT[0-9:]+Z"`).MatchString(raw) {
		t.Errorf("token list does not show expiry and last use in RFC 3339: %s", raw)
	}
	if page := b.get("/account"); !strings.Contains(page.body, "Expires") || !strings.Contains(page.body, "when you revoke it or change your password") {
		t.Error("the account page does not say when tokens end")
	}
	if res := h.api(http.MethodPost, "/api/v1/tokens", forever, map[string]any{"name": "x", "expires_in_days": 99999}); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Raw, "expires_in_days") {
		t.Errorf("a token for 99999 days: %d %s", res.Status, res.Raw)
	}
	h.clock.Advance(31 * 24 * time.Hour)
	if res := h.api(http.MethodGet, "/api/v1/me", monthly, nil); res.Status != http.StatusUnauthorized {
		t.Errorf("token past its end: %d, want 401", res.Status)
	}
	if res := h.api(http.MethodGet, "/api/v1/me", forever, nil); res.Status != http.StatusOK {
		t.Fatalf("token without an end: %d", res.Status)
	}
	// A new password ends it.
	b.signIn("token_owner", goodPassword)
	b.get("/account")
	r = b.post("/account/password", url.Values{"current_password": {goodPassword}, "new_password": {"a brand new passphrase"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: %d", r.StatusCode)
	}
	if res := h.api(http.MethodGet, "/api/v1/me", forever, nil); res.Status != http.StatusUnauthorized {
		t.Errorf("token after a password change: %d, want 401", res.Status)
	}
	if page := b.get("/account"); !strings.Contains(page.body, "API tokens were revoked") && !strings.Contains(page.body, "You have no API tokens") {
		t.Error("the owner is not told their tokens ended")
	}
	// And a reset ends the ones made after.
	again := b.token("read")
	f := h.browser()
	f.get("/password/forgot")
	f.post("/password/forgot", url.Values{"email": {"token_owner@example.org"}})
	msg := h.mailbox.Wait(t, "token_owner@example.org", "Reset your Kindred password", 20*time.Second)
	link := linkIn(t, msg.Body)
	f.get(link)
	if r := f.post("/password/reset", url.Values{"token": {tokenOf(link)}, "password": {"yet another passphrase"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", r.StatusCode)
	}
	if res := h.api(http.MethodGet, "/api/v1/me", again, nil); res.Status != http.StatusUnauthorized {
		t.Errorf("token after a password reset: %d, want 401", res.Status)
	}
}

// Admins have a home that links every admin page, each with the same
// menu; the people page shows e-mail confirmation, role, clinician status
// and last seen, links to the profile and the moderation history, and fits
// a phone (the table scrolls inside its region).
func TestAdminHomeAndPeoplePage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	h.clinician("people_nurse", "cardiology")
	h.member("people_member")
	admin := h.browser()
	admin.signIn(h.ensureAdmin(), goodPassword)
	home := admin.get("/admin")
	if home.StatusCode != http.StatusOK {
		t.Fatalf("/admin: %d", home.StatusCode)
	}
	pages := []string{"/admin/users", "/admin/forums", "/admin/safety", "/admin/search", "/admin/clinician-lists", "/admin/questions", "/admin/audit"}
	for _, p := range pages {
		if !strings.Contains(home.body, `href="`+p+`"`) {
			t.Errorf("/admin does not link %s", p)
		}
		page := admin.get(p)
		if page.StatusCode != http.StatusOK || !strings.Contains(page.body, `aria-label="Administration"`) || !strings.Contains(page.body, `href="`+p+`" aria-current="page"`) {
			t.Errorf("%s: %d, without the admin menu marking it", p, page.StatusCode)
		}
	}
	people := admin.get("/admin/users").body
	uid := h.user("people_nurse").ID
	for _, want := range []string{"verified", "not confirmed", `href="/members/people_nurse"`, `href="/moderation/user/` + itoa(uid) + `"`, "Last seen", `class="table-scroll"`} {
		if !strings.Contains(people, want) {
			t.Errorf("the people page lacks %q", want)
		}
	}
	if r := h.member("people_other").get("/admin"); r.StatusCode != http.StatusForbidden && r.StatusCode != http.StatusNotFound {
		t.Errorf("a member opens /admin: %d", r.StatusCode)
	}
}

// Times show in the member's time zone (a setting; the browser's own is
// taken once when none was chosen), recent ones as "3 hours ago" with the
// exact time on hover.
func TestTimesInTheMembersZone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("zones", nil)
	th := h.thread(h.ensureAdmin(), f, "What time is it there?", "Hello from the fixture admin.", false)
	b := h.member("zone_member")
	b.get("/account")
	// The browser's zone is taken once, when none was chosen.
	if r := b.post("/account/time-zone", url.Values{"time_zone": {"America/Vancouver"}, "auto": {"1"}}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("the browser's zone: %d", r.StatusCode)
	}
	if r := b.post("/account/time-zone", url.Values{"time_zone": {"Asia/Tokyo"}, "auto": {"1"}}); r.StatusCode != http.StatusNoContent || h.user("zone_member").TimeZone != "America/Vancouver" {
		t.Fatalf("a second browser zone replaced the first: %q", h.user("zone_member").TimeZone)
	}
	if r := b.post("/account/time-zone", url.Values{"time_zone": {"Mars/Olympus_Mons"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Choose a time zone") {
		t.Errorf("an unknown zone: %d", r.StatusCode)
	}
	if r := b.post("/account/time-zone", url.Values{"time_zone": {"America/Toronto"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose a zone: %d", r.StatusCode)
	}
	h.clock.Advance(3 * time.Hour)
	page := b.get("/t/" + itoa(th.ID)).body
	created := h.firstPost(th.ID).CreatedAt
	exact := created.In(mustZone(t, "America/Toronto")).Format("2 Jan 2006 15:04 MST")
	if !strings.Contains(page, `title="`+exact+`">3 hours ago</time>`) {
		t.Errorf("the member's thread page does not show %q as 3 hours ago", exact)
	}
	if visitor := h.browser().get("/t/" + itoa(th.ID)).body; !strings.Contains(visitor, `title="`+created.UTC().Format("2 Jan 2006 15:04 UTC")+`"`) {
		t.Error("a visitor's times are not in UTC")
	}
	h.clock.Advance(10 * 24 * time.Hour)
	b.signIn("zone_member", goodPassword)
	if page := b.get("/t/" + itoa(th.ID)).body; !strings.Contains(page, `">`+exact+`</time>`) {
		t.Errorf("an old post does not show its exact time %q", exact)
	}
	if page := b.get("/account").body; !strings.Contains(page, `value="America/Toronto"`) {
		t.Error("the settings do not show the chosen zone")
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Sign-up does not tell who is a member: an address already in use gets
// the very answer a new one gets (signed in, asked to confirm the
// address), the new account can never confirm or sign in with it, and the
// address's owner is told by e-mail. An unconfirmed address does not sign
// in for anyone, so signing in by it tells nothing either.
func TestSignUpDoesNotRevealMembers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	owner := h.member("address_owner")
	h.confirmEmail("address_owner")
	owner.post("/signout", url.Values{})

	answer := func(handle, email string) (*resp, string) {
		b := h.browser()
		b.get("/signup")
		r := b.post("/signup", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {handle}, "email": {email}, "password": {"a newcomer's own passphrase"}})
		return r, b.get("/").body + b.get("/account").body
	}
	fresh, freshPages := answer("curious_one", "brand.new@example.org")
	taken, takenPages := answer("curious_two", "Address_Owner@Example.org")
	if fresh.StatusCode != taken.StatusCode || fresh.Header.Get("Location") != taken.Header.Get("Location") {
		t.Fatalf("sign-up answers %d %q for a new address and %d %q for one in use", fresh.StatusCode, fresh.Header.Get("Location"), taken.StatusCode, taken.Header.Get("Location"))
	}
	strip := regexp.MustCompile(`curious_(one|two)|brand\.new@example\.org|Address_Owner@Example\.org|name="csrf_token" value="[^"]*"|data-csrf="[^"]*"|nonce="[^"]*"|\d+`)
	if strip.ReplaceAllString(freshPages, "") != strip.ReplaceAllString(takenPages, "") {
		t.Error("the pages after signing up differ between a new address and one in use")
	}
	msg := h.mailbox.Wait(t, "address_owner@example.org", "Someone tried to join Kindred with your address", 20*time.Second)
	if !strings.Contains(msg.Body, "address_owner") || strings.Contains(msg.Body, "curious_two") {
		t.Errorf("the owner's notice:\n%s", msg.Body)
	}
	// Signing in by an unconfirmed address fails for both, alike.
	for _, email := range []string{"brand.new@example.org", "address_owner@example.org"} {
		if r := h.browser().signIn(email, "a newcomer's own passphrase"); r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("sign-in by %s with the newcomer's password: %d", email, r.StatusCode)
		}
	}
	if r := h.browser().signIn("curious_two", "a newcomer's own passphrase"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the newcomer signs in by handle: %d", r.StatusCode)
	}
	if u := h.user("address_owner"); u.Email == nil || !strings.EqualFold(*u.Email, "address_owner@example.org") {
		t.Error("the owner's address changed")
	}
	if u := h.user("curious_two"); u.Email != nil {
		t.Error("the newcomer's account holds the owner's address")
	}
	// The owner still signs in by their confirmed address.
	if r := h.browser().signIn("address_owner@example.org", goodPassword); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the owner signs in by e-mail: %d", r.StatusCode)
	}
}
