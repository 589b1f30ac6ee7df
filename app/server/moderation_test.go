package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/models"
)

func (h *harness) report(handle, kind string, id int64, reason models.ReportReason) (*models.Report, error) {
	h.t.Helper()
	return h.app.Moderation.Report(context.Background(), h.actor(h.user(handle)), moderation.ReportForm{Kind: kind, ID: id, Reason: reason})
}

// TestReportsHideAtTheThreshold: open reports add up by weight; at the
// threshold the post is hidden from pages, API and notifications until a
// moderator decides, and a dismissal brings it back.
func TestReportsHideAtTheThreshold(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	f := h.forum("heart", nil)
	for _, u := range []string{"author", "rep_one", "rep_two", "rep_three", "follower"} {
		h.account(u, models.RoleMember)
	}
	h.clinician("dr_rep", "cardiology")
	th := h.thread("author", f, "A thread", "Opening.", false)
	if err := h.app.Forums.SetThreadFollow(ctx, h.viewer("follower"), &forums.ThreadView{Thread: *threadModel(h, th.ID)}, true); err != nil {
		t.Fatal(err)
	}
	bad := h.reply("author", th.ID, "Stop your insulin, cinnamon cures diabetes.", false)
	visible := func() bool { return strings.Contains(h.browser().get("/t/"+itoa(th.ID)).body, "cinnamon cures") }
	if !visible() {
		t.Fatal("post not shown at first")
	}
	if _, err := h.report("rep_one", models.TargetPost, bad.ID, models.ReasonSpam); err != nil {
		t.Fatal(err)
	}
	if !visible() {
		t.Fatal("hidden after one report (weight 1 of 3)")
	}
	if _, err := h.report("rep_one", models.TargetPost, bad.ID, models.ReasonOther); !isConflict(err) {
		t.Errorf("second report by the same member: %v", err)
	}
	// A clinician's misinformation report weighs 2: together 3, the threshold.
	r, err := h.report("dr_rep", models.TargetPost, bad.ID, models.ReasonMisinformation)
	if err != nil || r.Weight != 2 {
		t.Fatalf("clinician report: %v %+v", err, r)
	}
	if visible() {
		t.Fatal("still shown at the threshold")
	}
	if a := h.api("GET", "/api/v1/threads/"+itoa(th.ID)+"/posts", "", nil); strings.Contains(a.Raw, "cinnamon cures") {
		t.Error("hidden post in the API")
	}
	fb := h.browser()
	fb.signIn("follower", goodPassword)
	if n := strings.Count(fb.get("/notifications").body, "notification-link"); n != 0 {
		t.Errorf("follower still has %d notifications about the hidden reply", n)
	}
	if countWhere(t, h, `SELECT count(*) FROM moderation_actions WHERE action = 'auto_hide' AND target_id = ?`, bad.ID) != 1 {
		t.Error("auto-hide not recorded")
	}
	// Self-reports are refused; content members cannot see is not found.
	if _, err := h.report("rep_two", models.TargetPost, bad.ID, models.ReasonSpam); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("reporting hidden content: %v", err)
	}
	var ve *models.ValidationError
	if _, err := h.report("author", models.TargetThread, th.ID, models.ReasonSpam); !errors.As(err, &ve) {
		t.Errorf("self-report: %v", err)
	}
	// A moderator dismisses: the post is back, reporters are told.
	mod := h.user(h.ensureAdmin())
	if err := h.app.Moderation.Act(ctx, h.actor(mod), models.TargetPost, bad.ID, moderation.ActDismiss, "", true); err != nil {
		t.Fatal(err)
	}
	if !visible() {
		t.Error("not restored by the dismissal")
	}
	if notifCount(t, h, "rep_one", models.NotifyReportResolved) != 1 || notifCount(t, h, "dr_rep", models.NotifyReportResolved) != 1 {
		t.Error("reporters not told")
	}
	rb := h.browser()
	rb.signIn("rep_one", goodPassword)
	if !strings.Contains(rb.get("/my/reports").body, "a moderator decided it can stay") {
		t.Error("My reports lacks the outcome")
	}
	// Dismissed reports weigh less next time.
	r, _ = h.report("rep_one", models.TargetPost, bad.ID, models.ReasonSpam)
	if r == nil || r.Weight != 0.75 {
		t.Errorf("weight after a dismissed report: %+v", r)
	}
}

func threadModel(h *harness, id int64) *models.Thread {
	var t models.Thread
	if err := h.app.DB.Gorm.First(&t, id).Error; err != nil {
		h.t.Fatal(err)
	}
	return &t
}

