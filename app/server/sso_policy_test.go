package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// joinAs signs username in at the provider and chooses a handle when it is
// a first sign-in; it returns the browser, signed in.
func joinAs(t *testing.T, h *harness, op *testenv.OpenIDProvider, username, handle string) *browser {
	t.Helper()
	b := h.browser()
	r := ssoSignIn(t, b, newAtProvider(t, op), "/auth/hospital", username)
	if r.Header.Get("Location") == "/auth/complete" {
		b.get("/auth/complete")
		r = b.post("/auth/complete", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {handle}})
	}
	if r.StatusCode != http.StatusSeeOther || b.cookie(web.SessionCookie) == "" {
		t.Fatalf("%s did not get in: %d %s\n%s", username, r.StatusCode, r.Header.Get("Location"), r.body)
	}
	return b
}

// Who may join is the provider's policy: an e-mail domain on the list,
// verified by the provider, and a required group; it is checked at every
// sign-in, so leaving the group ends access here too.
func TestSSOPolicyDomainsAndGroups(t *testing.T) {
	t.Parallel()
	outsider := person("olga", "sub-olga", "olga@gmail.example", "patients")
	unverified := person("uma", "sub-uma", "uma@stbrigid.example", "patients")
	unverified.EmailVerified = false
	nogroup := person("nick", "sub-nick", "nick@stbrigid.example")
	member := person("mia", "sub-mia", "mia@stbrigid.example", "patients")
	h, op := ssoHarness(t, map[string]string{"ALLOWED_DOMAINS": "stbrigid.example, clinic.stbrigid.example", "REQUIRED_GROUPS": "patients,staff"},
		outsider, unverified, nogroup, member)
	for _, who := range []string{"olga", "uma", "nick"} {
		b := h.browser()
		r := ssoSignIn(t, b, newAtProvider(t, op), "/auth/hospital", who)
		if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "cannot join here") || b.cookie("kindred_pending") != "" {
			t.Errorf("%s: %d %s", who, r.StatusCode, r.Header.Get("Location"))
		}
	}
	joinAs(t, h, op, "mia", "mia_j")
	if h.count("users") != 1 {
		t.Fatalf("%d accounts", h.count("users"))
	}
	// Mia leaves the group at the provider: her next sign-in is refused.
	op.AddUser(person("mia", "sub-mia", "mia@stbrigid.example"))
	b := h.browser()
	if r := ssoSignIn(t, b, newAtProvider(t, op), "/auth/hospital", "mia"); r.StatusCode != http.StatusForbidden || b.cookie(web.SessionCookie) != "" {
		t.Errorf("sign-in after leaving the group: %d", r.StatusCode)
	}
}

// Groups map to roles at every sign-in through a provider that maps them;
// never to "verified clinician". Changes are audited.
func TestSSOGroupsMapToRoles(t *testing.T) {
	t.Parallel()
	h, op := ssoHarness(t, map[string]string{"ADMIN_GROUPS": "kindred-admins", "MODERATOR_GROUPS": "kindred-mods,community-team"},
		person("ada", "sub-ada", "ada@stbrigid.example", "staff", "kindred-admins"),
		person("moe", "sub-moe", "moe@stbrigid.example", "community-team"),
		person("pat", "sub-pat", "pat@stbrigid.example", "clinicians"))
	joinAs(t, h, op, "ada", "ada_admin")
	joinAs(t, h, op, "moe", "moe_mod")
	joinAs(t, h, op, "pat", "pat_p")
	for handle, want := range map[string]models.Role{"ada_admin": models.RoleAdmin, "moe_mod": models.RoleModerator, "pat_p": models.RoleMember} {
		if got := h.user(handle).Role; got != want {
			t.Errorf("%s: role %s, want %s", handle, got, want)
		}
	}
	var clinicians int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM credentials`).Scan(&clinicians)
	if clinicians != 0 {
		t.Error("a provider group made someone a clinician")
	}
	// Moe leaves the moderators' group: the next sign-in makes him a member.
	op.AddUser(person("moe", "sub-moe", "moe@stbrigid.example"))
	joinAs(t, h, op, "moe", "")
	if got := h.user("moe_mod").Role; got != models.RoleMember {
		t.Errorf("after leaving the group: %s", got)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'user.role.member' AND from_state = 'moderator' AND reason LIKE 'groups at hospital%'`); n != 1 {
		t.Errorf("%d audit records of the role change", n)
	}
}

