package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// A moderator pins a thread from its page and proposes a resource; a
// verified clinician approves it from the review queue; the forum page
// shows both. axe-core checks every page on the way.
func TestBrowserPinsAndResources(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	f := h.forum("br-heart", func(f *forums.ForumForm) { f.Name = "Heart health" })
	h.account("br_mod", models.RoleMember)
	h.makeForumModerator("br_mod", f)
	h.clinician("br_doc", "cardiology")
	th := h.thread("br_mod", f, "Start here: how this forum works", "Read this first.", false)
	h.thread("br_mod", f, "A newer thread", "Newer words.", false)
	p := newPage(t, h)

	p.signIn("br_mod")
	p.visit("/t/"+itoa(th.ID), "Read this first.")
	p.checkA11yAll("thread page with pin buttons")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/t/` + itoa(th.ID) + `/pin"] button`)))
	p.waitText("Pinned at the top of the forum.")
	p.waitText("Unpin from the forum")

	p.visit("/f/br-heart/resources", "Propose a resource")
	p.checkA11yAll("resources page")
	p.submit(`form[action="/f/br-heart/resources"]`, "title", "Heart failure guide", "url", "javascript:alert(1)", "note", "Plain words.")
	p.waitText("Only web addresses")
	p.checkA11y("resource form with errors")
	p.do(chromedp.Clear(chromedp.ID("url")))
	p.submit(`form[action="/f/br-heart/resources"]`, "url", "https://guide.example.org/heart")
	p.waitText("Resource proposed.")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	p.signIn("br_doc")
	p.visit("/clinician/resources", "Heart failure guide")
	p.checkA11yAll("resource review queue")
	p.do(chromedp.Click(chromedp.CSS(`input[name="decision"][value="return"]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/review"] button[type=submit]`)))
	p.waitText("The reason is required.")
	p.checkA11y("resource review with errors")
	p.do(chromedp.Click(chromedp.CSS(`input[name="decision"][value="approve"]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/review"] button[type=submit]`)))
	p.waitText("Approved:")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	p.visit("/f/br-heart", "Reviewed by br_doc, Registered nurse")
	p.checkA11yAll("forum page with pins and resources")
	text := p.eval(`document.body.innerText`)
	if i, j := strings.Index(text, "Start here"), strings.Index(text, "A newer thread"); i < 0 || j < 0 || i > j {
		t.Error("the pinned thread is not first on the forum page")
	}
	if rel := p.eval(`document.querySelector('.resource-list a').rel`); rel != "noopener noreferrer nofollow ugc" {
		t.Errorf("resource link rel %q", rel)
	}
}

// Every pin and resource route of staff and clinicians needs the second
// factor from those whose role requires one.
func TestPinAndResourceRoutesNeedTheSecondFactor(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mfa: true})
	h.account("nf_admin", models.RoleAdmin)
	b := h.browser()
	b.signIn("nf_admin", goodPassword)
	_, token, err := h.app.Auth.CreateAPIToken(context.Background(), h.user("nf_admin"), auth.TokenForm{Name: "before", Scope: "write"})
	if err != nil {
		t.Fatal(err)
	}
	walked := 0
	for _, rt := range h.app.Echo.Routes() {
		mine := false
		for _, prefix := range []string{"/t/:id/pin", "/t/:id/unpin", "/api/v1/threads/:id/pin", "/f/:slug/resources", "/api/v1/forums/:slug/resources",
			"/clinician/resources", "/api/v1/clinician/resources"} {
			mine = mine || strings.HasPrefix(rt.Path, prefix)
		}
		if !mine || rt.Method == http.MethodGet && rt.Path == "/api/v1/forums/:slug/resources" { // the approved list is public
			continue
		}
		walked++
		path := routeParam(rt.Path)
		if strings.HasPrefix(path, "/api/") {
			if res := h.api(rt.Method, path, token, map[string]any{}); res.Status != http.StatusForbidden || !strings.Contains(res.Raw, "mfa_required") {
				t.Errorf("API %s %s: %d %s", rt.Method, rt.Path, res.Status, res.Raw)
			}
			continue
		}
		var r *resp
		if rt.Method == http.MethodGet {
			r = b.get(path)
		} else {
			b.get("/account")
			r = b.post(path, nil)
		}
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/account/security") {
			t.Errorf("page %s %s: %d to %q", rt.Method, rt.Path, r.StatusCode, r.Header.Get("Location"))
		}
	}
	if walked != 21 {
		t.Errorf("walked %d pin and resource routes", walked)
	}
}
