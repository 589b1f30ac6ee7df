package config

import (
	"reflect"
	"strings"
	"testing"
)

// Several OpenID Connect providers: the older single-provider settings
// make the "oidc" one; KINDRED_OIDC_PROVIDERS adds others, each read from
// its own prefix, with policies.
func TestOIDCProviders(t *testing.T) {
	m := valid()
	for k, v := range map[string]string{
		"KINDRED_OIDC_ISSUER": "https://sso.example/", "KINDRED_OIDC_CLIENT_ID": "a", "KINDRED_OIDC_CLIENT_SECRET": "b",
		"KINDRED_OIDC_PROVIDERS":                    "staff, patient-portal",
		"KINDRED_OIDC_STAFF_ISSUER":                 "https://login.stbrigid.example/realms/staff",
		"KINDRED_OIDC_STAFF_CLIENT_ID":              "kindred",
		"KINDRED_OIDC_STAFF_CLIENT_SECRET":          "s3cret",
		"KINDRED_OIDC_STAFF_NAME":                   "St. Brigid's staff",
		"KINDRED_OIDC_STAFF_ALLOWED_DOMAINS":        "StBrigid.example, clinic.stbrigid.example",
		"KINDRED_OIDC_STAFF_ADMIN_GROUPS":           "kindred-admins",
		"KINDRED_OIDC_STAFF_MODERATOR_GROUPS":       "kindred-mods,community",
		"KINDRED_OIDC_STAFF_SSO_ONLY":               "true",
		"KINDRED_OIDC_STAFF_SCOPES":                 "email groups",
		"KINDRED_OIDC_STAFF_REAUTH_ACR":             "urn:stbrigid:mfa",
		"KINDRED_OIDC_PATIENT_PORTAL_ISSUER":        "https://portal.stbrigid.example",
		"KINDRED_OIDC_PATIENT_PORTAL_CLIENT_ID":     "kindred",
		"KINDRED_OIDC_PATIENT_PORTAL_CLIENT_SECRET": "other",
	} {
		m[k] = v
	}
	c, err := Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range c.OIDCProviders {
		keys = append(keys, p.Key)
	}
	if !reflect.DeepEqual(keys, []string{"oidc", "staff", "patient-portal"}) {
		t.Fatalf("providers %v", keys)
	}
	if c.OIDCProviders[0].Issuer != "https://sso.example/" {
		t.Errorf("issuer changed: %q (it must match the provider's exactly)", c.OIDCProviders[0].Issuer)
	}
	s := c.OIDCProviders[1]
	if !s.SSOOnly || !s.MapsRoles() || s.DisplayName != "St. Brigid's staff" || !reflect.DeepEqual(s.AllowedDomains, []string{"stbrigid.example", "clinic.stbrigid.example"}) ||
		!reflect.DeepEqual(s.Scopes, []string{"openid", "email", "groups"}) || !reflect.DeepEqual(s.ModeratorGroups, []string{"kindred-mods", "community"}) ||
		s.GroupsClaim != "groups" || !reflect.DeepEqual(s.ReauthACR, []string{"urn:stbrigid:mfa"}) {
		t.Errorf("staff provider: %+v", s)
	}
	if p := c.OIDCProviders[2]; p.SSOOnly || p.MapsRoles() || p.DisplayName != "single sign-on" {
		t.Errorf("patient portal: %+v", p)
	}
}

func TestOIDCProviderMistakesAreNamed(t *testing.T) {
	m := valid()
	for k, v := range map[string]string{
		"KINDRED_OIDC_PROVIDERS":             "google, Bad_Key, staff, staff, missing",
		"KINDRED_OIDC_STAFF_ISSUER":          "login.stbrigid.example",
		"KINDRED_OIDC_STAFF_ALLOWED_DOMAINS": "@stbrigid.example",
		"KINDRED_OIDC_STAFF_CLIENT_ID":       "kindred",
		"KINDRED_OIDC_MISSING_CLIENT_ID":     "x",
		"KINDRED_OIDC_MISSING_CLIENT_SECRET": "y",
	} {
		m[k] = v
	}
	_, err := Load(env(m))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`"google" is reserved`, `"bad_key" is not a provider key`, `"staff" is listed twice`,
		"KINDRED_OIDC_STAFF_ISSUER: must be the provider's issuer URL", "KINDRED_OIDC_STAFF_CLIENT_ID: KINDRED_OIDC_STAFF_CLIENT_ID and KINDRED_OIDC_STAFF_CLIENT_SECRET are required",
		`KINDRED_OIDC_STAFF_ALLOWED_DOMAINS: "@stbrigid.example" is not a domain`, "KINDRED_OIDC_MISSING_ISSUER: is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%s", want, err)
		}
	}
}
