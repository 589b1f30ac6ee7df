package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// A member sets up an authenticator app in the browser; from then on the
// password alone only half signs in, codes are checked with one step of
// skew either side and are good once, recovery codes are good once, and
// wrong codes are rate-limited.
func TestMFATOTPSignIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mfa: true})
	h.account("ann", models.RoleMember)
	b := h.browser()
	if r := b.signIn("ann", goodPassword); r.Header.Get("Location") != "/" {
		t.Fatalf("sign-in without a second factor: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	// A wrong first code does not turn it on.
	b.get("/account/security")
	b.post("/account/security/totp", nil)
	page := b.get("/account/security")
	if !strings.Contains(page.body, `alt="QR code`) || secretRe.FindStringSubmatch(page.body) == nil {
		t.Fatal("the security page shows no QR code and written key")
	}
	secret := secretRe.FindStringSubmatch(page.body)[1]
	if r := b.post("/account/security/totp/confirm", url.Values{"code": {codeAt(secret, h.clock.Now().Add(5*time.Minute))}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a wrong first code: %d", r.StatusCode)
	}
	secret, codes := b.enrolInBrowser()
	if len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown, want %d", len(codes), auth.RecoveryCodeCount)
	}
	var stored string
	h.app.DB.Gorm.Raw(`SELECT encode(secret_enc, 'escape') FROM mfa_totp`).Scan(&stored)
	if strings.Contains(stored, secret) {
		t.Fatal("the TOTP secret is stored in clear")
	}

	// The password alone: half signed in, good for nothing but the second step.
	b2 := h.browser()
	r := b2.signIn("ann", goodPassword)
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, auth.SecondFactorPath) {
		t.Fatalf("password with a second factor: %d %q", r.StatusCode, loc)
	}
	if r := b2.get("/account"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
		t.Fatalf("a half-signed browser opens /account: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := b2.get("/signin"); !strings.HasPrefix(r.Header.Get("Location"), auth.SecondFactorPath) {
		t.Fatalf("the sign-in page does not send a half-signed browser on: %q", r.Header.Get("Location"))
	}
	b2.get(auth.SecondFactorPath)
	second := func(b *browser, code string) int {
		t.Helper()
		b.get(auth.SecondFactorPath)
		return b.post(auth.SecondFactorPath, url.Values{"code": {code}, "next": {"/account"}}).StatusCode
	}
	if s := second(b2, codeAt(secret, h.clock.Now().Add(-2*time.Minute))); s != http.StatusUnprocessableEntity {
		t.Fatalf("a code from two minutes ago: %d", s)
	}
	code := h.code(secret)
	if s := second(b2, code); s != http.StatusSeeOther {
		t.Fatalf("the right code: %d", s)
	}
	if r := b2.get("/account"); r.StatusCode != http.StatusOK {
		t.Fatalf("signed in with the code, /account: %d", r.StatusCode)
	}
	// The same code again (same step), from another browser: replay.
	b3 := h.browser()
	b3.signIn("ann", goodPassword)
	if s := second(b3, code); s != http.StatusUnprocessableEntity {
		t.Fatalf("a replayed code: %d", s)
	}
	// One step of skew either way is accepted (each step once).
	h.nextStep()
	if s := second(b3, codeAt(secret, h.clock.Now().Add(30*time.Second))); s != http.StatusSeeOther {
		t.Fatalf("the next step's code (phone clock ahead): %d", s)
	}
	h.clock.Advance(3 * time.Minute)
	b4 := h.browser()
	b4.signIn("ann", goodPassword)
	if s := second(b4, codeAt(secret, h.clock.Now().Add(-30*time.Second))); s != http.StatusSeeOther {
		t.Fatalf("the previous step's code (phone clock behind): %d", s)
	}
	b5 := h.browser()
	b5.signIn("ann", goodPassword)
	if s := second(b5, codeAt(secret, h.clock.Now().Add(90*time.Second))); s != http.StatusUnprocessableEntity {
		t.Fatalf("a code three steps ahead: %d", s)
	}

	// A recovery code works once, typed however.
	if s := second(b5, strings.ToUpper(strings.ReplaceAll(codes[0], "-", " "))); s != http.StatusSeeOther {
		t.Fatalf("a recovery code: %d", s)
	}
	b6 := h.browser()
	b6.signIn("ann", goodPassword)
	if s := second(b6, codes[0]); s != http.StatusUnprocessableEntity {
		t.Fatalf("a recovery code used twice: %d", s)
	}
	if countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'mfa.recovery_code.used'`) != 1 {
		t.Error("the recovery code's use is not audited")
	}

	// Wrong codes are limited per account: six in fifteen minutes.
	h.clock.Advance(20 * time.Minute)
	b7 := h.browser()
	b7.signIn("ann", goodPassword)
	for i := 0; i < 6; i++ {
		if s := second(b7, "000000"); s != http.StatusUnprocessableEntity && s != http.StatusSeeOther {
			t.Fatalf("wrong code %d: %d", i, s)
		}
	}
	if s := second(b7, h.code(secret)); s != http.StatusTooManyRequests {
		t.Fatalf("after six wrong codes, even the right one: %d, want 429", s)
	}
}

// routeParam fills a route's parameters with values that reach the
// handler's guards (the gate answers before any lookup).
func routeParam(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		switch {
		case p == ":kind":
			parts[i] = "post"
		case p == ":action":
			parts[i] = "hide"
		case strings.HasPrefix(p, ":"):
			parts[i] = "1"
		}
	}
	return strings.Join(parts, "/")
}

// mfaGatedRoute: the pages and endpoints only staff, reviewers and
// clinicians use.
func mfaGatedRoute(method, path string) bool {
	for _, p := range []string{"/admin", "/review", "/moderation", "/clinician/questions",
		"/api/v1/admin", "/api/v1/review", "/api/v1/moderation", "/api/v1/clinician/questions", "/api/v1/analytics"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	// Pins, forum resources and their review.
	for _, p := range []string{"/t/:id/pin", "/t/:id/unpin", "/t/:id/pin-global", "/t/:id/unpin-global", "/f/:slug/resources",
		"/clinician/resources", "/api/v1/threads/:id/pin", "/api/v1/clinician/resources"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	if strings.HasPrefix(path, "/api/v1/forums/:slug/resources") && method != http.MethodGet {
		return true
	}
	// A private question's page and actions (clinicians act on them).
	if strings.HasPrefix(path, "/questions/:id") || strings.HasPrefix(path, "/api/v1/questions/:id") {
		return true
	}
	// Creating and changing forums through the API is the admins'.
	switch method + " " + path {
	case "POST /api/v1/forums", "PATCH /api/v1/forums/:slug", "PUT /api/v1/forums/:slug/archive", "DELETE /api/v1/forums/:slug/archive":
		return true
	}
	return false
}

// Someone whose role requires a second factor and has none is sent to set
// it up at sign-in, and every staff page (walked from the route table)
// sends them there too; every staff API endpoint answers 403 mfa_required.
// Once enrolled, the same pages open.
func TestMFAStaffWithoutSecondFactorRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mfa: true})
	h.account("boss", models.RoleAdmin)
	ctx := context.Background()
	_, token, err := h.app.Auth.CreateAPIToken(ctx, h.user("boss"), auth.TokenForm{Name: "before", Scope: "write"})
	if err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	r := b.signIn("boss", goodPassword)
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/account/security") {
		t.Fatalf("an admin without a second factor signs in to %q, not to set one up", loc)
	}
	walked := 0
	for _, rt := range h.app.Echo.Routes() {
		if strings.Contains(rt.Path, "*") || !mfaGatedRoute(rt.Method, rt.Path) {
			continue
		}
		path := routeParam(rt.Path)
		walked++
		if strings.HasPrefix(path, "/api/") {
			res := h.api(rt.Method, path, token, map[string]any{})
			if res.Status != http.StatusForbidden || !strings.Contains(res.Raw, `"mfa_required"`) {
				t.Errorf("API %s %s: %d %s, want 403 mfa_required", rt.Method, rt.Path, res.Status, res.Raw)
			}
			continue
		}
		var res *resp
		switch rt.Method {
		case http.MethodGet:
			res = b.get(path)
		case http.MethodPost:
			b.get("/account")
			res = b.post(path, url.Values{})
		default:
			continue
		}
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/account/security") {
			t.Errorf("page %s %s: %d to %q, want 303 to /account/security", rt.Method, rt.Path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	if walked < 60 {
		t.Fatalf("walked only %d staff routes", walked)
	}
	// Tokens are made only after enrolling.
	b.get("/account")
	if r := b.post("/account/tokens", url.Values{"name": {"more"}, "scope": {"read"}}); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/account/security") {
		t.Errorf("an admin without a second factor makes a token: %d", r.StatusCode)
	}
	// An admin may not remove the last factor once they have it.
	b.enrolInBrowser()
	if r := b.get("/admin/users"); r.StatusCode != http.StatusOK {
		t.Fatalf("enrolled admin, /admin/users: %d", r.StatusCode)
	}
	if res := h.api(http.MethodGet, "/api/v1/admin/audit", token, nil); res.Status != http.StatusOK {
		t.Fatalf("enrolled admin's older token, /api/v1/admin/audit: %d %s", res.Status, res.Raw)
	}
	b.get("/account/security")
	if r := b.post("/account/security/totp/delete", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("an admin removes their last second factor: %d", r.StatusCode)
	}

	// The other roles that need it: a global moderator, a forum's
	// moderator, a credential reviewer and a verified clinician.
	h.licensing()
	h.account("globalmod", models.RoleModerator)
	h.account("forummod", models.RoleMember)
	h.makeForumModerator("forummod", h.forum("heart", nil))
	h.account("reviewer1", models.RoleMember)
	h.app.DB.Gorm.Exec(`UPDATE users SET reviewer = true WHERE handle = 'reviewer1'`)
	h.clinician("nurse_kim", "cardiology")
	for _, c := range []struct{ handle, page, api string }{
		{"globalmod", "/moderation", "/api/v1/moderation/queue"},
		{"forummod", "/moderation", "/api/v1/moderation/queue"},
		{"reviewer1", "/review/credentials", "/api/v1/review/credentials"},
		{"nurse_kim", "/clinician/questions", "/api/v1/clinician/questions"},
	} {
		_, tok, err := h.app.Auth.CreateAPIToken(ctx, h.user(c.handle), auth.TokenForm{Name: "t", Scope: "read"})
		if err != nil {
			t.Fatal(err)
		}
		b := h.browser()
		if r := b.signIn(c.handle, goodPassword); !strings.HasPrefix(r.Header.Get("Location"), "/account/security") {
			t.Errorf("%s signs in to %q, not to set up a second factor", c.handle, r.Header.Get("Location"))
		}
		if r := b.get(c.page); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/account/security") {
			t.Errorf("%s opens %s: %d", c.handle, c.page, r.StatusCode)
		}
		if res := h.api(http.MethodGet, c.api, tok, nil); res.Status != http.StatusForbidden || !strings.Contains(res.Raw, "mfa_required") {
			t.Errorf("%s calls %s: %d %s", c.handle, c.api, res.Status, res.Raw)
		}
		b.enrolInBrowser()
		if r := b.get(c.page); r.StatusCode != http.StatusOK {
			t.Errorf("%s, enrolled, opens %s: %d", c.handle, c.page, r.StatusCode)
		}
		if res := h.api(http.MethodGet, c.api, tok, nil); res.Status != http.StatusOK {
			t.Errorf("%s, enrolled, calls %s: %d %s", c.handle, c.api, res.Status, res.Raw)
		}
	}
	// A member without any such role is not asked.
	h.account("plain", models.RoleMember)
	if r := h.browser().signIn("plain", goodPassword); r.Header.Get("Location") != "/" {
		t.Errorf("a member is sent to %q at sign-in", r.Header.Get("Location"))
	}
}

// Sudo mode: revealing an anonymous author, reading a proof document,
// changing roles and making API tokens need a proof of identity in the
// last ten minutes. Signing in is one; after ten minutes on the clock the
// browser goes to /reauth, where a code from the app (or the password)
// brings it back; the API asks for a code in X-Kindred-Code.
func TestSudoModeExpires(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mfa: true})
	h.licensing()
	h.account("boss", models.RoleAdmin)
	secret, _ := h.enrolTOTP("boss")
	h.account("sam", models.RoleMember)
	sam := h.user("sam")
	f := h.forum("mind", func(ff *forums.ForumForm) { ff.Sensitive = true })
	th := h.thread("sam", f, "A hard week", "Posted without my name.", true)
	h.member("nurse_lee")
	cred := h.apply("nurse_lee", "RN-8001", 300, pdfDoc)
	docURL := "/credentials/" + itoa(cred.ID) + "/document"
	reveal := "/moderation/thread/" + itoa(th.ID) + "/reveal"
	setRole := "/admin/users/" + itoa(sam.ID) + "/role"

	b := h.browser()
	b.signInWithCode("boss", goodPassword, secret)
	// Fresh: everything goes through.
	if r := b.get(docURL); r.StatusCode != http.StatusOK {
		t.Fatalf("fresh document read: %d", r.StatusCode)
	}
	b.get("/admin/users")
	if r := b.post(setRole, url.Values{"role": {"moderator"}, "reason": {"New moderator"}}); r.StatusCode != http.StatusSeeOther || strings.HasPrefix(r.Header.Get("Location"), "/reauth") {
		t.Fatalf("fresh role change: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if h.user("sam").Role != models.RoleModerator {
		t.Fatal("the role did not change")
	}

	// Ten minutes later every one of them asks first.
	h.clock.Advance(10*time.Minute + time.Second)
	b.get("/admin/users")
	stale := map[string]*resp{
		"document": b.get(docURL),
		"role":     b.post(setRole, url.Values{"role": {"member"}, "reason": {"Stepped down"}}),
		"reveal":   b.post(reveal, url.Values{"reveal_reason": {"Police request"}}),
		"token":    b.post("/account/tokens", url.Values{"name": {"ci"}, "scope": {"read"}}),
		"totp":     b.post("/account/security/recovery-codes", nil),
	}
	for what, r := range stale {
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/reauth?next=") {
			t.Errorf("%s ten minutes after signing in: %d %q, want /reauth", what, r.StatusCode, r.Header.Get("Location"))
		}
	}
	if h.user("sam").Role != models.RoleModerator || countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'anonymous.reveal'`) != 0 {
		t.Fatal("a stale session changed a role or revealed an author")
	}
	// The re-authentication page takes a code from the app, and comes back.
	loc := stale["document"].Header.Get("Location")
	if page := b.get(loc); !strings.Contains(page.body, `name="code"`) {
		t.Fatal("the re-authentication page offers no code field")
	}
	if r := b.post("/reauth", url.Values{"code": {"123456"}, "next": {docURL}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a wrong code at /reauth: %d", r.StatusCode)
	}
	r := b.post("/reauth", url.Values{"code": {h.code(secret)}, "next": {docURL}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != docURL {
		t.Fatalf("a right code at /reauth: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := b.get(docURL); r.StatusCode != http.StatusOK {
		t.Fatalf("document after confirming: %d", r.StatusCode)
	}
	b.get("/admin/users")
	if r := b.post(setRole, url.Values{"role": {"member"}, "reason": {"Stepped down"}}); strings.HasPrefix(r.Header.Get("Location"), "/reauth") || h.user("sam").Role != models.RoleMember {
		t.Fatalf("role change after confirming: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	h.clock.Advance(9 * time.Minute)
	b.get("/admin/users")
	if r := b.post(reveal, url.Values{"reveal_reason": {"Police request"}}); strings.HasPrefix(r.Header.Get("Location"), "/reauth") {
		t.Fatalf("reveal nine minutes after confirming: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'anonymous.reveal'`) != 1 {
		t.Fatal("the reveal in sudo mode did not happen")
	}

	// The API: sudo actions need a current code in X-Kindred-Code.
	h.nextStep()
	_, token, err := h.app.Auth.CreateAPIToken(context.Background(), h.user("boss"), auth.TokenForm{Name: "api", Scope: "write"})
	if err != nil {
		t.Fatal(err)
	}
	if res := h.api(http.MethodGet, "/api/v1"+docURL, token, nil); res.Status != http.StatusForbidden || !strings.Contains(res.Raw, `"reauth_required"`) {
		t.Fatalf("API document without a code: %d %s", res.Status, res.Raw)
	}
	if res := h.api(http.MethodPost, "/api/v1/moderation/items/thread/"+itoa(th.ID)+"/reveal", token, map[string]any{"reason": "again"}); res.Status != http.StatusForbidden || !strings.Contains(res.Raw, `"reauth_required"`) {
		t.Fatalf("API reveal without a code: %d %s", res.Status, res.Raw)
	}
	code := h.code(secret)
	if res := h.api(http.MethodGet, "/api/v1"+docURL, token, nil, "X-Kindred-Code", code); res.Status != http.StatusOK {
		t.Fatalf("API document with a code: %d %s", res.Status, res.Raw)
	}
	if res := h.api(http.MethodGet, "/api/v1"+docURL, token, nil, "X-Kindred-Code", code); res.Status != http.StatusForbidden {
		t.Fatalf("API document with the same code again: %d", res.Status)
	}
}

// The owner hears by e-mail of every change to their sign-in methods and
// of sign-ins from browsers new to the account; no e-mail carries a code
// or the secret.
func TestMFAAlerts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mfa: true, workers: true})
	h.account("ann", models.RoleMember)
	const addr = "ann@example.org"
	b := h.browser()
	b.signIn("ann", goodPassword)
	h.mailbox.Wait(t, addr, "New sign-in", 20*time.Second)
	secret, codes := b.enrolInBrowser()
	h.mailbox.Wait(t, addr, "sign-in method", 20*time.Second)
	b.get("/account/security")
	regenerated := b.post("/account/security/recovery-codes", nil)
	newCodes := recoveryRe.FindAllStringSubmatch(regenerated.body, -1)
	if len(newCodes) != auth.RecoveryCodeCount {
		t.Fatalf("%d new recovery codes shown", len(newCodes))
	}
	b.get("/account/security")
	b.post("/account/security/totp/delete", nil)
	// The same browser again: known, no alert. Another browser: an alert.
	b.post("/signout", nil)
	b.signIn("ann", goodPassword)
	h.browser().signIn("ann", goodPassword)
	deadline := time.Now().Add(20 * time.Second)
	var subjects []string
	for {
		subjects = subjects[:0]
		newDevice, changes := 0, 0
		for _, m := range mailTo(h.mailbox, addr) {
			subjects = append(subjects, m.Subject)
			switch {
			case strings.Contains(m.Subject, "New sign-in"):
				newDevice++
			case strings.Contains(m.Subject, "sign-in method"):
				changes++
			}
			for _, secretish := range append([]string{secret, strings.ToLower(secret)}, codes...) {
				if strings.Contains(m.Raw, secretish) {
					t.Fatalf("an e-mail carries a secret or code: %q", m.Subject)
				}
			}
			for _, c := range newCodes {
				if strings.Contains(m.Raw, c[1]) {
					t.Fatalf("an e-mail carries a recovery code: %q", m.Subject)
				}
			}
		}
		if newDevice == 2 && changes == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("e-mails: %q; want 2 new-sign-in and 3 sign-in-method alerts", subjects)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, what := range []string{"authenticator app was added", "New recovery codes were made", "authenticator app was removed"} {
		found := false
		for _, m := range mailTo(h.mailbox, addr) {
			found = found || strings.Contains(m.Body, what)
		}
		if !found {
			t.Errorf("no e-mail says %q", what)
		}
	}
	if countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action IN ('mfa.totp.added', 'mfa.recovery_codes.regenerated', 'mfa.totp.removed')`) != 3 {
		t.Error("factor changes not audited")
	}
}

// The JSON API: factors without secrets, adding the app, and removing it
// or making new recovery codes only with a current code.
func TestMFAAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mfa: true})
	h.account("ann", models.RoleMember)
	token := h.tokenFor("ann", "write")
	if res := h.api(http.MethodGet, "/api/v1/me/mfa", token, nil); res.Status != http.StatusOK || !strings.Contains(res.Raw, `"totp":false`) {
		t.Fatalf("GET /me/mfa: %d %s", res.Status, res.Raw)
	}
	begin := h.api(http.MethodPost, "/api/v1/me/mfa/totp", token, map[string]any{})
	secret, _ := begin.Body["secret"].(string)
	if begin.Status != http.StatusCreated || secret == "" || !strings.HasPrefix(begin.Body["otpauth_uri"].(string), "otpauth://totp/") {
		t.Fatalf("begin: %d %s", begin.Status, begin.Raw)
	}
	if res := h.api(http.MethodPost, "/api/v1/me/mfa/totp/confirm", token, map[string]any{"code": "000000"}); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("confirm with a wrong code: %d", res.Status)
	}
	conf := h.api(http.MethodPost, "/api/v1/me/mfa/totp/confirm", token, map[string]any{"code": h.code(secret)})
	if conf.Status != http.StatusOK || len(conf.Body["recovery_codes"].([]any)) != auth.RecoveryCodeCount {
		t.Fatalf("confirm: %d %s", conf.Status, conf.Raw)
	}
	status := h.api(http.MethodGet, "/api/v1/me/mfa", token, nil)
	if !strings.Contains(status.Raw, `"totp":true`) || !strings.Contains(status.Raw, `"recovery_codes_left":10`) || strings.Contains(status.Raw, secret) {
		t.Fatalf("GET /me/mfa after: %s", status.Raw)
	}
	if res := h.api(http.MethodPost, "/api/v1/me/mfa/totp", token, map[string]any{}); res.Status != http.StatusConflict {
		t.Fatalf("a second app: %d", res.Status)
	}
	h.nextStep()
	if res := h.api(http.MethodPost, "/api/v1/me/mfa/recovery-codes", token, map[string]any{"code": "111111"}); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("new recovery codes with a wrong code: %d", res.Status)
	}
	if res := h.api(http.MethodPost, "/api/v1/me/mfa/recovery-codes", token, map[string]any{"code": h.code(secret)}); res.Status != http.StatusOK {
		t.Fatalf("new recovery codes: %d %s", res.Status, res.Raw)
	}
	h.nextStep()
	if res := h.api(http.MethodDelete, "/api/v1/me/mfa/totp", token, map[string]any{}); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("remove without a code: %d", res.Status)
	}
	if res := h.api(http.MethodDelete, "/api/v1/me/mfa/totp", token, map[string]any{"code": h.code(secret)}); res.Status != http.StatusNoContent {
		t.Fatalf("remove: %d %s", res.Status, res.Raw)
	}
	if res := h.api(http.MethodGet, "/api/v1/me/mfa", token, nil); !strings.Contains(res.Raw, `"totp":false`) || !strings.Contains(res.Raw, `"recovery_codes_left":0`) {
		t.Fatalf("after removal: %s", res.Raw)
	}
}

// A clinician holds patients' private questions: without a second factor
// they can neither open one nor act on it (page or API), while the member
// who asked is not asked for one. With the factor the same offer is taken.
func TestClinicianQuestionActionsNeedTheSecondFactor(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mfa: true})
	h.licensing()
	h.forum("heart-health", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	h.account("qm_asker", models.RoleMember)
	h.clinician("qm_doc", "cardiology")
	q := h.ask("qm_asker", "heart-health", "Racing heart after my new tablets", "Since I started the new tablets my heart races at night. Should I stop them?")
	offer := h.pendingOffer(q.ID)
	if offer == 0 {
		t.Fatal("the question was not offered to the clinician")
	}
	id := itoa(q.ID)
	doc := h.browser()
	doc.signIn("qm_doc", goodPassword)
	for _, r := range []*resp{doc.get("/questions/" + id), func() *resp { doc.get("/account"); return doc.post("/questions/"+id+"/accept", nil) }()} {
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/account/security") {
			t.Fatalf("a clinician without a second factor: %d to %q, want the set-up page", r.StatusCode, r.Header.Get("Location"))
		}
	}
	_, token, err := h.app.Auth.CreateAPIToken(context.Background(), h.user("qm_doc"), auth.TokenForm{Name: "before", Scope: "write"})
	if err != nil {
		t.Fatal(err)
	}
	if res := h.api(http.MethodPost, "/api/v1/questions/"+id+"/accept", token, map[string]any{}); res.Status != http.StatusForbidden || !strings.Contains(res.Raw, `"mfa_required"`) {
		t.Fatalf("API accept without a second factor: %d %s", res.Status, res.Raw)
	}
	if got := h.question(q.ID); got.Status != models.QuestionOffered || got.AcceptedAt != nil {
		t.Fatalf("the question was taken without a second factor: %s", got.Status)
	}
	asker := h.browser()
	asker.signIn("qm_asker", goodPassword)
	if r := asker.get("/questions/" + id); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Racing heart") {
		t.Fatalf("the asker cannot open their question: %d", r.StatusCode)
	}
	secret, _ := h.enrolTOTP("qm_doc")
	doc = h.browser()
	doc.signInWithCode("qm_doc", goodPassword, secret)
	if r := doc.get("/questions/" + id); r.StatusCode != http.StatusOK {
		t.Fatalf("the enrolled clinician cannot open the offered question: %d", r.StatusCode)
	}
	if r := doc.post("/questions/"+id+"/accept", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the enrolled clinician cannot accept: %d", r.StatusCode)
	}
	if got := h.question(q.ID); got.Status != models.QuestionAssigned || got.AssigneeID == nil || *got.AssigneeID != h.user("qm_doc").ID {
		t.Fatal("the enrolled clinician's acceptance did not take the question")
	}
}

// The passkey endpoints of /reauth refuse what they should: no CSRF token,
// an account without a passkey, and an answer to no challenge, which counts
// against the second step's limit and leaves the session unconfirmed.
func TestReauthPasskeyRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mfa: true, localhost: true})
	h.account("rp_ana", models.RoleMember)
	b := h.browser()
	b.signIn("rp_ana", goodPassword)
	b.get("/reauth")
	jsonPost := func(path, csrf, body string) *resp {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		return b.do(req)
	}
	if r := jsonPost("/reauth/passkey/begin", "", "{}"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("begin without a CSRF token: %d", r.StatusCode)
	}
	if r := jsonPost("/reauth/passkey/begin", b.csrf, "{}"); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `"no_passkey"`) {
		t.Fatalf("begin without a passkey: %d %s", r.StatusCode, r.body)
	}
	h.clock.Advance(11 * time.Minute)
	if r := jsonPost("/reauth/passkey/finish?next=/account", b.csrf, `{"id":"x","type":"public-key","response":{}}`); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `"passkey_refused"`) {
		t.Fatalf("an answer to no challenge: %d %s", r.StatusCode, r.body)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM rate_limits WHERE key = 'mfa:user:`+itoa(h.user("rp_ana").ID)+`'`); n != 1 {
		t.Fatal("the refused passkey was not counted")
	}
	// Still not confirmed: a sudo action sends the member to /reauth.
	b.get("/account")
	if r := b.post("/account/tokens", url.Values{"name": {"after"}, "scope": {"read"}}); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/reauth") {
		t.Fatalf("after a refused passkey the session counts as confirmed: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}
