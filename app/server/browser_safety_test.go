package server_test

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kindred-health/kindred/models"
)

// TestBrowserSafetyAdmin: an admin tries a text and adds crisis resources
// for a region with the keyboard; a member's urgent post lands on the
// thread with the emergency guidance first. Every page passes axe.
func TestBrowserSafetyAdmin(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("strokes", nil)
	admin := h.ensureAdmin()
	h.account("urgent_ann", models.RoleMember)
	p := newPage(t, h)
	enter := func(css string) {
		t.Helper()
		p.do(chromedp.Focus(chromedp.CSS(css)), chromedp.KeyEvent(kb.Enter))
	}
	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", admin, "password", goodPassword)
	p.waitText("My forums")
	p.do(chromedp.Navigate(p.url + "/admin/safety"))
	p.waitText("Try a text")
	p.do(chromedp.SendKeys(chromedp.ID("text"), urgentText))
	enter(`form[action^="/admin/safety/try"] button[type=submit]`)
	p.waitText("What fired")
	if got := p.eval(`document.querySelector(".tried-text mark").textContent`); got == "" {
		t.Error("no evidence marked")
	}
	p.checkA11y("safety: a tried text")
	enter(`a[href="/admin/safety/resources/new"]`)
	p.waitText("New crisis resources")
	p.do(chromedp.SendKeys(chromedp.ID("language"), "e"))
	enter(`form[action="/admin/safety/resources"] button[type=submit]`)
	p.waitText("Enter a two-letter language code")
	p.checkA11y("crisis resources form with errors")
	p.do(
		chromedp.Clear(chromedp.ID("language")), chromedp.SendKeys(chromedp.ID("language"), "en"),
		chromedp.SendKeys(chromedp.ID("region"), "AU"),
		chromedp.SendKeys(chromedp.ID("text"), "## Help\n\nCall **000** now, or Lifeline."),
	)
	enter(`form[action="/admin/safety/resources"] button[type=submit]`)
	p.waitText("The crisis resources for en-AU are saved.")
	enter(`a[href$="/delete"]`)
	p.waitText("Delete the crisis resources for")
	p.checkA11y("crisis resources delete confirmation")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "urgent_ann", "password", goodPassword)
	p.waitText("My forums")
	p.do(chromedp.Navigate(p.url + "/account"))
	p.waitText("Language and region")
	p.checkA11y("account settings with language and region")
	p.do(chromedp.Navigate(p.url + "/f/strokes/new"))
	p.submit(`form[action="/f/strokes/threads"]`, "title", "Something is wrong", "body", urgentText)
	p.waitText(urgentPanel)
	if got := p.eval(`document.querySelector("[role=alert] h2").textContent`); got != urgentPanel {
		t.Errorf("the first alert on the page is %q", got)
	}
	p.checkA11y("thread with the emergency guidance")
}
