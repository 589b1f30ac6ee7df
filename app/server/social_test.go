package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

var badgeRe = regexp.MustCompile(`<span class="badge">(\d+)<`)

func unread(b *browser) string {
	m := badgeRe.FindStringSubmatch(b.get("/my/forums").body)
	if m == nil {
		return "0"
	}
	return m[1]
}

func TestFollowsAndNotifications(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("gardening-for-health", nil)
	starter := h.member("starter")
	follower := h.member("forum_fan")
	replier := h.member("helper")

	follower.get("/f/gardening-for-health")
	if r := follower.post("/f/gardening-for-health/follow", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("follow forum: %d", r.StatusCode)
	}
	th := h.thread("starter", f, "Raised beds and a bad back", "Any tips?", false)
	if unread(follower) != "1" {
		t.Fatal("forum follower not told of the new thread")
	}
	if unread(starter) != "0" {
		t.Fatal("the starter was notified of their own thread")
	}
	// A reply notifies the starter (auto-follow) but not the replier.
	replier.get(fmt.Sprintf("/t/%d", th.ID))
	replier.post(fmt.Sprintf("/t/%d/replies", th.ID), url.Values{"body": {"Kneeling pads changed my life."}})
	if unread(starter) != "1" || unread(replier) != "0" {
		t.Fatalf("after a reply: starter %s, replier %s", unread(starter), unread(replier))
	}
	// The replier now follows; the starter answering notifies them.
	starter.get(fmt.Sprintf("/t/%d", th.ID))
	starter.post(fmt.Sprintf("/t/%d/replies", th.ID), url.Values{"body": {"Ordering some today!"}})
	if unread(replier) != "1" {
		t.Fatal("the replier was not auto-subscribed")
	}
	// Opening the thread reads its notifications; unfollowing stops new ones.
	replier.get(fmt.Sprintf("/t/%d", th.ID))
	if unread(replier) != "0" {
		t.Fatal("opening the thread left its notification unread")
	}
	replier.post(fmt.Sprintf("/t/%d/unfollow", th.ID), nil)
	h.reply("starter", th.ID, "One more thing.", false)
	if unread(replier) != "0" {
		t.Fatal("an unfollowed thread still notifies")
	}

	page := starter.get("/notifications")
	if !strings.Contains(page.body, "helper replied in “Raised beds and a bad back”") {
		t.Fatalf("notifications page:\n%s", page.body[strings.Index(page.body, "<main"):])
	}
	id := regexp.MustCompile(`action="/notifications/(\d+)/open"`).FindStringSubmatch(page.body)
	r := starter.post("/notifications/"+id[1]+"/open", url.Values{"thread": {fmt.Sprint(th.ID)}, "post": {"0"}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), fmt.Sprintf("/t/%d", th.ID)) {
		t.Fatalf("open notification: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if unread(starter) != "0" {
		t.Fatal("opening the notification did not mark it read")
	}
	// Someone else's notification is not theirs to open.
	follower.get("/notifications")
	if r := follower.post("/notifications/"+id[1]+"/open", nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("opening another user's notification: %d", r.StatusCode)
	}
	follower.post("/notifications/read-all", nil)
	if unread(follower) != "0" {
		t.Fatal("mark all read left unread notifications")
	}
	// API: list, mark one, mark all.
	tok := replier.token("write")
	// (The replier read the thread's notification by opening it: follow
	// again for a new one.)
	if a := h.api("PUT", fmt.Sprintf("/api/v1/threads/%d/follow", th.ID), tok, nil); a.Status >= 300 {
		t.Fatalf("follow again: %d", a.Status)
	}
	h.reply("starter", th.ID, "Back to the beds.", false)
	a := h.api("GET", "/api/v1/notifications", tok, nil)
	if a.Status != http.StatusOK || a.Body["unread"] != 1.0 || len(a.Body["notifications"].([]any)) != 2 {
		t.Fatalf("API notifications: %s", a.Raw)
	}
	nid := a.Body["notifications"].([]any)[0].(map[string]any)["id"].(float64)
	if a := h.api("POST", fmt.Sprintf("/api/v1/notifications/%d/read", int64(nid)), tok, nil); a.Status != http.StatusNoContent {
		t.Fatalf("API mark read: %d", a.Status)
	}
	// A post that is later deleted disappears from the list and the count.
	p := h.reply("helper", th.ID, "Oops, wrong thread.", false)
	if unread(starter) != "1" {
		t.Fatal("no notification for the reply")
	}
	pc, _ := h.app.Forums.PostContext(t.Context(), h.viewer("helper"), p.ID)
	if err := h.app.Forums.DeletePost(t.Context(), h.viewer("helper"), pc); err != nil {
		t.Fatal(err)
	}
	if unread(starter) != "0" || strings.Contains(starter.get("/notifications").body, "Oops") {
		t.Fatal("a deleted post still shows in notifications")
	}
}

func TestJoinLeaveAndMyForums(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("walking-group", func(f *forums.ForumForm) { f.Name = "Walking group" })
	h.forum("other-forum", func(f *forums.ForumForm) { f.Name = "Other forum" })
	b := h.member("walker")
	if r := b.get("/my/forums"); !strings.Contains(r.body, "You have not joined any forum yet") {
		t.Fatal("empty My forums page lacks its explanation")
	}
	b.get("/f/walking-group")
	if r := b.post("/f/walking-group/join", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("join: %d", r.StatusCode)
	}
	mine := b.get("/my/forums").body
	if !strings.Contains(mine, "Walking group") || strings.Contains(mine, "Other forum") {
		t.Fatal("My forums is wrong after joining")
	}
	tok := b.token("read")
	if a := h.api("GET", "/api/v1/me/forums", tok, nil); len(a.Body["forums"].([]any)) != 1 {
		t.Fatalf("API my forums: %s", a.Raw)
	}
	b.get("/f/walking-group")
	if r := b.post("/f/walking-group/leave", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("leave: %d", r.StatusCode)
	}
	if strings.Contains(b.get("/my/forums").body, `href="/f/walking-group"`) {
		t.Fatal("still listed after leaving")
	}
	if r := h.browser().get("/my/forums"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("visitor on My forums: %d", r.StatusCode)
	}
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	open := h.forum("open-chat", func(f *forums.ForumForm) { f.Name = "Open chat" })
	sens := h.forum("hush", func(f *forums.ForumForm) { f.Name = "Hush"; f.Sensitive = true })
	b := h.member("profiled")
	h.member("looker")
	h.account("a_moderator", models.RoleModerator)
	for _, slug := range []string{"open-chat", "hush"} {
		b.get("/f/" + slug)
		b.post("/f/"+slug+"/join", nil)
	}
	h.thread("profiled", open, "Public thoughts today", "Visible post body", false)
	h.thread("profiled", sens, "Sensitive thoughts today", "Sensitive post body", false)
	looker := h.browser()
	looker.signIn("looker", goodPassword)
	page := looker.get("/members/profiled")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "Public thoughts today") || !strings.Contains(page.body, "Open chat") {
		t.Fatalf("profile: %d", page.StatusCode)
	}
	if strings.Contains(page.body, "Sensitive thoughts") || strings.Contains(page.body, "Hush") {
		t.Fatal("the profile shows a sensitive forum or its posts")
	}
	// Default: members only.
	if r := h.browser().get("/members/profiled"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("visitor on a members-only profile: %d", r.StatusCode)
	}
	b.get("/account")
	b.post("/account/profile", url.Values{"profile_visibility": {"everyone"}})
	if r := h.browser().get("/members/profiled"); r.StatusCode != http.StatusOK {
		t.Fatalf("visitor on a public profile: %d", r.StatusCode)
	}
	b.post("/account/profile", url.Values{"profile_visibility": {"staff"}})
	if r := looker.get("/members/profiled"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("member on a staff-only profile: %d", r.StatusCode)
	}
	mod := h.browser()
	mod.signIn("a_moderator", goodPassword)
	if r := mod.get("/members/profiled"); r.StatusCode != http.StatusOK {
		t.Fatalf("moderator on a staff-only profile: %d", r.StatusCode)
	}
	if r := b.get("/members/profiled"); r.StatusCode != http.StatusOK {
		t.Fatal("members must always see their own profile")
	}
	if r := b.post("/account/profile", url.Values{"profile_visibility": {"the world"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad visibility: %d", r.StatusCode)
	}
	if r := looker.get("/members/nobody_at_all"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown member: %d", r.StatusCode)
	}
}

func TestAdminManagesForums(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	admin := h.withRole("forum_admin", models.RoleAdmin)
	member := h.member("not_admin")
	h.member("future_mod")
	if r := member.get("/admin/forums"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("member on admin forums: %d", r.StatusCode)
	}
	admin.get("/admin/forums/new")
	r := admin.post("/admin/forums", url.Values{"name": {"X"}, "slug": {"Bad Slug!"}, "sensitive": {"on"}, "clinician_only": {"on"}, "moderators": {"ghost"}})
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid forum: %d", r.StatusCode)
	}
	for _, field := range []string{"name", "slug", "sensitive"} {
		if !strings.Contains(r.body, `id="`+field+`-error"`) {
			t.Errorf("no error for %s", field)
		}
	}
	r = admin.post("/admin/forums", url.Values{"name": {"Long COVID"}, "slug": {"long-covid"}, "specialties": {"respiratory, astrology"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "“astrology” is not in the list of specialties") {
		t.Fatalf("unknown specialty: %d", r.StatusCode)
	}
	r = admin.post("/admin/forums", url.Values{"name": {"Long COVID"}, "slug": {"long-covid"}, "description": {"Living with long COVID."},
		"guidelines": {"Be **kind**."}, "specialties": {"Respiratory medicine, rehabilitation"}, "moderators": {"future_mod"}, "position": {"5"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("create forum: %d %s", r.StatusCode, r.body)
	}
	fpage := member.get("/f/long-covid")
	if !strings.Contains(fpage.body, "Living with long COVID.") || !strings.Contains(fpage.body, "<strong>kind</strong>") {
		t.Fatal("new forum page lacks its description or rendered guidelines")
	}
	var f models.Forum
	h.app.DB.Gorm.Where("slug = 'long-covid'").First(&f)
	if len(f.Specialties) != 2 || f.Specialties[0] != "respiratory" || f.Specialties[1] != "rehabilitation" {
		t.Fatalf("specialties %v", f.Specialties)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM forum_moderators WHERE forum_id = ?`, f.ID); n != 1 {
		t.Fatal("forum moderator not set")
	}
	if r := admin.post("/admin/forums", url.Values{"name": {"Duplicate"}, "slug": {"long-covid"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "already uses") {
		t.Fatalf("duplicate slug: %d", r.StatusCode)
	}
	admin.get(fmt.Sprintf("/admin/forums/%d/edit", f.ID))
	if r := admin.post(fmt.Sprintf("/admin/forums/%d", f.ID), url.Values{"name": {"Long COVID support"}, "slug": {"long-covid"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit forum: %d", r.StatusCode)
	}
	admin.post(fmt.Sprintf("/admin/forums/%d/archive", f.ID), nil)
	fpage = member.get("/f/long-covid")
	if !strings.Contains(fpage.body, "archived") || strings.Contains(fpage.body, "Start a thread") {
		t.Fatal("archived forum still invites posts")
	}
	admin.post(fmt.Sprintf("/admin/forums/%d/restore", f.ID), nil)
	if !strings.Contains(member.get("/f/long-covid").body, "Start a thread") {
		t.Fatal("restored forum takes no posts")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE target_kind = 'forum' AND target_id = ?`, f.ID); n != 4 {
		t.Fatalf("%d audit events for the forum, want 4 (create, update, archive, restore)", n)
	}
	// The API route is for admins too.
	if a := h.api("POST", "/api/v1/forums", member.token("write"), map[string]any{"slug": "nope-forum", "name": "Nope"}); a.Status != http.StatusForbidden {
		t.Fatalf("member creating a forum via API: %d", a.Status)
	}
	adminTok := admin.token("write")
	if a := h.api("POST", "/api/v1/forums", adminTok, map[string]any{"slug": "api-forum", "name": "API forum", "sensitive": true}); a.Status != http.StatusCreated || a.Body["sensitive"] != true {
		t.Fatalf("admin creating a forum via API: %d %s", a.Status, a.Raw)
	}
	if a := h.api("PUT", "/api/v1/forums/api-forum/archive", adminTok, nil); a.Status != http.StatusOK || a.Body["archived_at"] == nil {
		t.Fatalf("archive via API: %d %s", a.Status, a.Raw)
	}
	if a := h.api("DELETE", "/api/v1/forums/api-forum/archive", adminTok, nil); a.Status != http.StatusOK || a.Body["archived_at"] != nil {
		t.Fatalf("restore via API: %d %s", a.Status, a.Raw)
	}
	if a := h.api("PUT", "/api/v1/forums/api-forum/archive", member.token("write"), nil); a.Status != http.StatusForbidden {
		t.Fatalf("member archiving via API: %d", a.Status)
	}
}

func TestPreviewAndValidation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("drafts", nil)
	b := h.member("drafter")
	b.get("/f/drafts/new")
	r := b.post("/f/drafts/threads", url.Values{"title": {"A title long enough"}, "body": {"Some _emphasis_ here"}, "action": {"preview"}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "<em>emphasis</em>") || !strings.Contains(r.body, `value="A title long enough"`) {
		t.Fatalf("preview: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM threads`); n != 0 {
		t.Fatal("a preview posted the thread")
	}
	cases := map[string]url.Values{
		"short title":   {"title": {"Hey"}, "body": {"x"}},
		"long title":    {"title": {strings.Repeat("t", 151)}, "body": {"x"}},
		"empty body":    {"title": {"A fine title"}, "body": {"   "}},
		"huge body":     {"title": {"A fine title"}, "body": {strings.Repeat("b", 20001)}},
		"invalid UTF-8": {"title": {"Bad \xff bytes"}, "body": {"x"}},
	}
	for name, v := range cases {
		if r := b.post("/f/drafts/threads", v); r.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", name, r.StatusCode)
		}
	}
	if n := countWhere(t, h, `SELECT count(*) FROM threads`); n != 0 {
		t.Fatal("an invalid thread was written")
	}
}
