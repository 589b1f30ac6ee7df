package server_test

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kindred-health/kindred/models"
)

// TestBrowserResourceReviewAndRemoval: a clinician reads an edit of an
// approved resource in the queue (old and new side by side); the forum's
// moderator, a member by role, finds Moderation in the header and removes
// the resource with the keyboard through its confirmation. Axe-clean.
func TestBrowserResourceReviewAndRemoval(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	f := h.forum("br-forum", nil)
	h.account("br_mod", models.RoleMember)
	h.makeForumModerator("br_mod", f)
	h.clinician("br_doc", "cardiology")
	h.clinician("br_doc2", "cardiology")
	base := "/api/v1/forums/br-forum/resources"
	modTok := h.tokenFor("br_mod", "write")
	res := h.api(http.MethodPost, base, modTok, map[string]string{"title": "Heart diary", "url": "https://diary.example.org/", "note": "A printable diary."})
	if res.Status != http.StatusCreated {
		t.Fatalf("propose: %d %s", res.Status, res.Raw)
	}
	id := itoa(int64(res.Body["id"].(float64)))
	if res := h.reviewResource(h.tokenFor("br_doc2", "write"), id, map[string]string{"decision": "approve"}); res.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Status, res.Raw)
	}
	if res := h.api(http.MethodPatch, base+"/"+id, modTok, map[string]string{"url": "https://diary.other.example/"}); res.Status != http.StatusOK {
		t.Fatalf("edit: %d %s", res.Status, res.Raw)
	}

	p := newPage(t, h)
	p.signIn("br_doc")
	p.visit("/clinician/resources", "This is an edit of a resource a clinician approved before")
	if got := p.eval(`document.querySelector(".resource-changes dt").textContent`); got != "Web address" {
		t.Errorf("the first change listed is %q", got)
	}
	p.checkA11y("resource review queue with an edit")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	p.signIn("br_mod")
	if got := p.eval(`document.querySelector('nav[aria-label="Main"] a[href="/moderation"]') ? "yes" : "no"`); got != "yes" {
		t.Error("the forum's moderator has no Moderation link in the header")
	}
	p.visit("/f/br-forum/resources", "Resources of")
	p.do(chromedp.Focus(chromedp.CSS(`a[href="/f/br-forum/resources/`+id+`/remove"]`)), chromedp.KeyEvent(kb.Enter))
	p.waitText("Remove “Heart diary”?")
	p.checkA11y("resource removal confirmation")
	p.do(chromedp.Focus(chromedp.CSS(`form[action="/f/br-forum/resources/`+id+`/remove"] button[type=submit]`)), chromedp.KeyEvent(kb.Enter))
	p.waitText("no longer shows on the forum page")
	if n := h.count("forum_resources"); n != 0 {
		t.Errorf("after the confirmed removal: %d rows", n)
	}
}