// TestModerationScope: forum moderators act in their forums only (403
// elsewhere, pages and API); the queue shows them only their forums;
// self-harm comes first.
func TestModerationScope(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	heart := h.forum("heart", nil)
	lungs := h.forum("lungs", nil)
	for _, u := range []string{"author", "rep_one", "rep_two"} {
		h.account(u, models.RoleMember)
	}
	hp := h.thread("author", heart, "Heart post", "Heart text.", false)
	lp := h.thread("author", lungs, "Lung post", "Lung text.", false)
	risk := h.thread("author", heart, "I can't go on", "Nobody would notice.", false)
	h.report("rep_one", models.TargetThread, hp.ID, models.ReasonSpam)
	h.report("rep_two", models.TargetThread, hp.ID, models.ReasonSpam)
	h.report("rep_one", models.TargetThread, lp.ID, models.ReasonHarassment)
	h.report("rep_one", models.TargetThread, risk.ID, models.ReasonSelfHarm)
	h.member("heart_mod")
	h.makeForumModerator("heart_mod", heart)
	hm := h.browser()
	hm.signIn("heart_mod", goodPassword)

	page := hm.get("/moderation")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "Heart post") || strings.Contains(page.body, "Lung post") {
		t.Fatalf("forum moderator's queue: %d", page.StatusCode)
	}
	if strings.Index(page.body, "I can&#39;t go on") > strings.Index(page.body, "Heart post") {
		t.Error("self-harm is not first")
	}
	if r := hm.get("/moderation/thread/" + itoa(lp.ID)); r.StatusCode != http.StatusForbidden {
		t.Errorf("forum moderator opens another forum's item: %d", r.StatusCode)
	}
	hm.get("/moderation")
	if r := hm.post("/moderation/thread/"+itoa(lp.ID)+"/hide", url.Values{"reason": {"Checking the reports"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("forum moderator acts in another forum: %d", r.StatusCode)
	}
	tok := hm.token("write")
	if a := h.api("POST", "/api/v1/moderation/items/thread/"+itoa(lp.ID)+"/hide", tok, map[string]any{"reason": "Checking the reports"}); a.Status != http.StatusForbidden {
		t.Errorf("API: %d", a.Status)
	}
	if a := h.api("POST", "/api/v1/moderation/items/thread/"+itoa(hp.ID)+"/hide", tok, map[string]any{}); a.Status != http.StatusUnprocessableEntity || !strings.Contains(a.Raw, `"reason"`) {
		t.Errorf("hiding without a reason: %d %s", a.Status, a.Raw)
	}
	if a := h.api("POST", "/api/v1/moderation/items/thread/"+itoa(hp.ID)+"/hide", tok, map[string]any{"reason": "Checking the reports"}); a.Status != http.StatusOK {
		t.Errorf("forum moderator hides in their forum: %d %s", a.Status, a.Raw)
	}
	member := h.browser()
	member.signIn("rep_one", goodPassword)
	if r := member.get("/moderation"); r.StatusCode != http.StatusForbidden {
		t.Errorf("member sees the queue: %d", r.StatusCode)
	}
	// A global moderator sees everything; removing needs a reason.
	gm := h.withRole("global_mod", models.RoleModerator)
	if !strings.Contains(gm.get("/moderation").body, "Lung post") {
		t.Error("global moderator misses a forum")
	}
	gm.get("/moderation/thread/" + itoa(lp.ID))
	if r := gm.post("/moderation/thread/"+itoa(lp.ID)+"/remove", url.Values{"reason": {""}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("remove without a reason: %d", r.StatusCode)
	}
	if r := gm.post("/moderation/thread/"+itoa(lp.ID)+"/remove", url.Values{"reason": {"Personal attacks on another member"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("remove: %d", r.StatusCode)
	}
	if r := h.browser().get("/t/" + itoa(lp.ID)); r.StatusCode != http.StatusNotFound {
		t.Errorf("removed thread still shown: %d", r.StatusCode)
	}
	if countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'moderation.remove' AND target_id = ?`, lp.ID) != 1 {
		t.Error("removal not audited")
	}
}

// TestWatchedWordsOnPosts: each action's effect on threads, replies and
// edits, through pages and the API.
func TestWatchedWordsOnPosts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	admin := h.withRole("safety_admin", models.RoleAdmin)
	admin.get("/admin/safety")
	for w, a := range map[string]string{"miracle cure": "block", "discount code": "require_approval", "stop your meds": "flag"} {
		if r := admin.post("/admin/safety/words", url.Values{"pattern": {w}, "action": {a}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("add %s: %d", w, r.StatusCode)
		}
	}
	if r := admin.post("/admin/safety/words", url.Values{"pattern": {"x"}, "action": {"explode"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad word: %d", r.StatusCode)
	}
	f := h.forum("heart", nil)
	h.account("mod_wes", models.RoleModerator)
	author := h.member("poster")
	other := h.member("reader")
	th := h.thread("poster", f, "Daily walks", "I walk every morning.", false)

	// block: refused, the reason shown, nothing saved.
	author.get("/t/" + itoa(th.ID))
	r := author.post("/t/"+itoa(th.ID)+"/replies", url.Values{"body": {"This Miracle Cure fixed my heart!"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "“miracle cure”, which is not allowed") || !strings.Contains(r.body, "This Miracle Cure fixed my heart!") {
		t.Fatalf("blocked reply: %d", r.StatusCode)
	}
	tok := author.token("write")
	if a := h.api("POST", "/api/v1/forums/heart/threads", tok, map[string]any{"title": "A miracle cure", "body": "Really."}); a.Status != http.StatusUnprocessableEntity {
		t.Errorf("blocked thread over the API: %d", a.Status)
	}
	// require_approval: saved as pending, only the author (marked) and moderators see it.
	author.get("/t/" + itoa(th.ID))
	if r := author.post("/t/"+itoa(th.ID)+"/replies", url.Values{"body": {"Use my discount code HEART10"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply needing approval: %d %s", r.StatusCode, r.body)
	}
	page := author.get("/t/" + itoa(th.ID)).body
	if !strings.Contains(page, "discount code HEART10") || !strings.Contains(page, "Awaiting review") {
		t.Error("the author does not see their pending reply marked")
	}
	if strings.Contains(other.get("/t/"+itoa(th.ID)).body, "HEART10") {
		t.Fatal("another member sees a pending reply")
	}
	var pendingID int64
	h.app.DB.Gorm.Raw(`SELECT id FROM posts WHERE body LIKE '%HEART10%'`).Scan(&pendingID)
	if err := h.app.Moderation.Act(ctx, h.actor(h.user("mod_wes")), models.TargetPost, pendingID, moderation.ActRestore, "", true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(other.get("/t/"+itoa(th.ID)).body, "HEART10") {
		t.Error("approved reply not shown")
	}
	// flag: published at once and reported by Kindred.
	author.get("/t/" + itoa(th.ID))
	author.post("/t/"+itoa(th.ID)+"/replies", url.Values{"body": {"Honestly, just stop your meds and walk more."}})
	if !strings.Contains(other.get("/t/"+itoa(th.ID)).body, "just stop your meds") {
		t.Error("flagged reply not published")
	}
	if countWhere(t, h, `SELECT count(*) FROM reports WHERE reporter_id IS NULL AND status = 'open' AND note LIKE '%stop your meds%'`) != 1 {
		t.Error("flagged reply not reported")
	}
	// Edits are checked too.
	first := h.firstPost(th.ID)
	author.get("/posts/" + itoa(first.ID) + "/edit")
	if r := author.post("/posts/"+itoa(first.ID)+"/edit", url.Values{"body": {"Found a miracle cure"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("blocked edit: %d", r.StatusCode)
	}
}

// TestCrisisWordsShowSupport: a post with watched crisis words is
// published, its author sees the crisis resources in the same response,
// and a self-harm report tops the queue with a notification to moderators.
func TestCrisisWordsShowSupport(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("mind", func(ff *forums.ForumForm) { ff.Sensitive = true })
	h.account("mod_kai", models.RoleModerator)
	other := h.thread("mod_kai", f, "Spam thread", "text", false)
	h.account("rep_x", models.RoleMember)
	h.report("rep_x", models.TargetThread, other.ID, models.ReasonSpam)
	b := h.member("low_day")
	b.get("/f/mind/new")
	r := b.post("/f/mind/threads", url.Values{"title": {"Tonight is hard"}, "body": {"Some nights I want to die. I don't know who to tell."}, "anonymous": {"on"}})
	// A watched crisis word counts as high: the resources come in the
	// same response.
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "call your local emergency number") || !strings.Contains(r.body, "Go on to your thread") {
		t.Fatalf("crisis post: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if !strings.Contains(h.browser().get("/f/mind").body, "Tonight is hard") && !strings.Contains(b.get("/f/mind").body, "Tonight is hard") {
		t.Error("crisis post not published")
	}
	mod := h.browser()
	mod.signIn("mod_kai", goodPassword)
	q := mod.get("/moderation").body
	if i, j := strings.Index(q, "Tonight is hard"), strings.Index(q, "Spam thread"); i < 0 || j < 0 || i > j {
		t.Error("the crisis report is not at the top of the queue")
	}
	if notifCount(t, h, "mod_kai", models.NotifyReportUrgent) != 1 {
		t.Error("moderator not alerted")
	}
	if strings.Contains(mod.get("/moderation/thread/"+itoa(h.lastThreadID())).body, "low_day") {
		t.Error("the queue reveals the anonymous author")
	}
}

func (h *harness) lastThreadID() int64 {
	var id int64
	h.app.DB.Gorm.Raw(`SELECT max(id) FROM threads`).Scan(&id)
	return id
}

// TestPersonalDataNeedsConfirmation: nothing is saved until the author
// removes the personal data or confirms it; the API answers code
// "personal_data".
func TestPersonalDataNeedsConfirmation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("heart", nil)
	b := h.member("oversharer")
	b.get("/f/heart/new")
	form := url.Values{"title": {"Cardiologist recommendation"}, "body": {"Call me on 07700 900123, I'm at 42 Harbour Road."}}
	r := b.post("/f/heart/threads", form)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "a phone number") || !strings.Contains(r.body, "a street address") ||
		!strings.Contains(r.body, `id="confirm_personal_data"`) {
		t.Fatalf("personal data: %d", r.StatusCode)
	}
	if h.count("threads") != 0 {
		t.Fatal("saved before confirmation")
	}
	form.Set("confirm_personal_data", "on")
	if r := b.post("/f/heart/threads", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed: %d", r.StatusCode)
	}
	tok := b.token("write")
	a := h.api("POST", "/api/v1/forums/heart/threads", tok, map[string]any{"title": "My DOB", "body": "I was born on 12/03/1961, is that old for AF?"})
	if e, _ := a.Body["error"].(map[string]any); a.Status != http.StatusUnprocessableEntity || e["code"] != "personal_data" {
		t.Errorf("API: %d %s", a.Status, a.Raw)
	}
	a = h.api("POST", "/api/v1/forums/heart/threads", tok, map[string]any{"title": "My DOB", "body": "I was born on 12/03/1961, is that old for AF?", "confirm_personal_data": true})
	if a.Status != http.StatusCreated {
		t.Errorf("API confirmed: %d %s", a.Status, a.Raw)
	}
	// Clinical numbers pass without a question.
	if a := h.api("POST", "/api/v1/forums/heart/threads", tok, map[string]any{"title": "Numbers", "body": "HbA1c 7.2, BP 120/80, 10,000 steps on 2024-03-15"}); a.Status != http.StatusCreated {
		t.Errorf("clinical numbers: %d %s", a.Status, a.Raw)
	}
}

// TestMemberActions: warnings reach the member; suspension and ban end
// their sessions at once and are for global moderators; anonymous authors
// are acted on unseen, and only an admin can reveal them, with a reason,
// audited.
func TestMemberActions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("mind", func(ff *forums.ForumForm) { ff.Sensitive = true })
	troll := h.member("troll_tim")
	h.account("rep_ann", models.RoleMember)
	th := h.thread("troll_tim", f, "You are all weak", "Nasty words, posted anonymously.", true)
	h.report("rep_ann", models.TargetThread, th.ID, models.ReasonHarassment)
	h.member("mind_mod")
	h.makeForumModerator("mind_mod", f)
	fm := h.browser()
	fm.signIn("mind_mod", goodPassword)
	item := "/moderation/thread/" + itoa(th.ID)
	page := fm.get(item)
	if strings.Contains(page.body, "troll_tim") || !strings.Contains(page.body, "The anonymous author") {
		t.Fatal("the item reveals the anonymous author to a moderator")
	}
	if strings.Contains(page.body, "/suspend") || strings.Contains(page.body, "/reveal") {
		t.Error("a forum moderator is offered suspend or reveal")
	}
	if r := fm.post(item+"/warn", url.Values{"reason": {"Please keep it kind."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("warn: %d", r.StatusCode)
	}
	if !strings.Contains(troll.get("/notifications").body, "Please keep it kind.") {
		t.Error("the warning did not reach the author")
	}
	fm.get(item)
	if r := fm.post(item+"/suspend", url.Values{"reason": {"Repeated abuse"}, "until": {"2027-01-01"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a forum moderator suspends: %d", r.StatusCode)
	}
	gm := h.withRole("global_gil", models.RoleModerator)
	gm.get(item)
	if r := gm.post(item+"/suspend", url.Values{"reason": {"Repeated abuse"}, "until": {"2020-01-01"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("suspension in the past: %d", r.StatusCode)
	}
	// A date the form cannot read is said so (it used to be read as "no date").
	if r := gm.post(item+"/suspend", url.Values{"reason": {"Repeated abuse"}, "until": {"31/12/2027"}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "such as 2026-12-31") || !strings.Contains(r.body, "31/12/2027") {
		t.Errorf("an unreadable end date: %d", r.StatusCode)
	}
	if r := gm.post(item+"/suspend", url.Values{"reason": {"Repeated abuse"}, "until": {"2027-01-01"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("suspend: %d", r.StatusCode)
	}
	if r := troll.get("/account"); r.StatusCode == http.StatusOK {
		t.Error("the suspended member is still signed in")
	}
	if u := h.user("troll_tim"); u.Status != models.StatusSuspended || u.SuspendedUntil == nil {
		t.Errorf("status %s", u.Status)
	}
	if countWhere(t, h, `SELECT count(*) FROM sessions WHERE user_id = ?`, h.user("troll_tim").ID) != 0 {
		t.Error("sessions survive the suspension")
	}
	// Reveal: admins only, with a reason, audited.
	gm.get(item)
	if r := gm.post(item+"/reveal", url.Values{"reveal_reason": {"Legal request"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a moderator reveals: %d", r.StatusCode)
	}
	admin := h.withRole("admin_ada", models.RoleAdmin)
	admin.get(item)
	if r := admin.post(item+"/reveal", url.Values{"reveal_reason": {""}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("reveal without a reason: %d", r.StatusCode)
	}
	r := admin.post(item+"/reveal", url.Values{"reveal_reason": {"Threats against a member: police request"}})
	// Post/redirect/get: the reveal ends on the item's GET page, which a
	// reload shows again without revealing a second time.
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != item {
		t.Fatalf("reveal: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	for i := 0; i < 2; i++ {
		if page := admin.get(item); !strings.Contains(page.body, "Revealed to you: troll_tim") {
			t.Fatalf("view %d after the reveal does not show the author", i)
		}
	}
	if countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'anonymous.reveal' AND target_id = ? AND reason <> ''`, th.ID) != 1 {
		t.Error("reveal not audited exactly once")
	}
	if page := h.withRole("admin_bo", models.RoleAdmin).get(item); strings.Contains(page.body, "troll_tim") {
		t.Error("another admin sees the author someone else revealed")
	}
	if countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'user.suspend'`) != 1 {
		t.Error("suspension not audited")
	}
}

// TestNewMembersFirstPostsWait: with the default setting a new member's
// first two posts wait for a moderator; the author sees them marked,
// nobody else sees them; the third is published at once.
func TestNewMembersFirstPostsWait(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": ""}}) // the default
	ctx := context.Background()
	f := h.forum("heart", nil)
	h.account("old_hand", models.RoleModerator)
	base := h.thread("old_hand", f, "Welcome thread", "Say hello.", false)
	newbie := h.member("newbie")
	other := h.member("onlooker")
	newbie.get("/f/heart/new")
	r := newbie.post("/f/heart/threads", url.Values{"title": {"Hello from a newbie"}, "body": {"Just joined."}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("first thread: %d", r.StatusCode)
	}
	own := newbie.get(r.Header.Get("Location")).body
	if !strings.Contains(own, "Awaiting review") {
		t.Error("the author does not see the thread marked")
	}
	if r2 := other.get(r.Header.Get("Location")); r2.StatusCode != http.StatusNotFound {
		t.Errorf("another member opens the pending thread: %d", r2.StatusCode)
	}
	if strings.Contains(other.get("/f/heart").body, "Hello from a newbie") {
		t.Error("the pending thread is listed")
	}
	newbie.get("/t/" + itoa(base.ID))
	newbie.post("/t/"+itoa(base.ID)+"/replies", url.Values{"body": {"Second post, also waiting."}})
	newbie.get("/t/" + itoa(base.ID))
	newbie.post("/t/"+itoa(base.ID)+"/replies", url.Values{"body": {"Third post, published."}})
	page := other.get("/t/" + itoa(base.ID)).body
	if strings.Contains(page, "Second post") || !strings.Contains(page, "Third post") {
		t.Error("wrong posts held back")
	}
	// The queue lists both; approving publishes.
	mod := h.user("old_hand")
	items, err := h.app.Moderation.Queue(ctx, h.actor(mod), 0)
	if err != nil || len(items) != 2 {
		t.Fatalf("queue: %v %+v", err, items)
	}
	for _, it := range items {
		if err := h.app.Moderation.Act(ctx, h.actor(mod), it.Kind, it.ID, moderation.ActRestore, "", true); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(other.get("/t/"+itoa(base.ID)).body, "Second post") || !strings.Contains(other.get("/f/heart").body, "Hello from a newbie") {
		t.Error("approved posts not published")
	}
}

// TestAuditLogForAdmins: admins browse and filter the audit log, page and
// API; nobody else can.
func TestAuditLogForAdmins(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	f := h.forum("heart", nil)
	h.account("author", models.RoleMember)
	h.account("rep_one", models.RoleMember)
	admin := h.withRole("auditor", models.RoleAdmin)
	th := h.thread("author", f, "Spammy", "Buy things", false)
	h.report("rep_one", models.TargetThread, th.ID, models.ReasonSpam)
	if err := h.app.Moderation.Act(ctx, h.actor(h.user("auditor")), models.TargetThread, th.ID, moderation.ActRemove, "Advertising is not allowed", true); err != nil {
		t.Fatal(err)
	}
	page := admin.get("/admin/audit?action=moderation.&actor=auditor")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "moderation.remove") || !strings.Contains(page.body, "Advertising is not allowed") ||
		strings.Contains(page.body, "forum.create") {
		t.Fatalf("filtered audit log: %d", page.StatusCode)
	}
	a := h.api("GET", "/api/v1/admin/audit?kind=thread", admin.token("read"), nil)
	if ev, _ := a.Body["events"].([]any); a.Status != http.StatusOK || len(ev) != 1 {
		t.Errorf("API: %d %s", a.Status, a.Raw)
	}
	mod := h.withRole("mod_mia", models.RoleModerator)
	if r := mod.get("/admin/audit"); r.StatusCode != http.StatusForbidden {
		t.Errorf("moderator reads the audit log: %d", r.StatusCode)
	}
	if a := h.api("GET", "/api/v1/admin/audit", mod.token("read"), nil); a.Status != http.StatusForbidden {
		t.Errorf("moderator API: %d", a.Status)
	}
}

// TestMuting: a muted member's posts are collapsed for the muter and send
// them no notifications; the muted member is not told, and anonymous posts
// give nothing away.
func TestMuting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("mind", func(ff *forums.ForumForm) { ff.Sensitive = true })
	muter := h.member("quiet_q")
	h.member("loud_l")
	th := h.thread("quiet_q", f, "Evening routines", "What helps you wind down?", false)
	muter.get("/members/loud_l")
	if r := muter.post("/members/loud_l/mute", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("mute: %d", r.StatusCode)
	}
	h.reply("loud_l", th.ID, "Loud opinions about routines.", false)
	h.reply("loud_l", th.ID, "An anonymous thought.", true)
	page := muter.get("/t/" + itoa(th.ID)).body
	if strings.Count(page, "A post from a member you muted") != 1 {
		t.Errorf("collapsed posts: %d", strings.Count(page, "A post from a member you muted"))
	}
	if !strings.Contains(page, "Loud opinions") {
		t.Error("the muted post cannot be expanded")
	}
	if notifCount(t, h, "quiet_q", models.NotifyReply) != 0 {
		t.Error("the muter was notified of the muted member's replies")
	}
	if countWhere(t, h, `SELECT count(*) FROM notifications WHERE user_id = ?`, h.user("loud_l").ID) != 0 {
		t.Error("the muted member was told")
	}
	other := h.member("third_t")
	if strings.Contains(other.get("/t/"+itoa(th.ID)).body, "member you muted") {
		t.Error("collapsed for someone who did not mute")
	}
	if a := h.api("DELETE", "/api/v1/members/loud_l/mute", muter.token("write"), nil); a.Status != http.StatusNoContent {
		t.Errorf("unmute over the API: %d", a.Status)
	}
	if strings.Contains(muter.get("/t/"+itoa(th.ID)).body, "member you muted") {
		t.Error("still collapsed after unmuting")
	}
}

// TestAppeals: a member appeals a removal once; the moderator who removed
// it cannot decide; another one overturns it and the post is back. A
// suspended member appeals without signing in.
func TestAppeals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	f := h.forum("heart", nil)
	author := h.member("appellant")
	h.account("rep_one", models.RoleMember)
	h.account("mod_one", models.RoleModerator)
	mod2 := h.withRole("mod_two", models.RoleModerator)
	th := h.thread("appellant", f, "My honest experience", "Beta blockers made me tired.", false)
	h.report("rep_one", models.TargetThread, th.ID, models.ReasonMisinformation)
	if err := h.app.Moderation.Act(ctx, h.actor(h.user("mod_one")), models.TargetThread, th.ID, moderation.ActRemove, "Looks like medical advice", true); err != nil {
		t.Fatal(err)
	}
	page := author.get("/my/moderation")
	if !strings.Contains(page.body, "Looks like medical advice") || !strings.Contains(page.body, "Send appeal") {
		t.Fatal("the removal is not listed for appeal")
	}
	var actionID int64
	h.app.DB.Gorm.Raw(`SELECT id FROM moderation_actions WHERE action = 'remove'`).Scan(&actionID)
	if r := author.post("/my/moderation/"+itoa(actionID)+"/appeal", url.Values{"text": {"It was my own experience, not advice."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("appeal: %d", r.StatusCode)
	}
	if err := h.app.Moderation.Appeal(ctx, h.user("appellant").ID, actionID, "And again, please look."); !isConflict(err) {
		t.Errorf("second appeal: %v", err)
	}
	var appealID int64
	h.app.DB.Gorm.Raw(`SELECT id FROM appeals`).Scan(&appealID)
	if err := h.app.Moderation.DecideAppeal(ctx, h.actor(h.user("mod_one")), appealID, true, "I changed my mind"); !isConflict(err) {
		t.Errorf("the original moderator decides: %v", err)
	}
	mod2.get("/moderation/appeals")
	if r := mod2.post("/moderation/appeals/"+itoa(appealID)+"/decide", url.Values{"decision": {"overturn"}, "reason": {"Personal experience is welcome here."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("decide: %d", r.StatusCode)
	}
	if r := h.browser().get("/t/" + itoa(th.ID)); r.StatusCode != http.StatusOK {
		t.Errorf("overturned removal: thread %d", r.StatusCode)
	}
	if !strings.Contains(author.get("/notifications").body, "Your appeal was accepted") {
		t.Error("the member was not told")
	}
	// A suspended member appeals with their password.
	gm := h.user("mod_one")
	if err := h.app.Moderation.ActOnMember(ctx, h.actor(gm), models.TargetThread, th.ID, moderation.ActSuspend, "Arguing with moderators", h.clock.Now().Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	visitor := h.browser()
	visitor.get("/appeal")
	if r := visitor.post("/appeal", url.Values{"login": {"appellant"}, "password": {"wrong password!!"}, "text": {"Please reconsider this."}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("wrong password: %d", r.StatusCode)
	}
	if r := visitor.post("/appeal", url.Values{"login": {"appellant"}, "password": {goodPassword}, "text": {"Please reconsider this."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("suspension appeal: %d", r.StatusCode)
	}
	items, err := h.app.Moderation.Appeals(ctx, h.actor(h.user("mod_two")))
	if err != nil || len(items) != 1 || items[0].Action != "suspend" {
		t.Fatalf("appeals: %v %+v", err, items)
	}
	if err := h.app.Moderation.DecideAppeal(ctx, h.actor(h.user("mod_two")), items[0].ID, true, "Suspension lifted after review"); err != nil {
		t.Fatal(err)
	}
	if r := h.browser().signIn("appellant", goodPassword); r.StatusCode != http.StatusSeeOther {
		t.Errorf("sign in after the lifted suspension: %d", r.StatusCode)
	}
}

// A move may not widen who can read a thread: a global moderator cannot
// move a members-only thread into a public forum (the choice is not even
// offered), an admin can only after confirming and never for a thread
// with anonymous posts, and the thread's authors are told.
func TestMoveNeverWidensAudienceUnasked(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("open-talk", nil)
	quiet := h.forum("quiet-room", func(f *forums.ForumForm) { f.Sensitive = true })
	h.account("wider_author", models.RoleMember)
	h.account("wider_anon", models.RoleMember)
	withAnon := h.thread("wider_author", quiet, "When the grief comes back", "Some evenings are heavy.", false)
	h.reply("wider_anon", withAnon.ID, "Mine too, every spring.", true)
	plain := h.thread("wider_author", quiet, "Small wins this week", "I walked to the shop.", false)
	h.reply("wider_anon", plain.ID, "That is a real win.", false)
	mod := h.withRole("wider_mod", models.RoleModerator)
	admin := h.browser()
	admin.signIn(h.ensureAdmin(), goodPassword)
	modToken, adminToken := mod.token("write"), admin.token("write")
	inForum := func(id int64) int64 { return threadModel(h, id).ForumID }

	// A global moderator: not offered, refused by page and API.
	page := mod.get("/moderation/thread/" + itoa(plain.ID))
	if page.StatusCode != http.StatusOK || strings.Contains(page.body, `value="open-talk"`) {
		t.Errorf("moderator's move choices offer the public forum (%d)", page.StatusCode)
	}
	r := mod.post("/moderation/thread/"+itoa(plain.ID)+"/move", url.Values{"forum": {"open-talk"}, "confirm_wider": {"1"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "only an admin can move a thread to a wider audience") {
		t.Errorf("moderator's move to a wider forum: %d", r.StatusCode)
	}
	res := h.api(http.MethodPost, "/api/v1/moderation/items/thread/"+itoa(withAnon.ID)+"/move", modToken, map[string]any{"forum": "open-talk", "confirm_wider_audience": true})
	if res.Status != http.StatusUnprocessableEntity {
		t.Errorf("moderator's API move to a wider forum: %d %s", res.Status, res.Raw)
	}
	// An admin: never with anonymous posts, and only after confirming.
	res = h.api(http.MethodPost, "/api/v1/moderation/items/thread/"+itoa(withAnon.ID)+"/move", adminToken, map[string]any{"forum": "open-talk", "confirm_wider_audience": true})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Raw, "anonymous posts") {
		t.Errorf("admin's move of a thread with anonymous posts: %d %s", res.Status, res.Raw)
	}
	page = admin.get("/moderation/thread/" + itoa(plain.ID))
	if !strings.Contains(page.body, "(more people can read it)") {
		t.Errorf("admin's move choices do not say the public forum widens the audience")
	}
	r = admin.post("/moderation/thread/"+itoa(plain.ID)+"/move", url.Values{"forum": {"open-talk"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Tick the box to confirm") {
		t.Errorf("admin's unconfirmed move: %d", r.StatusCode)
	}
	if inForum(plain.ID) != quiet.ID || inForum(withAnon.ID) != quiet.ID {
		t.Fatal("a refused move moved the thread")
	}
	if r := h.browser().get("/t/" + itoa(plain.ID)); r.StatusCode == http.StatusOK {
		t.Fatal("a visitor reads the members-only thread")
	}
	r = admin.post("/moderation/thread/"+itoa(plain.ID)+"/move", url.Values{"forum": {"open-talk"}, "confirm_wider": {"1"}, "reason": {"Belongs with the everyday threads"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin's confirmed move: %d", r.StatusCode)
	}
	if inForum(plain.ID) == quiet.ID {
		t.Fatal("the confirmed move did not happen")
	}
	for _, who := range []string{"wider_author", "wider_anon"} {
		if n := countWhere(t, h, `SELECT count(*) FROM notifications WHERE user_id = ? AND message LIKE '%Small wins this week%more people can read%'`, h.user(who).ID); n != 1 {
			t.Errorf("%s told %d times of the wider audience", who, n)
		}
	}
	// Narrowing needs nothing more: back into the members-only forum.
	res = h.api(http.MethodPost, "/api/v1/moderation/items/thread/"+itoa(plain.ID)+"/move", modToken, map[string]any{"forum": "quiet-room"})
	if res.Status != http.StatusOK || inForum(plain.ID) != quiet.ID {
		t.Errorf("moderator's move to a narrower forum: %d %s", res.Status, res.Raw)
	}
}

// A thread's reply count and last activity count what readers see: a
// held reply counts once approved, a hidden, removed or deleted one stops
// counting, a restored one counts again, and "last activity" moves back
// and forth with them.
func TestReplyCountsCountWhatReadersSee(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": ""}}) // new members' first posts wait
	ctx := context.Background()
	f := h.forum("counts", nil)
	h.account("count_mod", models.RoleModerator)
	h.account("count_author", models.RoleMember)
	h.account("count_regular", models.RoleMember)
	// Established members: two earlier posts each (in a thread nobody sees).
	side := h.forum("counts-side", nil)
	for _, who := range []string{"count_author", "count_regular"} {
		if err := h.app.DB.Gorm.Exec(`WITH t AS (INSERT INTO threads (forum_id, author_id, title, visibility, created_at, last_post_at)
			SELECT ?, id, 'Earlier', 'removed', now(), now() FROM users WHERE handle = ? RETURNING id, author_id)
			INSERT INTO posts (thread_id, author_id, body, body_html, visibility, created_at)
			SELECT id, author_id, 'Earlier post', '<p>Earlier post</p>', 'removed', now() FROM t, generate_series(1, 2)`, side.ID, who).Error; err != nil {
			t.Fatal(err)
		}
	}
	mod := h.user("count_mod")
	th := h.thread("count_author", f, "Counting what shows", "Opening post.", false)
	opened := threadModel(h, th.ID).LastPostAt
	h.clock.Advance(time.Hour)
	first := h.reply("count_regular", th.ID, "A first reply.", false)
	h.clock.Advance(time.Hour)
	second := h.reply("count_regular", th.ID, "A second reply.", false)
	state := func(what string, replies int, last time.Time) {
		t.Helper()
		got := threadModel(h, th.ID)
		if got.ReplyCount != replies || !got.LastPostAt.Equal(last) {
			t.Errorf("%s: %d replies, last activity %v; want %d, %v", what, got.ReplyCount, got.LastPostAt, replies, last)
		}
		res := h.api(http.MethodGet, "/api/v1/threads/"+itoa(th.ID), "", nil)
		if n, _ := res.Body["reply_count"].(float64); int(n) != replies {
			t.Errorf("%s: the API says %v replies, want %d", what, res.Body["reply_count"], replies)
		}
	}
	state("two replies", 2, second.CreatedAt)
	if err := h.app.Moderation.Act(ctx, h.actor(mod), models.TargetPost, second.ID, moderation.ActHide, "Checking", false); err != nil {
		t.Fatal(err)
	}
	state("the second hidden", 1, first.CreatedAt)
	if err := h.app.Moderation.Act(ctx, h.actor(mod), models.TargetPost, second.ID, moderation.ActRestore, "", false); err != nil {
		t.Fatal(err)
	}
	state("the second restored", 2, second.CreatedAt)
	if err := h.app.Moderation.Act(ctx, h.actor(mod), models.TargetPost, first.ID, moderation.ActRemove, "Off topic", false); err != nil {
		t.Fatal(err)
	}
	state("the first removed", 1, second.CreatedAt)
	author := h.browser()
	author.signIn("count_regular", goodPassword)
	author.get("/posts/" + itoa(second.ID) + "/delete")
	if r := author.post("/posts/"+itoa(second.ID)+"/delete", url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.StatusCode)
	}
	state("the second deleted", 0, opened)
	// A new member's reply waits: it counts once approved.
	newbie := h.member("count_newbie")
	h.clock.Advance(time.Hour)
	newbie.get("/t/" + itoa(th.ID))
	if r := newbie.post("/t/"+itoa(th.ID)+"/replies", url.Values{"body": {"Hello, I am new here."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("newbie reply: %d", r.StatusCode)
	}
	var held models.Post
	h.app.DB.Gorm.Where("thread_id = ? AND visibility = 'pending'", th.ID).First(&held)
	if held.ID == 0 {
		t.Fatal("the new member's reply was not held")
	}
	state("a reply held", 0, opened)
	if err := h.app.Moderation.Act(ctx, h.actor(mod), models.TargetPost, held.ID, moderation.ActRestore, "", false); err != nil {
		t.Fatal(err)
	}
	state("the held reply approved", 1, held.CreatedAt)
}

// Hiding needs a reason; the author is told (with the reason) whenever a
// post is hidden or removed, and reaches the appeal from the notice, the
// account page and, when suspended, the sign-in page; an overturned hide
// brings the post back. Reports that hide a post on their own tell the
// author it waits for a moderator.
func TestHiddenAuthorsAreToldAndCanAppeal(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	f := h.forum("appeal-path", nil)
	author := h.member("hidden_author")
	th := h.thread(h.ensureAdmin(), f, "Sharing what helps", "What helps you on bad days?", false)
	post := h.reply("hidden_author", th.ID, "Walking the dog helps me a lot.", false)
	mod := h.withRole("hide_mod", models.RoleModerator)
	h.account("hide_mod_two", models.RoleModerator)
	item := "/moderation/post/" + itoa(post.ID)
	mod.get(item)
	if r := mod.post(item+"/hide", url.Values{}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Give a reason") {
		t.Fatalf("hiding without a reason: %d", r.StatusCode)
	}
	if r := mod.post(item+"/hide", url.Values{"reason": {"Looks like an advert for a dog walker"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("hide: %d", r.StatusCode)
	}
	bell := author.get("/notifications").body
	if !strings.Contains(bell, "A moderator hid your post") || !strings.Contains(bell, "Looks like an advert for a dog walker") || !strings.Contains(bell, `href="/my/moderation"`) {
		t.Fatal("the author is not told of the hide with its reason and the way to appeal")
	}
	if !strings.Contains(author.get("/account").body, `href="/my/moderation"`) {
		t.Error("the account page does not lead to the appeals")
	}
	mine := author.get("/my/moderation").body
	if !strings.Contains(mine, "Looks like an advert for a dog walker") || !strings.Contains(mine, "Send appeal") {
		t.Fatal("the hide cannot be appealed")
	}
	var actionID int64
	h.app.DB.Gorm.Raw(`SELECT id FROM moderation_actions WHERE action = 'hide' AND target_id = ?`, post.ID).Scan(&actionID)
	if r := author.post("/my/moderation/"+itoa(actionID)+"/appeal", url.Values{"text": {"It was about my own dog, not an advert."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("appeal: %d", r.StatusCode)
	}
	var appealID int64
	h.app.DB.Gorm.Raw(`SELECT id FROM appeals WHERE action_id = ?`, actionID).Scan(&appealID)
	if err := h.app.Moderation.DecideAppeal(ctx, h.actor(h.user("hide_mod_two")), appealID, true, "You are right, it is your own dog"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.browser().get("/t/"+itoa(th.ID)).body, "Walking the dog helps me a lot.") {
		t.Error("the overturned hide did not bring the post back")
	}

	// Reports that hide a post on their own: the author hears it waits.
	other := h.reply("hidden_author", th.ID, "Second thoughts on walking.", false)
	for i := 0; i < 10 && h.firstPostVisibility(other.ID) == "visible"; i++ {
		who := "hide_reporter_" + itoa(int64(i))
		h.account(who, models.RoleMember)
		h.app.DB.Gorm.Exec(`UPDATE users SET created_at = created_at - interval '90 days' WHERE handle = ?`, who)
		if _, err := h.report(who, models.TargetPost, other.ID, models.ReasonSpam); err != nil {
			t.Fatal(err)
		}
	}
	if v := h.firstPostVisibility(other.ID); v != "hidden" {
		t.Fatalf("ten reports did not hide the post (%s)", v)
	}
	if !strings.Contains(author.get("/notifications").body, "is hidden while a moderator looks at reports") {
		t.Error("an automatic hide is not explained to the author")
	}

	// A suspended member's sign-in page links to the appeal.
	if err := h.app.Moderation.ActOnMember(ctx, h.actor(h.user("hide_mod")), models.TargetPost, post.ID, moderation.ActSuspend, "Cooling off after an argument", h.clock.Now().Add(7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	r := h.browser().signIn("hidden_author", goodPassword)
	if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, `href="/appeal"`) {
		t.Errorf("suspended sign-in: %d, without a link to /appeal", r.StatusCode)
	}
}

// firstPostVisibility reads a post's visibility.
func (h *harness) firstPostVisibility(id int64) string {
	var v string
	h.app.DB.Gorm.Raw(`SELECT visibility FROM posts WHERE id = ?`, id).Scan(&v)
	return v
}

// A new member's held posts: they are told before posting that their
// first posts are reviewed; they can edit and delete a held post; their
// own held thread says it awaits review instead of "locked"; the queue
// shows "Awaiting approval", not a report; approving is not a sanction in
// their history.
func TestHeldPostsForNewMembers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": ""}}) // the default: 2
	f := h.forum("held", nil)
	mod := h.withRole("held_mod", models.RoleModerator)
	newbie := h.member("held_newbie")
	if page := newbie.get("/f/held/new"); !strings.Contains(page.body, "Your first 2 posts are read by a moderator") {
		t.Error("the new member is not told before posting that their first posts are reviewed")
	}
	r := newbie.post("/f/held/threads", url.Values{"title": {"Hello from a newcomer"}, "body": {"Glad to have found this place."}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("new thread: %d", r.StatusCode)
	}
	var th models.Thread
	h.app.DB.Gorm.Where("forum_id = ?", f.ID).First(&th)
	first := h.firstPost(th.ID)
	page := newbie.get("/t/" + itoa(th.ID)).body
	if !strings.Contains(page, "waiting for a moderator's approval") || strings.Contains(page, "The thread is locked") {
		t.Error("the author's own held thread does not say it awaits review")
	}
	r = newbie.post("/t/"+itoa(th.ID)+"/replies", url.Values{"body": {"Adding a little more."}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "waiting for a moderator") || strings.Contains(r.body, "locked") {
		t.Errorf("reply in the own held thread: %d", r.StatusCode)
	}
	if r := newbie.get("/posts/" + itoa(first.ID) + "/edit"); r.StatusCode != http.StatusOK {
		t.Fatalf("edit page of the held post: %d", r.StatusCode)
	}
	if r := newbie.post("/posts/"+itoa(first.ID)+"/edit", url.Values{"body": {"Glad to have found this place. Hello all!"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("edit of the held post: %d", r.StatusCode)
	}
	if r := newbie.get("/posts/" + itoa(first.ID) + "/delete"); r.StatusCode != http.StatusOK {
		t.Errorf("delete page of the held post: %d", r.StatusCode)
	}
	if r := h.member("held_stranger").get("/posts/" + itoa(first.ID) + "/edit"); r.StatusCode != http.StatusNotFound {
		t.Errorf("another member opens the held post's edit page: %d", r.StatusCode)
	}
	queue := mod.get("/moderation").body
	if !strings.Contains(queue, "Hello from a newcomer") || !strings.Contains(queue, "Awaiting approval") || strings.Contains(queue, "<td>other</td>") {
		t.Error("the queue does not show the held thread as awaiting approval")
	}
	if err := h.app.Moderation.Act(context.Background(), h.actor(h.user("held_mod")), models.TargetThread, th.ID, moderation.ActRestore, "", false); err != nil {
		t.Fatal(err)
	}
	// Approval is not a sanction: a later item about the member does not
	// list it in their history.
	second := h.reply("held_newbie", th.ID, "Thanks for approving me.", false) // the second first post: held too
	if err := h.app.Moderation.Act(context.Background(), h.actor(h.user("held_mod")), models.TargetPost, second.ID, moderation.ActRestore, "", false); err != nil {
		t.Fatal(err)
	}
	post := h.reply("held_newbie", th.ID, "Now I can post freely.", false)
	h.account("held_reporter", models.RoleMember)
	if _, err := h.report("held_reporter", models.TargetPost, post.ID, models.ReasonOffTopic); err != nil {
		t.Fatal(err)
	}
	it := h.api(http.MethodGet, "/api/v1/moderation/items/post/"+itoa(post.ID), mod.token("read"), nil)
	if it.Status != http.StatusOK || strings.Contains(it.Raw, `"action":"restore"`) {
		t.Errorf("the member's history lists the approval: %d %s", it.Status, it.Raw)
	}
}

// The moderator's flow: a decision leads to the next item in the queue
// (or back to the empty queue); waiting appeals are counted in the
// navigation; a member's page leads a moderator to warn, suspend or ban
// without any report.
func TestModeratorFlow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("flow", nil)
	h.account("flow_author", models.RoleMember)
	h.account("flow_reporter", models.RoleMember)
	th := h.thread(h.ensureAdmin(), f, "A busy evening", "Opening post.", false)
	one := h.reply("flow_author", th.ID, "First reported reply.", false)
	two := h.reply("flow_author", th.ID, "Second reported reply.", false)
	for _, p := range []*models.Post{one, two} {
		if _, err := h.report("flow_reporter", models.TargetPost, p.ID, models.ReasonSpam); err != nil {
			t.Fatal(err)
		}
	}
	mod := h.withRole("flow_mod", models.RoleModerator)
	first := "/moderation/post/" + itoa(one.ID)
	mod.get(first)
	r := mod.post(first+"/dismiss", url.Values{"expect_open": {"1"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/moderation/post/"+itoa(two.ID) {
		t.Fatalf("after a decision: %d %q, want the next item", r.StatusCode, r.Header.Get("Location"))
	}
	if page := mod.get(r.Header.Get("Location")).body; !strings.Contains(page, "Here is the next item") {
		t.Error("the next item does not say why the moderator is there")
	}
	r = mod.post("/moderation/post/"+itoa(two.ID)+"/remove", url.Values{"reason": {"Advertising is not allowed here."}, "expect_open": {"1"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/moderation" {
		t.Fatalf("after the last decision: %d %q, want the queue", r.StatusCode, r.Header.Get("Location"))
	}
	// The author appeals the removal: staff see it counted.
	author := h.browser()
	author.signIn("flow_author", goodPassword)
	var actionID int64
	h.app.DB.Gorm.Raw(`SELECT id FROM moderation_actions WHERE action = 'remove' AND target_id = ?`, two.ID).Scan(&actionID)
	author.get("/my/moderation")
	if r := author.post("/my/moderation/"+itoa(actionID)+"/appeal", url.Values{"text": {"It was a link to a free support group."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("appeal: %d", r.StatusCode)
	}
	nav := mod.get("/").body
	if !regexp.MustCompile(`href="/moderation/appeals">Appeals <span class="badge">1`).MatchString(nav) {
		t.Error("the navigation does not count the waiting appeal")
	}
	if strings.Contains(author.get("/").body, `href="/moderation/appeals"`) {
		t.Error("a member sees the appeals count")
	}
	// From a member's page to their moderation, without a report.
	profile := mod.get("/members/flow_author").body
	uid := h.user("flow_author").ID
	if !strings.Contains(profile, `href="/moderation/user/`+itoa(uid)+`"`) {
		t.Fatal("the member's page does not lead to their moderation")
	}
	item := mod.get("/moderation/user/" + itoa(uid))
	if item.StatusCode != http.StatusOK || !strings.Contains(item.body, "/suspend") || !strings.Contains(item.body, "/warn") {
		t.Errorf("moderating a member without a report: %d", item.StatusCode)
	}
	if strings.Contains(author.get("/members/flow_reporter").body, "/moderation/user/") {
		t.Error("a member is offered to moderate another")
	}
}

// Canned reasons: admins keep the list; a moderator picks one beside
// their own words when hiding or removing, and the author reads both.
func TestCannedModerationReasons(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("canned", nil)
	h.account("canned_author", models.RoleMember)
	th := h.thread(h.ensureAdmin(), f, "Canned reasons", "Opening post.", false)
	post := h.reply("canned_author", th.ID, "Buy my supplements at a discount!", false)
	admin := h.browser()
	admin.signIn(h.ensureAdmin(), goodPassword)
	admin.get("/admin/moderation-reasons")
	if r := admin.post("/admin/moderation-reasons", url.Values{"label": {""}, "body": {"x"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "short name") {
		t.Errorf("an empty reason: %d", r.StatusCode)
	}
	if r := admin.post("/admin/moderation-reasons", url.Values{"label": {"Miracle cures"}, "body": {"Kindred does not allow selling supplements or cures."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add a reason: %d", r.StatusCode)
	}
	var id int64
	h.app.DB.Gorm.Raw(`SELECT id FROM moderation_reasons WHERE label = 'Miracle cures'`).Scan(&id)
	mod := h.withRole("canned_mod", models.RoleModerator)
	item := "/moderation/post/" + itoa(post.ID)
	page := mod.get(item).body
	if !strings.Contains(page, `<option value="`+itoa(id)+`">Miracle cures</option>`) || !strings.Contains(page, "Advertising") {
		t.Fatal("the item page does not offer the reasons")
	}
	if r := mod.post(item+"/remove", url.Values{"canned": {itoa(id)}, "reason": {"Second warning this month."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove with a canned reason: %d", r.StatusCode)
	}
	var msg string
	h.app.DB.Gorm.Raw(`SELECT message FROM notifications WHERE user_id = ? ORDER BY id DESC LIMIT 1`, h.user("canned_author").ID).Scan(&msg)
	if !strings.Contains(msg, "Kindred does not allow selling supplements or cures. Second warning this month.") {
		t.Errorf("the author reads %q", msg)
	}
	if r := admin.post("/admin/moderation-reasons/"+itoa(id)+"/delete", url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.StatusCode)
	}
	if r := mod.post("/admin/moderation-reasons", url.Values{"label": {"x"}, "body": {"a moderator tries"}}); r.StatusCode != http.StatusForbidden && r.StatusCode != http.StatusNotFound {
		t.Errorf("a moderator edits the list: %d", r.StatusCode)
	}
	if countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action LIKE 'moderation_reason.%'`) != 2 {
		t.Error("changes to the list are not audited")
	}
}