// An SSO-only account cannot set a local password, reset one by e-mail or
// create API tokens, until an admin allows it; forbidding them again
// removes the password and revokes the tokens.
func TestSSOOnlyAccounts(t *testing.T) {
	t.Parallel()
	h, op := ssoHarness(t, map[string]string{"SSO_ONLY": "true"}, person("sam", "sub-sam", "sam@stbrigid.example"))
	b := joinAs(t, h, op, "sam", "sam_s")
	if !h.user("sam_s").SSOOnly {
		t.Fatal("the account is not SSO-only")
	}
	settings := b.get("/account")
	if strings.Contains(settings.body, `action="/account/password"`) || strings.Contains(settings.body, `action="/account/tokens"`) {
		t.Error("the settings page offers a password or tokens")
	}
	if r := b.post("/account/password", url.Values{"new_password": {"a long new password 77"}}); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "organisation manages") {
		t.Errorf("local password: %d", r.StatusCode)
	}
	if r := b.post("/account/tokens", url.Values{"name": {"script"}, "scope": {"read"}, "expires_in_days": {"30"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("API token: %d", r.StatusCode)
	}
	if u := h.user("sam_s"); u.PasswordHash != nil || h.count("api_tokens") != 0 {
		t.Fatal("a password or token was saved")
	}
	// An address added later cannot be used to reset a password in.
	if err := h.app.Auth.ChangeEmail(context.Background(), h.user("sam_s"), "sam.home@example.org"); err != nil {
		t.Fatal(err)
	}
	forgot := h.browser()
	forgot.get("/password/forgot")
	if r := forgot.post("/password/forgot", url.Values{"email": {"sam.home@example.org"}}); r.StatusCode != http.StatusOK {
		t.Fatalf("forgot: %d", r.StatusCode) // the same answer as for any address
	}
	if n := countWhere(t, h, `SELECT count(*) FROM river_job WHERE kind = 'account_email' AND args->>'purpose' = 'reset_password'`); n != 0 {
		t.Fatal("a password reset e-mail was queued for an SSO-only account")
	}

	// An admin allows them; the member sets a password; the admin forbids
	// them again and the password stops working.
	admin := h.withRole("ada_admin", models.RoleAdmin)
	admin.get("/admin/users")
	if r := admin.post("/admin/users/"+itoa(h.user("sam_s").ID)+"/sso-only", url.Values{"sso_only": {"off"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("allow: %d", r.StatusCode)
	}
	b.get("/account")
	if r := b.post("/account/password", url.Values{"new_password": {"a long new password 77"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("password once allowed: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if r := h.browser().signIn("sam_s", "a long new password 77"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("password sign-in once allowed: %d", r.StatusCode)
	}
	admin.get("/admin/users")
	admin.post("/admin/users/"+itoa(h.user("sam_s").ID)+"/sso-only", url.Values{"sso_only": {"on"}})
	if r := h.browser().signIn("sam_s", "a long new password 77"); r.StatusCode == http.StatusSeeOther {
		t.Error("the password still works after SSO-only was required again")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action LIKE 'user.sso_only.%'`); n != 2 {
		t.Errorf("%d audit records for the SSO-only switch", n)
	}
	list := admin.get("/admin/users?provider=hospital")
	if !strings.Contains(list.body, "sam_s") || strings.Contains(list.body, `href="/members/ada_admin"`) || !strings.Contains(list.body, "St. Brigid&#39;s Health") {
		t.Error("the admins' list does not show who signs in with the provider")
	}
}
