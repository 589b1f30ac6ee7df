package config

import (
	"net/url"
	"regexp"
	"strings"
)

// OIDC configures one OpenID Connect provider found by discovery. The
// provider named by KINDRED_OIDC_ISSUER has the key "oidc"; those listed in
// KINDRED_OIDC_PROVIDERS are read from KINDRED_OIDC_<KEY>_*.
type OIDC struct {
	Key          string // URL segment (/auth/<key>) and the identity's provider
	Issuer       string
	ClientID     string
	ClientSecret string
	DisplayName  string
	Scopes       []string // always includes openid
	// Who may join or sign in: e-mail domains (the provider must say the
	// address is verified) and groups, any one of which is enough. Empty
	// means no limit.
	AllowedDomains []string
	RequiredGroups []string
	GroupsClaim    string // the id_token claim that lists groups
	// Groups whose members get a staff role at every sign-in through this
	// provider; the provider then decides the role (member otherwise).
	ModeratorGroups []string
	AdminGroups     []string
	// SSOOnly accounts, created through this provider, cannot set a local
	// password or create API tokens unless an admin allows it.
	SSOOnly bool
	// ReauthACR, when set, is asked for (acr_values) when a member proves
	// who they are again before a sensitive action, and the answer must
	// carry one of these values: the provider's multi-factor level.
	ReauthACR []string
}

// Enabled reports whether the provider is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// MapsRoles reports whether the provider decides staff roles.
func (o OIDC) MapsRoles() bool { return len(o.ModeratorGroups)+len(o.AdminGroups) > 0 }

var providerKey = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)

// reservedProviderKeys are taken by Kindred's own /auth/ routes or providers.
var reservedProviderKeys = map[string]bool{"google": true, "github": true, "complete": true, "reauth": true, "backchannel": true}

func list(v string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// oidcProviders reads the legacy single provider and the listed ones.
func (r *reader) oidcProviders() []OIDC {
	var out []OIDC
	if r.str("KINDRED_OIDC_ISSUER", "") != "" {
		out = append(out, r.oidcProvider("oidc", "KINDRED_OIDC_"))
	}
	seen := map[string]bool{"oidc": len(out) > 0}
	for _, key := range list(r.str("KINDRED_OIDC_PROVIDERS", "")) {
		key = strings.ToLower(key)
		switch {
		case !providerKey.MatchString(key):
			r.fail("KINDRED_OIDC_PROVIDERS", "%q is not a provider key: use lowercase letters, digits and dashes, starting with a letter (at most 20)", key)
			continue
		case reservedProviderKeys[key]:
			r.fail("KINDRED_OIDC_PROVIDERS", "%q is reserved: choose another key", key)
			continue
		case seen[key]:
			r.fail("KINDRED_OIDC_PROVIDERS", "%q is listed twice (or is also set by KINDRED_OIDC_ISSUER)", key)
			continue
		}
		seen[key] = true
		prefix := "KINDRED_OIDC_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_")) + "_"
		p := r.oidcProvider(key, prefix)
		if p.Issuer == "" {
			r.fail(prefix+"ISSUER", "is required for the provider %q listed in KINDRED_OIDC_PROVIDERS", key)
			continue
		}
		out = append(out, p)
	}
	return out
}

func (r *reader) oidcProvider(key, prefix string) OIDC {
	p := OIDC{
		Key: key,
		// Exactly as the provider states it: some issuers end in "/".
		Issuer:          r.str(prefix+"ISSUER", ""),
		ClientID:        r.str(prefix+"CLIENT_ID", ""),
		ClientSecret:    r.str(prefix+"CLIENT_SECRET", ""),
		DisplayName:     r.str(prefix+"NAME", "single sign-on"),
		Scopes:          list(r.str(prefix+"SCOPES", "openid email profile")),
		AllowedDomains:  list(strings.ToLower(r.str(prefix+"ALLOWED_DOMAINS", ""))),
		RequiredGroups:  list(r.str(prefix+"REQUIRED_GROUPS", "")),
		GroupsClaim:     r.str(prefix+"GROUPS_CLAIM", "groups"),
		ModeratorGroups: list(r.str(prefix+"MODERATOR_GROUPS", "")),
		AdminGroups:     list(r.str(prefix+"ADMIN_GROUPS", "")),
		SSOOnly:         r.boolean(prefix+"SSO_ONLY", false),
		ReauthACR:       list(r.str(prefix+"REAUTH_ACR", "")),
	}
	if p.Issuer != "" {
		if u, err := url.Parse(p.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			r.fail(prefix+"ISSUER", "must be the provider's issuer URL, such as https://login.example-hospital.ca/realms/staff")
		}
		if p.ClientID == "" || p.ClientSecret == "" {
			r.fail(prefix+"CLIENT_ID", "%sCLIENT_ID and %sCLIENT_SECRET are required with %sISSUER", prefix, prefix, prefix)
		}
	}
	hasOpenID := false
	for _, s := range p.Scopes {
		hasOpenID = hasOpenID || s == "openid"
	}
	if !hasOpenID {
		p.Scopes = append([]string{"openid"}, p.Scopes...)
	}
	for _, d := range p.AllowedDomains {
		if strings.Contains(d, "@") || !strings.Contains(d, ".") {
			r.fail(prefix+"ALLOWED_DOMAINS", "%q is not a domain: list domains such as example-hospital.ca, separated by commas", d)
		}
	}
	return p
}
