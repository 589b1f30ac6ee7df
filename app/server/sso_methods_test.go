package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A member adds and removes sign-in methods in their settings: each needs
// a recent proof of identity, the last way to sign in is never removed,
// and every change is audited. Re-authentication at the provider really
// asks the person to sign in again (prompt=login, max_age=0, auth_time).
func TestSSOSignInMethods(t *testing.T) {
	t.Parallel()
	h, op := ssoHarness(t, map[string]string{"REAUTH_ACR": "urn:stbrigid:mfa"}, person("val", "sub-val", "val@stbrigid.example"), person("wes", "sub-wes", "wes@stbrigid.example"))
	// Val has a password account and links the hospital provider.
	val := h.member("val_pw")
	settings := val.get("/account")
	if !strings.Contains(settings.body, "Sign-in methods") || !strings.Contains(settings.body, "Add St. Brigid") {
		t.Fatal("settings do not offer to add the provider")
	}
	at := newAtProvider(t, op)
	r := val.post("/account/sign-in/link/hospital", nil)
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), op.Issuer) {
		t.Fatalf("link: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	back := at.authorize(r.Header.Get("Location"), "val")
	if r := val.get(back.RequestURI()); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/account#sign-in" {
		t.Fatalf("link callback: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if !strings.Contains(val.get("/account").body, "Last used") {
		t.Error("the linked provider is not listed")
	}
	// Signing in at the provider now reaches Val's account.
	other := h.browser()
	ssoSignIn(t, other, newAtProvider(t, op), "/auth/hospital", "val")
	if !strings.Contains(other.get("/").body, ">val_pw<") {
		t.Fatal("the linked provider does not sign in to Val's account")
	}
	// Wes's provider account cannot be linked to a second Kindred account.
	joinAs(t, h, op, "wes", "wes_w")
	r = val.post("/account/sign-in/link/hospital", nil)
	back = newAtProvider(t, op).authorize(r.Header.Get("Location"), "wes")
	if r := val.get(back.RequestURI()); r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "another Kindred account") {
		t.Errorf("linking someone else's identity: %d", r.StatusCode)
	}

	// Eleven minutes later, removing it asks Val to confirm first.
	h.clock.Advance(11 * time.Minute)
	var identityID int64
	h.app.DB.Gorm.Raw(`SELECT id FROM identities WHERE user_id = ?`, h.user("val_pw").ID).Scan(&identityID)
	unlink := "/account/sign-in/" + itoa(identityID) + "/unlink"
	if r := val.get(unlink); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/reauth?") {
		t.Fatalf("stale unlink page: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	val.get("/reauth?next=" + url.QueryEscape(unlink))
	if r := val.post("/reauth", url.Values{"password": {"not my password at all"}, "next": {unlink}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("wrong password: %d", r.StatusCode)
	}
	if r := val.post("/reauth", url.Values{"password": {goodPassword}, "next": {unlink}}); r.Header.Get("Location") != unlink {
		t.Fatalf("reauth: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if page := val.get(unlink); page.StatusCode != http.StatusOK || !strings.Contains(page.body, "Remove St. Brigid") {
		t.Fatalf("confirm page: %d", page.StatusCode)
	}
	if r := val.post(unlink, nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("unlink: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM identities WHERE user_id = `+itoa(h.user("val_pw").ID)); n != 0 {
		t.Fatal("the identity is still linked")
	}

	// Wes signs in only with the provider: his one method cannot go.
	wes := joinAs(t, h, op, "wes", "")
	wesAt := newAtProvider(t, op)
	h.app.DB.Gorm.Raw(`SELECT id FROM identities WHERE user_id = ?`, h.user("wes_w").ID).Scan(&identityID)
	wes.get("/account")
	if r := wes.post("/account/sign-in/"+itoa(identityID)+"/unlink", nil); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "only way to sign in") {
		t.Errorf("unlinking the last method: %d", r.StatusCode)
	}
	// Later, creating an API token sends Wes to sign in again at the
	// provider, which must show its login form even though Wes is signed
	// in there, and say the stronger method was used.
	ssoSignIn(t, h.browser(), wesAt, "/auth/hospital", "wes") // a provider session in wesAt
	h.clock.Advance(11 * time.Minute)
	wes.get("/account")
	r = wes.post("/account/tokens", url.Values{"name": {"export"}, "scope": {"read"}, "expires_in_days": {"30"}})
	if !strings.HasPrefix(r.Header.Get("Location"), "/reauth?") {
		t.Fatalf("stale token creation: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	page := wes.get(r.Header.Get("Location"))
	if strings.Contains(page.body, `name="password"`) || !strings.Contains(page.body, `action="/reauth/hospital"`) {
		t.Fatal("the reauth page does not offer the provider to a member without a password")
	}
	r = wes.post("/reauth/hospital", url.Values{"next": {"/account#tokens"}})
	authz, _ := url.Parse(r.Header.Get("Location"))
	if q := authz.Query(); q.Get("prompt") != "login" || q.Get("max_age") != "0" || q.Get("acr_values") != "urn:stbrigid:mfa" {
		t.Fatalf("reauth request: %v", q)
	}
	logins := wesAt.logins
	back = wesAt.authorize(authz.String(), "wes")
	if wesAt.logins != logins+1 {
		t.Error("the provider did not ask Wes to sign in again")
	}
	if r := wes.get(back.RequestURI()); r.Header.Get("Location") != "/account#tokens" {
		t.Fatalf("reauth callback: %d %s\n%s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	wes.get("/account")
	tr := wes.post("/account/tokens", url.Values{"name": {"export"}, "scope": {"read"}, "expires_in_days": {"30"}})
	if tr.StatusCode != http.StatusCreated {
		t.Fatalf("token after reauth: %d", tr.StatusCode)
	}
	// The API lists the sign-in methods too.
	api := h.api(http.MethodGet, "/api/v1/sign-in-methods", tokenRe.FindStringSubmatch(tr.body)[1], nil)
	if providers, _ := api.Body["providers"].([]any); api.Status != http.StatusOK || len(providers) != 1 || api.Body["password"] != false ||
		providers[0].(map[string]any)["provider"] != "hospital" || providers[0].(map[string]any)["offered"] != true {
		t.Errorf("API sign-in methods: %d %s", api.Status, api.Raw)
	}
	// Val re-authenticating at the provider as Wes is refused.
	h.clock.Advance(11 * time.Minute)
	val.get("/account")
	r = val.post("/account/sign-in/link/hospital", nil)
	back = newAtProvider(t, op).authorize(r.Header.Get("Location"), "val")
	val.get(back.RequestURI())
	val.get("/reauth")
	r = val.post("/reauth/hospital", url.Values{"next": {"/account"}})
	back = newAtProvider(t, op).authorize(r.Header.Get("Location"), "wes")
	if r := val.get(back.RequestURI()); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "someone other than") {
		t.Errorf("reauth as another person: %d", r.StatusCode)
	}
	for _, action := range []string{"sso.link", "sso.unlink", "sso.account_created", "sso.sign_in"} {
		if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = '`+action+`'`); n == 0 {
			t.Errorf("no %s audit record", action)
		}
	}
}

// Re-authentication checks what the provider says about the sign-in: the
// multi-factor level asked for (acr) must be the one used. Here the
// provider answers the level it was asked for, and Kindred is restarted
// between the click and the answer to require a stronger one.
func TestSSOReauthRequiresTheStrongerSignIn(t *testing.T) {
	t.Parallel()
	h, op := ssoHarness(t, map[string]string{"REAUTH_ACR": "urn:stbrigid:mfa"}, person("xia", "sub-xia", "xia@stbrigid.example"))
	xia := joinAs(t, h, op, "xia", "xia_x")
	h.clock.Advance(11 * time.Minute)
	xia.get("/reauth")
	r := xia.post("/reauth/hospital", url.Values{"next": {"/account"}})
	back := newAtProvider(t, op).authorize(r.Header.Get("Location"), "xia")
	h.restartWith(map[string]string{"KINDRED_OIDC_HOSPITAL_REAUTH_ACR": "urn:stbrigid:hardware-key"})
	if r := xia.get(back.RequestURI()); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "Stronger sign-in needed") {
		t.Fatalf("weaker sign-in accepted: %d", r.StatusCode)
	}
	xia.get("/account")
	if r := xia.post("/account/email", url.Values{"email": {"xia@example.org"}}); !strings.HasPrefix(r.Header.Get("Location"), "/reauth") {
		t.Errorf("the session counts as confirmed after a refused re-authentication: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}

// Identities saved before issuers were kept are bound, at the first start,
// to the issuer configured under their key then, and sign in again.
func TestSSOUpgradeBindsOldIdentitiesToTheConfiguredIssuer(t *testing.T) {
	t.Parallel()
	h, op := ssoHarness(t, nil, person("yan", "sub-yan", "yan@stbrigid.example"))
	h.account("yan_old", "member")
	if err := h.app.DB.Gorm.Exec(`INSERT INTO identities (user_id, provider, issuer, subject) VALUES (?, 'hospital', '', 'sub-yan')`, h.user("yan_old").ID).Error; err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	if r := ssoSignIn(t, b, newAtProvider(t, op), "/auth/hospital", "yan"); r.Header.Get("Location") != "/auth/complete" {
		t.Fatalf("an identity with no issuer signed in: %s", r.Header.Get("Location"))
	}
	h.restartWith(nil) // a start binds it
	if n := countWhere(t, h, `SELECT count(*) FROM identities WHERE issuer = '`+op.Issuer+`'`); n != 1 {
		t.Fatalf("%d identities bound", n)
	}
	b = h.browser()
	ssoSignIn(t, b, newAtProvider(t, op), "/auth/hospital", "yan")
	if !strings.Contains(b.get("/").body, ">yan_old<") {
		t.Error("the bound identity does not reach its account")
	}
}
