package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Signing out of a session that began at the provider ends the provider's
// session too (RP-initiated logout), and the provider can end Kindred
// sessions itself (back-channel logout): one provider session by sid, or
// every session of the person; anything but a genuine logout token is
// refused and ends nothing.
func TestSSOLogout(t *testing.T) {
	t.Parallel()
	h, op := ssoHarness(t, nil, person("kit", "sub-kit", "kit@stbrigid.example"), person("lou", "sub-lou", "lou@stbrigid.example"))
	kit := joinAs(t, h, op, "kit", "kit_c")

	// RP-initiated logout.
	kit.get("/")
	r := kit.post("/signout", nil)
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc.String(), op.Issuer) {
		t.Fatalf("sign-out: %d %s", r.StatusCode, loc)
	}
	if loc.Query().Get("id_token_hint") == "" || loc.Query().Get("post_logout_redirect_uri") != h.cfg.BaseURL.String()+"/signed-out" || loc.Query().Get("client_id") != ssoClientID {
		t.Fatalf("logout URL: %s", loc)
	}
	if n := h.count("sessions"); n != 0 {
		t.Fatalf("%d sessions after signing out", n)
	}
	back := newAtProvider(t, op).authorize(loc.String(), "")
	if back.String() != h.cfg.BaseURL.String()+"/signed-out" || len(op.EndSessionRequests()) != 1 {
		t.Fatalf("the provider sent the browser to %s", back)
	}
	if r := kit.get(back.RequestURI()); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Errorf("back from the provider: %d %s", r.StatusCode, r.Header.Get("Location"))
	}

	// Back-channel logout: Kit on a phone and a laptop (two provider
	// sessions), Lou on one.
	phone, laptop := h.browser(), h.browser()
	ssoSignIn(t, phone, newAtProvider(t, op), "/auth/hospital", "kit")
	phoneSid := op.SessionIDs()["sub-kit"]
	ssoSignIn(t, laptop, newAtProvider(t, op), "/auth/hospital", "kit")
	lou := joinAs(t, h, op, "lou", "lou_d")
	signedIn := func(b *browser) bool { return strings.Contains(b.get("/").body, `action="/signout"`) }
	if !signedIn(phone) || !signedIn(laptop) || !signedIn(lou) {
		t.Fatal("not signed in")
	}

	// Refused: an id_token (it has a nonce and no logout event), garbage,
	// and a logout token for another provider key.
	var idToken string
	h.app.DB.Gorm.Raw(`SELECT id_token_hint FROM sessions WHERE id_token_hint <> '' LIMIT 1`).Scan(&idToken)
	for name, form := range map[string]url.Values{
		"an id_token": {"logout_token": {idToken}},
		"garbage":     {"logout_token": {"eyJhbGciOiJub25lIn0.eyJzdWIiOiJzdWIta2l0In0."}},
		"nothing":     {},
	} {
		r, err := http.PostForm(h.srv.URL+"/auth/hospital/backchannel-logout", form)
		if err != nil {
			t.Fatal(err)
		}
		readAll(r)
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", name, r.StatusCode)
		}
	}
	if !signedIn(phone) || !signedIn(laptop) {
		t.Fatal("a refused logout token ended sessions")
	}

	if err := op.BackChannelLogout(ssoClientID, "", phoneSid); err != nil {
		t.Fatal(err)
	}
	if signedIn(phone) || !signedIn(laptop) || !signedIn(lou) {
		t.Fatalf("logout of one provider session: phone %v laptop %v lou %v", signedIn(phone), signedIn(laptop), signedIn(lou))
	}
	if err := op.BackChannelLogout(ssoClientID, "sub-kit", ""); err != nil {
		t.Fatal(err)
	}
	if signedIn(laptop) || !signedIn(lou) {
		t.Fatal("logout of the person did not end exactly their sessions")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'sso.backchannel_logout'`); n != 2 {
		t.Errorf("%d back-channel logout audit records", n)
	}
}
