package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/app/web"
)

// A victim's unused sign-in code, replayed by an attacker with the
// attacker's own valid state, must not sign the attacker in: the code was
// bound to the victim's PKCE challenge and the id_token to the victim's
// nonce. (Before PKCE and nonce it signed the attacker in as the victim.)
func TestSSOStolenCodeDoesNotWorkInAnotherBrowser(t *testing.T) {
	t.Parallel()
	h, op := ssoHarness(t, nil, person("dana", "sub-dana", "dana@stbrigid.example"))
	// Dana has an account.
	dana := h.browser()
	if r := ssoSignIn(t, dana, newAtProvider(t, op), "/auth/hospital", "dana"); r.Header.Get("Location") != "/auth/complete" {
		t.Fatalf("first sign-in: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	dana.get("/auth/complete")
	if r := dana.post("/auth/complete", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {"dana_r"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose handle: %d", r.StatusCode)
	}
	// Dana starts again; the code leaks before her browser uses it.
	victim := h.browser()
	r := victim.get("/auth/hospital")
	stolen := newAtProvider(t, op).authorize(r.Header.Get("Location"), "dana").Query().Get("code")
	if stolen == "" {
		t.Fatal("no code")
	}
	// The attacker starts a sign-in of their own and swaps in the code.
	attacker := h.browser()
	ar := attacker.get("/auth/hospital")
	loc, _ := url.Parse(ar.Header.Get("Location"))
	cb := attacker.get("/auth/hospital/callback?" + url.Values{"state": {loc.Query().Get("state")}, "code": {stolen}}.Encode())
	if cb.StatusCode != http.StatusForbidden || attacker.cookie(web.SessionCookie) != "" {
		t.Fatalf("stolen code in the attacker's browser: %d %s", cb.StatusCode, cb.Header.Get("Location"))
	}
	if !strings.Contains(cb.body, "could not be confirmed") {
		t.Errorf("refusal page: %s", cb.body)
	}
	authz := op.AuthorizeRequests()
	if last := authz[len(authz)-1]; last.Get("code_challenge") == "" || last.Get("code_challenge_method") != "S256" || last.Get("nonce") == "" {
		t.Errorf("Kindred sent no PKCE challenge or nonce: %v", last)
	}
	tokens := op.TokenRequests()
	if last := tokens[len(tokens)-1]; last.Get("code_verifier") == "" {
		t.Errorf("the token request carried no PKCE verifier: %v", last)
	}
}

// Only code and state are read from the callback: a redirect_uri or
// code_verifier added to it never reaches the token request, so a code
// issued for another registered address is refused. (goth forwarded both.)
func TestSSOCallbackParametersNeverReachTheTokenRequest(t *testing.T) {
	t.Parallel()
	h, op := ssoHarness(t, nil, person("eli", "sub-eli", "eli@stbrigid.example"))
	b := h.browser()
	r := b.get("/auth/hospital")
	authURL, _ := url.Parse(r.Header.Get("Location"))
	state := authURL.Query().Get("state")
	// The code is issued for the other registered address.
	q := authURL.Query()
	q.Set("redirect_uri", otherRedirect(h))
	authURL.RawQuery = q.Encode()
	back := newAtProvider(t, op).authorize(authURL.String(), "eli")
	if back.Path != "/elsewhere/callback" || back.Query().Get("state") != state {
		t.Fatalf("the provider sent the code to %s", back)
	}
	cb := b.get("/auth/hospital/callback?" + url.Values{"state": {state}, "code": {back.Query().Get("code")},
		"redirect_uri": {otherRedirect(h)}, "code_verifier": {"chosen-by-the-attacker-0123456789012345678901234"}}.Encode())
	if cb.StatusCode != http.StatusForbidden || b.cookie(web.SessionCookie) != "" || b.cookie("kindred_pending") != "" {
		t.Fatalf("code for another redirect address: %d %s", cb.StatusCode, cb.Header.Get("Location"))
	}
	tokens := op.TokenRequests()
	last := tokens[len(tokens)-1]
	if last.Get("redirect_uri") != h.cfg.BaseURL.String()+"/auth/hospital/callback" || strings.HasPrefix(last.Get("code_verifier"), "chosen-by") {
		t.Fatalf("the token request took the callback's parameters: redirect_uri %q code_verifier %q", last.Get("redirect_uri"), last.Get("code_verifier"))
	}
}

// Accounts are keyed by (provider, issuer, subject): after Kindred is
// pointed at another provider where a different person has the same
// subject, that person gets a new account, not the first person's.
func TestSSOSubjectsAreBoundToTheirIssuer(t *testing.T) {
	t.Parallel()
	first := testenv.NewOpenIDProvider(t)
	first.AddUser(person("fatima", "employee-1001", "fatima@stbrigid.example"))
	h := newHarness(t, harnessOpts{env: ssoEnv(first, "hospital", "St. Brigid's Health", nil)})
	registerKindred(h, first, "hospital")
	b := h.browser()
	ssoSignIn(t, b, newAtProvider(t, first), "/auth/hospital", "fatima")
	b.get("/auth/complete")
	if r := b.post("/auth/complete", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {"fatima_k"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("choose handle: %d", r.StatusCode)
	}

	// The hospital moves to another provider, where employee-1001 is Greg.
	second := testenv.NewOpenIDProvider(t)
	second.AddUser(person("greg", "employee-1001", "greg@stbrigid.example"))
	h.restartWith(ssoEnv(second, "hospital", "St. Brigid's Health", nil))
	registerKindred(h, second, "hospital")
	g := h.browser()
	r := ssoSignIn(t, g, newAtProvider(t, second), "/auth/hospital", "greg")
	if r.Header.Get("Location") != "/auth/complete" || g.cookie(web.SessionCookie) != "" {
		t.Fatalf("the same subject at another issuer reached an existing account: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	var issuers []string
	h.app.DB.Gorm.Raw(`SELECT issuer FROM identities ORDER BY id`).Scan(&issuers)
	if len(issuers) != 1 || issuers[0] != first.Issuer {
		t.Fatalf("identities: %v", issuers)
	}

	// An admin links Fatima's identity to the new issuer on purpose
	// (kindred sso relink; Greg's pending sign-in made no identity).
	plan := auth.RelinkPlan{Provider: "hospital", FromIssuer: first.Issuer, ToIssuer: second.Issuer}
	if res, err := auth.RelinkIdentities(context.Background(), h.app.DB, plan); err != nil || res.Moved != 1 {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM identities WHERE issuer = '`+second.Issuer+`'`); n != 0 {
		t.Fatal("a dry run changed identities")
	}
	plan.Apply = true
	if res, err := auth.RelinkIdentities(context.Background(), h.app.DB, plan); err != nil || res.Moved != 1 {
		t.Fatalf("relink: %+v %v", res, err)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'sso.relink'`); n != 1 {
		t.Errorf("%d relink audit records", n)
	}
	g2 := h.browser()
	ssoSignIn(t, g2, newAtProvider(t, second), "/auth/hospital", "greg")
	if home := g2.get("/"); !strings.Contains(home.body, ">fatima_k<") {
		t.Error("after the explicit relink, the new issuer's subject does not reach the linked account")
	}
}

// A relink with a subject map moves only the people it names, and never
// onto a subject the new issuer already has.
func TestSSORelinkWithMapAndConflicts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	for i, row := range [][3]string{{"alma", "https://old.example", "e-1"}, {"bert", "https://old.example", "e-2"}, {"cleo", "https://old.example", "e-3"}, {"dora", "https://new.example", "n-3"}} {
		h.account(row[0], "member")
		if err := h.app.DB.Gorm.Exec(`INSERT INTO identities (user_id, provider, issuer, subject) VALUES (?, 'hospital', ?, ?)`, h.user(row[0]).ID, row[1], row[2]).Error; err != nil {
			t.Fatal(i, err)
		}
	}
	res, err := auth.RelinkIdentities(context.Background(), h.app.DB, auth.RelinkPlan{Provider: "hospital", FromIssuer: "https://old.example", ToIssuer: "https://new.example",
		Subjects: map[string]string{"e-1": "n-1", "e-3": "n-3"}, Apply: true})
	if err != nil || res.Moved != 1 || res.Unmapped != 1 || res.Conflicts != 1 {
		t.Fatalf("%+v %v", res, err)
	}
	var subject string
	h.app.DB.Gorm.Raw(`SELECT subject FROM identities WHERE user_id = ? AND issuer = 'https://new.example'`, h.user("alma").ID).Scan(&subject)
	if subject != "n-1" {
		t.Errorf("alma's new subject %q", subject)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM identities WHERE issuer = 'https://old.example'`); n != 2 {
		t.Errorf("%d identities left at the old issuer, want 2 (bert unmapped, cleo in conflict)", n)
	}
}
