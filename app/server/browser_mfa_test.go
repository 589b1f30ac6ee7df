package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/kindred-health/kindred/models"
)

// A moderator, sent to set up strong sign-in at their first sign-in, adds
// an authenticator app with the keyboard-usable security page (axe-clean)
// and a passkey on Chromium's virtual authenticator; the next sign-in's
// second step takes the passkey, and staff pages open.
func TestMFABrowserPasskey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mfa: true, localhost: true})
	h.account("mod_pat", models.RoleModerator)
	p := newPage(t, h)
	p.url = strings.Replace(h.srv.URL, "127.0.0.1", "localhost", 1)
	p.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
		return err
	}))

	// First sign-in: to the security page, which is axe-clean.
	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "mod_pat", "password", goodPassword)
	p.waitText("Your role (staff, credential reviewer or verified clinician) needs a second step")
	p.checkA11yAll("security page, nothing set up")
	p.visit("/moderation", "Sign-in security")

	// The authenticator app, through the page.
	p.do(chromedp.Click(chromedp.CSS(`form[action="/account/security/totp"] button`)))
	p.waitText("Key to type by hand")
	p.checkA11yAll("security page, app being added")
	secret := p.eval(`document.getElementById("totp-secret").textContent`)
	p.submit(`form[action="/account/security/totp/confirm"]`, "code", h.code(secret))
	p.waitText("Your recovery codes")
	p.checkA11yAll("recovery codes")
	if n := p.eval(`String(document.querySelectorAll(".recovery-codes li").length)`); n != "10" {
		t.Fatalf("%s recovery codes shown", n)
	}
	h.nextStep()

	// A passkey on the virtual authenticator.
	p.visit("/account/security", "Passkeys and security keys")
	p.submit(`form[data-passkey-add]`, "passkey_name", "test key")
	p.waitText("Your passkey is added.")
	p.waitText("test key")
	p.checkA11yAll("security page, app and passkey")
	if n := countWhere(t, h, `SELECT count(*) FROM webauthn_credentials WHERE name = 'test key'`); n != 1 {
		t.Fatalf("%d passkeys stored", n)
	}

	// Sign out; the second step takes the passkey.
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitJS(`location.pathname === "/"`, "signed out")
	p.do(chromedp.Navigate(p.url + "/signin?next=%2Fmoderation"))
	p.submit(`form[action="/signin"]`, "login", "mod_pat", "password", goodPassword)
	p.waitText("Use a passkey or security key")
	p.checkA11yAll("second step")
	p.do(chromedp.Click(chromedp.ID("passkey-signin")))
	p.waitJS(`location.pathname === "/moderation"`, "signed in with the passkey, on the queue")
	if n := countWhere(t, h, `SELECT count(*) FROM webauthn_credentials WHERE last_used_at IS NOT NULL`); n != 1 {
		t.Fatal("the passkey's use is not recorded")
	}

	// Removing the passkey is allowed (the app is left); removing the
	// app then is not: a moderator keeps one second factor. Eleven minutes
	// on, removing it first asks who it is: the passkey answers at /reauth.
	h.clock.Advance(11 * time.Minute)
	p.visit("/account/security", "test key")
	p.do(chromedp.Click(chromedp.CSS(`form[action$="/delete"][action^="/account/security/passkeys/"] button`)))
	p.waitText("Confirm with a passkey or security key")
	p.checkA11yAll("reauth with a passkey")
	p.do(chromedp.Click(chromedp.ID("passkey-reauth")))
	p.waitText("it is confirmed that it is you")
	if n := countWhere(t, h, `SELECT count(*) FROM webauthn_credentials`); n != 1 {
		t.Fatal("confirming who it is removed the passkey by itself")
	}
	p.do(chromedp.Click(chromedp.CSS(`form[action$="/delete"][action^="/account/security/passkeys/"] button`)))
	p.waitText("The passkey is removed.")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/account/security/totp/delete"] button`)))
	p.waitText("Your role needs a second way to sign in")
	if n := countWhere(t, h, `SELECT count(*) FROM mfa_totp WHERE confirmed_at IS NOT NULL`); n != 1 {
		t.Fatal("the moderator's last second factor was removed")
	}
}
