package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A person signs in through the hospital's real OpenID provider in a real
// browser: provider button, the provider's login page, choose a handle,
// back on the page they started from; PKCE and nonce are in the
// provider's requests; signing out ends the provider's session too; the
// next sign-in goes straight to the account; the provider's back-channel
// logout ends the Kindred session.
func TestBrowserSingleSignOn(t *testing.T) {
	t.Parallel()
	h, op := ssoHarness(t, nil, person("nora", "sub-nora", "nora@stbrigid.example"))
	f := h.forum("heart", nil)
	p := newPage(t, h)

	p.do(chromedp.Navigate(p.url + "/signin?next=/f/" + f.Slug))
	p.checkA11y("sign in with providers")
	p.do(chromedp.Click(chromedp.CSS(`a[href^="/auth/hospital"]`)))
	p.waitJS(`location.href.startsWith("`+op.Issuer+`") && !!document.getElementById("username")`, "the provider's login page")
	p.do(chromedp.SendKeys(chromedp.ID("username"), "nora"), chromedp.SendKeys(chromedp.ID("password"), ssoPassword), chromedp.Click(chromedp.ID("submit")))
	p.waitText("Choose your handle")
	p.checkA11y("choose handle")
	p.submit(`form[action="/auth/complete"]`, "handle", "nora_b")
	p.waitJS(`location.pathname === "/f/`+f.Slug+`"`, "back on the forum the sign-in started from")
	p.waitText("nora_b")

	authz := op.AuthorizeRequests()
	if q := authz[len(authz)-1]; q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" {
		t.Errorf("authorization request without PKCE or nonce: %v", q)
	}
	tokens := op.TokenRequests()
	if q := tokens[len(tokens)-1]; q.Get("code_verifier") == "" || q.Get("redirect_uri") != p.url+"/auth/hospital/callback" {
		t.Errorf("token request: verifier %t, redirect_uri %q", q.Get("code_verifier") != "", q.Get("redirect_uri"))
	}

	// Settings list the provider as a sign-in method.
	p.visit("/account", "Sign-in methods")
	if body := p.eval(`document.getElementById("sign-in").innerText`); !strings.Contains(body, "St. Brigid") {
		t.Errorf("sign-in methods: %s", body)
	}
	p.checkA11y("settings with sign-in methods")

	// Eleven minutes on, an API token needs a fresh sign-in at the
	// provider, which asks for the password again.
	h.clock.Advance(11 * time.Minute)
	p.submit(`form[action="/account/tokens"]`, "name", "my export")
	p.waitText("Confirm it is you")
	p.checkA11y("confirm it is you")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/reauth/hospital"] button`)))
	p.waitJS(`location.href.startsWith("`+op.Issuer+`") && !!document.getElementById("username")`, "the provider asks for the password again")
	p.do(chromedp.SendKeys(chromedp.ID("username"), "nora"), chromedp.SendKeys(chromedp.ID("password"), ssoPassword), chromedp.Click(chromedp.ID("submit")))
	p.waitText("it is confirmed that it is you")
	p.submit(`form[action="/account/tokens"]`, "name", "my export")
	p.waitText("Your new API token")

	// Signing out goes through the provider's logout and back.
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out")
	if n := len(op.EndSessionRequests()); n != 1 {
		t.Errorf("%d logout requests at the provider", n)
	}
	// The provider's session ended too: the next sign-in shows its form,
	// then goes straight to Nora's account.
	p.do(chromedp.Navigate(p.url + "/signin"))
	p.do(chromedp.Click(chromedp.CSS(`a[href^="/auth/hospital"]`)))
	p.waitJS(`!!document.getElementById("username")`, "the provider asks again after logout")
	p.do(chromedp.SendKeys(chromedp.ID("username"), "nora"), chromedp.SendKeys(chromedp.ID("password"), ssoPassword), chromedp.Click(chromedp.ID("submit")))
	p.waitJS(`location.href.startsWith("`+p.url+`/") && !location.pathname.startsWith("/auth")`, "back at Kindred")
	p.waitText("nora_b")

	// The hospital ends Nora's sessions from its side.
	if err := op.BackChannelLogout(ssoClientID, "sub-nora", ""); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Navigate(p.url + "/"))
	p.waitJS(`!document.querySelector('form[action="/signout"]')`, "signed out by the provider")
}
