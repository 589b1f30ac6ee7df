package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/models"
)

// Forum pins: who may pin where, the limit, CSRF, the "Pinned" label and
// order on the forum page, hidden threads, and the audit log.
func TestForumPins(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": "0"}})
	pub := h.forum("pin-public", nil)
	other := h.forum("pin-other", nil)
	h.account("pin_mod", models.RoleMember)
	h.account("pin_othermod", models.RoleMember)
	h.account("pin_member", models.RoleMember)
	h.makeForumModerator("pin_mod", pub)
	h.makeForumModerator("pin_othermod", other)
	var ids []int64
	for i := 1; i <= 7; i++ {
		ids = append(ids, h.thread("pin_member", pub, fmt.Sprintf("Pin candidate %d", i), "Some words about living with it.", false).ID)
	}
	first, last := ids[0], ids[6]

	mod, othermod, member, visitor := h.browser(), h.browser(), h.browser(), h.browser()
	mod.signIn("pin_mod", goodPassword)
	othermod.signIn("pin_othermod", goodPassword)
	member.signIn("pin_member", goodPassword)

	// The buttons show only for those allowed.
	if r := mod.get("/t/" + itoa(first)); !strings.Contains(r.body, `action="/t/`+itoa(first)+`/pin"`) || strings.Contains(r.body, "pin-global") {
		t.Fatalf("the forum's moderator sees no pin button (or a global one): %d", r.StatusCode)
	}
	for who, b := range map[string]*browser{"member": member, "other forum's moderator": othermod, "visitor": visitor} {
		if r := b.get("/t/" + itoa(first)); r.StatusCode != http.StatusOK || strings.Contains(r.body, itoa(first)+"/pin") || strings.Contains(r.body, itoa(first)+"/unpin") {
			t.Errorf("%s sees pin buttons: %d", who, r.StatusCode)
		}
	}

	// Refusals: a visitor signs in first, a member and another forum's
	// moderator are refused, and nothing is pinned.
	visitor.get("/signin")
	// (A form sent signed out is 401 with the sign-in page's link; a GET
	// would be sent to sign in.)
	if r := visitor.post("/t/"+itoa(first)+"/pin", nil); r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "/signin") {
		t.Errorf("visitor pins: %d", r.StatusCode)
	}
	for who, b := range map[string]*browser{"member": member, "other forum's moderator": othermod} {
		b.get("/t/" + itoa(first))
		if r := b.post("/t/"+itoa(first)+"/pin", nil); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s pins: %d", who, r.StatusCode)
		}
		if r := b.post("/t/"+itoa(first)+"/pin-global", nil); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s pins on the home page: %d", who, r.StatusCode)
		}
	}
	// Without the CSRF token nothing happens either.
	if r := mod.post("/t/"+itoa(first)+"/pin", url.Values{"csrf_token": {"forged"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("pin without a CSRF token: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM threads WHERE pinned`); n != 0 {
		t.Fatalf("refused requests pinned %d threads", n)
	}

	// The moderator pins the oldest thread from its page: it goes to the
	// top of the forum with a "Pinned" label in words.
	mod.get("/t/" + itoa(first))
	if r := mod.post("/t/"+itoa(first)+"/pin", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("pin: %d %s", r.StatusCode, r.body)
	}
	page := visitor.get("/f/pin-public").body
	if i, j := strings.Index(page, "Pin candidate 1<"), strings.Index(page, "Pin candidate 7<"); i < 0 || j < 0 || i > j {
		t.Errorf("the pinned (oldest) thread is not listed first")
	}
	if !strings.Contains(page, `<span class="tag">Pinned</span>`) {
		t.Errorf("no Pinned label on the forum page")
	}
	if r := visitor.get("/t/" + itoa(first)); !strings.Contains(r.body, `<span class="tag">Pinned</span>`) {
		t.Errorf("no Pinned label on the thread page")
	}
	if r := mod.get("/t/" + itoa(first)); !strings.Contains(r.body, "Unpin from the forum") {
		t.Errorf("no unpin button after pinning")
	}
	modID := h.user("pin_mod").ID
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'thread.pin' AND target_kind = 'thread' AND target_id = ? AND actor_id = ?`, first, modID); n != 1 {
		t.Errorf("audit rows for the pin: %d", n)
	}

	// The API: pin up to the limit, then 409 pin_limit.
	tok := h.tokenFor("pin_mod", "write")
	for _, id := range ids[1:5] {
		if res := h.api(http.MethodPut, "/api/v1/threads/"+itoa(id)+"/pin", tok, nil); res.Status != http.StatusOK || res.Body["pinned"] != true || res.Body["pinned_globally"] != false {
			t.Fatalf("API pin %d: %d %s", id, res.Status, res.Raw)
		}
	}
	res := h.api(http.MethodPut, "/api/v1/threads/"+itoa(ids[5])+"/pin", tok, nil)
	if res.Status != http.StatusConflict || !strings.Contains(res.Raw, `"code":"pin_limit"`) || !strings.Contains(res.Raw, "At most 5 threads") {
		t.Fatalf("sixth pin: %d %s", res.Status, res.Raw)
	}
	mod.get("/t/" + itoa(ids[5]))
	if r := mod.post("/t/"+itoa(ids[5])+"/pin", nil); r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "Unpin one first") {
		t.Errorf("sixth pin from the page: %d", r.StatusCode)
	}
	// Another forum's moderator and a member through the API.
	for _, who := range []string{"pin_othermod", "pin_member"} {
		if res := h.api(http.MethodPut, "/api/v1/threads/"+itoa(last)+"/pin", h.tokenFor(who, "write"), nil); res.Status != http.StatusForbidden {
			t.Errorf("%s pins through the API: %d %s", who, res.Status, res.Raw)
		}
	}
	if res := h.api(http.MethodPut, "/api/v1/threads/"+itoa(last)+"/pin", "", nil); res.Status != http.StatusUnauthorized {
		t.Errorf("pin without a token: %d", res.Status)
	}

	// A pinned thread that gets hidden stops showing as pinned and frees
	// its place; it cannot be pinned while hidden.
	if err := h.app.Moderation.Act(context.Background(), h.actor(h.user(h.ensureAdmin())), models.TargetThread, first, moderation.ActHide, "Off topic for this forum", false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(visitor.get("/f/pin-public").body, "Pin candidate 1<") {
		t.Error("the hidden thread is still listed")
	}
	if res := h.api(http.MethodGet, "/api/v1/threads/"+itoa(first), tok, nil); res.Status != http.StatusOK || res.Body["pinned"] != false {
		t.Errorf("hidden thread for its moderator: %d pinned=%v", res.Status, res.Body["pinned"])
	}
	if r := mod.get("/t/" + itoa(first)); strings.Contains(r.body, `<span class="tag">Pinned</span>`) || strings.Contains(r.body, "/pin\"") {
		t.Errorf("the hidden thread's page still says Pinned or offers pinning")
	}
	if res := h.api(http.MethodPut, "/api/v1/threads/"+itoa(first)+"/pin", tok, nil); res.Status != http.StatusConflict || !strings.Contains(res.Raw, "only visible threads") {
		t.Errorf("pinning a hidden thread: %d %s", res.Status, res.Raw)
	}
	// From the page (a form opened before the thread was hidden), the
	// refusal leads back to the thread, not only to the home page.
	if r := mod.post("/t/"+itoa(first)+"/pin", nil); r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "only visible threads") ||
		!strings.Contains(r.body, `<a href="/t/`+itoa(first)+`">Back to the thread</a>`) {
		t.Errorf("pinning a hidden thread from the page: %d, no way back to the thread:\n%s", r.StatusCode, r.body)
	}
	if res := h.api(http.MethodPut, "/api/v1/threads/"+itoa(ids[5])+"/pin", tok, nil); res.Status != http.StatusOK {
		t.Errorf("pin after the hidden one freed its place: %d %s", res.Status, res.Raw)
	}

	// A pinned thread moved to another forum leaves its pin behind.
	if err := h.app.Moderation.MoveThread(context.Background(), h.actor(h.user(h.ensureAdmin())), models.TargetThread, ids[4], "pin-other", "Belongs in the other forum", false); err != nil {
		t.Fatal(err)
	}
	if res := h.api(http.MethodGet, "/api/v1/threads/"+itoa(ids[4]), tok, nil); res.Body["pinned"] != false || res.Body["forum"] != "pin-other" {
		t.Errorf("moved thread: %s", res.Raw)
	}

	// Unpin: the API answers the thread, the audit log has the actor.
	if res := h.api(http.MethodDelete, "/api/v1/threads/"+itoa(ids[1])+"/pin", tok, nil); res.Status != http.StatusOK || res.Body["pinned"] != false {
		t.Errorf("unpin: %d %s", res.Status, res.Raw)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'thread.unpin' AND target_id = ? AND actor_id = ?`, ids[1], modID); n != 1 {
		t.Errorf("audit rows for the unpin: %d", n)
	}
	// A moderator of another forum asking about a thread they may read
	// still cannot unpin it.
	if res := h.api(http.MethodDelete, "/api/v1/threads/"+itoa(ids[2])+"/pin", h.tokenFor("pin_othermod", "write"), nil); res.Status != http.StatusForbidden {
		t.Errorf("other forum's moderator unpins: %d", res.Status)
	}
}

// Home-page pins: admins only, at most three, and each reader sees only
// those of forums they may read, on the page, in the API and in what a
// cache may keep for visitors.
func TestGlobalPinsFollowTheForumsAudience(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": "0"}})
	h.licensing()
	admin := h.browser()
	admin.signIn(h.ensureAdmin(), goodPassword)
	pub := h.forum("gp-public", nil)
	sens := h.forum("gp-sensitive", func(f *forums.ForumForm) { f.Sensitive = true })
	clin := h.forum("gp-clinicians", func(f *forums.ForumForm) { f.ClinicianOnly = true })
	h.account("gp_member", models.RoleMember)
	h.account("gp_mod", models.RoleMember)
	h.makeForumModerator("gp_mod", pub)
	h.clinician("gp_doc", "cardiology")
	tPub := h.thread("gp_member", pub, "Welcome thread for everyone", "Start here.", false)
	tSens := h.thread("gp_member", sens, "Sensitive pinned words", "Only for members.", false)
	tClin := h.thread(h.ensureAdmin(), clin, "Clinician pinned handover", "Only for clinicians.", false)
	tMore := h.thread("gp_member", pub, "A fourth candidate", "More.", false)

	// A forum moderator may not pin on the home page.
	if res := h.api(http.MethodPut, "/api/v1/threads/"+itoa(tPub.ID)+"/pin/global", h.tokenFor("gp_mod", "write"), nil); res.Status != http.StatusForbidden {
		t.Errorf("forum moderator pins globally: %d %s", res.Status, res.Raw)
	}
	tok := admin.token("write")
	for _, id := range []int64{tPub.ID, tSens.ID, tClin.ID} {
		if res := h.api(http.MethodPut, "/api/v1/threads/"+itoa(id)+"/pin/global", tok, nil); res.Status != http.StatusOK || res.Body["pinned_globally"] != true {
			t.Fatalf("global pin %d: %d %s", id, res.Status, res.Raw)
		}
	}
	if res := h.api(http.MethodPut, "/api/v1/threads/"+itoa(tMore.ID)+"/pin/global", tok, nil); res.Status != http.StatusConflict || !strings.Contains(res.Raw, "pin_limit") || !strings.Contains(res.Raw, "the home page") {
		t.Errorf("fourth global pin: %d %s", res.Status, res.Raw)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'thread.pin_global' AND actor_id = ?`, h.user(h.ensureAdmin()).ID); n != 3 {
		t.Errorf("audit rows for global pins: %d", n)
	}

	member, doc, visitor := h.browser(), h.browser(), h.browser()
	member.signIn("gp_member", goodPassword)
	doc.signIn("gp_doc", goodPassword)
	cases := []struct {
		who       string
		b         *browser
		token     string
		see, dont []string
	}{
		{"visitor", visitor, "", []string{tPub.Title}, []string{tSens.Title, tClin.Title}},
		{"member", member, h.tokenFor("gp_member", "read"), []string{tPub.Title, tSens.Title}, []string{tClin.Title}},
		{"clinician", doc, h.tokenFor("gp_doc", "read"), []string{tPub.Title, tSens.Title, tClin.Title}, nil},
	}
	for _, c := range cases {
		r := c.b.get("/")
		section := r.body
		if i := strings.Index(section, `id="pinned-title"`); i >= 0 {
			section = section[i:]
			if j := strings.Index(section, "</section>"); j >= 0 {
				section = section[:j]
			}
		} else {
			t.Errorf("%s: no Pinned section on the home page", c.who)
		}
		api := h.api(http.MethodGet, "/api/v1/pinned", c.token, nil)
		for _, title := range c.see {
			if !strings.Contains(section, title) || !strings.Contains(api.Raw, title) {
				t.Errorf("%s does not see the pin %q (page or API)", c.who, title)
			}
		}
		for _, title := range c.dont {
			if strings.Contains(r.body, title) || strings.Contains(api.Raw, title) {
				t.Errorf("%s sees the pin %q, from a forum they may not read", c.who, title)
			}
		}
	}
	// What a cache may keep for visitors is the visitors' version, and it
	// varies by cookie so no member's version is ever served from it.
	vr := visitor.get("/")
	if strings.Contains(vr.Header.Get("Cache-Control"), "private") || !strings.Contains(strings.Join(vr.Header.Values("Vary"), ","), "Cookie") {
		t.Errorf("visitor home: Cache-Control %q, Vary %q", vr.Header.Get("Cache-Control"), vr.Header.Values("Vary"))
	}
	if mr := member.get("/"); !strings.Contains(mr.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("member home page may be cached: %q", mr.Header.Get("Cache-Control"))
	}

	// A hidden globally pinned thread leaves the home page; unpinning from
	// the thread page needs the admin and is audited.
	if err := h.app.Moderation.Act(context.Background(), h.actor(h.user(h.ensureAdmin())), models.TargetThread, tSens.ID, moderation.ActHide, "Off topic for this forum", false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(member.get("/").body, tSens.Title) {
		t.Error("a hidden thread is still pinned on the home page")
	}
	if r := admin.get("/t/" + itoa(tPub.ID)); !strings.Contains(r.body, "Pinned on the home page") || !strings.Contains(r.body, "Unpin from the home page") {
		t.Fatalf("admin's thread page: no global pin label or button")
	}
	if r := admin.post("/t/"+itoa(tPub.ID)+"/unpin-global", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("unpin globally: %d", r.StatusCode)
	}
	if strings.Contains(visitor.get("/").body, `id="pinned-title"`) {
		t.Error("the visitor still has a Pinned section with nothing they may read pinned")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'thread.unpin_global' AND target_id = ?`, tPub.ID); n != 1 {
		t.Errorf("audit rows for the global unpin: %d", n)
	}
}

// Moderators pinning at the same moment never get past the limit: the
// forum's row is locked while the pins are counted.
func TestConcurrentPinsKeepTheLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": "0"}})
	f := h.forum("pin-race", nil)
	h.account("race_author", models.RoleMember)
	var ids []int64
	for i := 0; i < 40; i++ {
		ids = append(ids, h.thread("race_author", f, fmt.Sprintf("Race thread %d", i), "Words.", false).ID)
	}
	admin := h.actor(h.user(h.ensureAdmin()))
	errs := make(chan error, len(ids))
	for _, id := range ids {
		go func() { errs <- h.app.Forums.SetPin(context.Background(), admin, id, false, true) }()
	}
	limited := 0
	for range ids {
		var pe *forums.PinLimitError
		if err := <-errs; errors.As(err, &pe) {
			limited++
		} else if err != nil {
			t.Error(err)
		}
	}
	if n := countWhere(t, h, `SELECT count(*) FROM threads WHERE forum_id = ? AND pinned`, f.ID); n != forums.MaxForumPins || limited != len(ids)-forums.MaxForumPins {
		t.Errorf("%d pinned, %d refused; want %d and %d", n, limited, forums.MaxForumPins, len(ids)-forums.MaxForumPins)
	}
}
