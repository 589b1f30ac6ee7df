package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/models"
)

func TestForumPermissionMatrix(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.withRole("owner", models.RoleModerator) // writes the post others try to edit
	kinds := map[string]*models.Forum{
		"public":    h.forum("public-forum", nil),
		"sensitive": h.forum("sensitive-forum", func(f *forums.ForumForm) { f.Sensitive = true }),
		"clinician": h.forum("clinician-forum", func(f *forums.ForumForm) { f.ClinicianOnly = true }),
		"archived":  h.forum("archived-forum", nil),
	}
	elsewhere := h.forum("elsewhere", nil)
	threads := map[string]*models.Thread{}
	posts := map[string]int64{}
	for k, f := range kinds {
		threads[k] = h.thread("owner", f, "A thread in the "+k+" forum", "Opening post.", false)
		posts[k] = h.firstPost(threads[k].ID).ID
	}
	if err := h.app.Forums.SetArchived(t.Context(), h.viewer(h.ensureAdmin()), kinds["archived"].ID, true); err != nil {
		t.Fatal(err)
	}

	type viewer struct {
		name    string
		b       *browser
		token   string
		visitor bool
	}
	member := h.member("member")
	otherMod := h.member("other_mod")
	h.makeForumModerator("other_mod", elsewhere)
	forumMod := h.member("forum_mod")
	for _, f := range kinds {
		h.makeForumModerator("forum_mod", f)
	}
	admin := h.withRole("admin_user", models.RoleAdmin)
	h.licensing()
	clinician := h.member("dr_clin")
	h.verify("dr_clin", 300)
	visitor := h.browser()
	visitor.get("/signin") // a CSRF token for the visitor's forms
	viewers := []viewer{{name: "visitor", b: visitor, visitor: true}}
	for name, b := range map[string]*browser{"member": member, "other_mod": otherMod, "forum_mod": forumMod, "admin": admin, "clinician": clinician} {
		viewers = append(viewers, viewer{name: name, b: b, token: b.token("write")})
	}

	canRead := func(kind, who string) bool {
		switch kind {
		case "sensitive":
			return who != "visitor"
		case "clinician":
			return who == "forum_mod" || who == "admin" || who == "clinician" // a verified clinician
		}
		return true
	}
	allowed := func(kind, who, action string) bool {
		if action == "read" {
			return canRead(kind, who)
		}
		if who == "visitor" || kind == "archived" || !canRead(kind, who) {
			return false
		}
		if action == "edit" {
			return who == "forum_mod" || who == "admin"
		}
		return true
	}

	for kind, f := range kinds {
		tid, pid := threads[kind].ID, posts[kind]
		for _, v := range viewers {
			for _, action := range []string{"read", "post", "reply", "react", "edit"} {
				want := allowed(kind, v.name, action)
				t.Run(fmt.Sprintf("%s/%s/%s", kind, v.name, action), func(t *testing.T) {
					// Pages.
					var r *resp
					ok := http.StatusSeeOther
					switch action {
					case "read":
						r, ok = v.b.get("/f/"+f.Slug), http.StatusOK
						if r.StatusCode == ok {
							if r2 := v.b.get(fmt.Sprintf("/t/%d", tid)); r2.StatusCode != http.StatusOK {
								t.Fatalf("forum readable but thread page %d", r2.StatusCode)
							}
						}
					case "post":
						r = v.b.post("/f/"+f.Slug+"/threads", url.Values{"title": {"Posted by " + v.name}, "body": {"Hello from " + v.name}})
					case "reply":
						r = v.b.post(fmt.Sprintf("/t/%d/replies", tid), url.Values{"body": {"Reply from " + v.name}})
					case "react":
						r = v.b.post(fmt.Sprintf("/posts/%d/reactions/support", pid), nil)
					case "edit":
						r = v.b.post(fmt.Sprintf("/posts/%d/edit", pid), url.Values{"body": {"Edited by " + v.name}})
					}
					// A forum the viewer may not read answers like one that
					// does not exist (404); refusals elsewhere are 401/403.
					// (A visitor's writes are refused before anything is
					// looked up: 401 for every id, so nothing is confirmed.)
					hiddenForum := !canRead(kind, v.name) && (!v.visitor || action == "read")
					denied := r.StatusCode == http.StatusForbidden || r.StatusCode == http.StatusUnauthorized ||
						(r.StatusCode == http.StatusSeeOther && strings.HasPrefix(r.Header.Get("Location"), "/signin")) ||
						(hiddenForum && r.StatusCode == http.StatusNotFound)
					if want && r.StatusCode != ok {
						t.Errorf("page: allowed, but status %d (%s)", r.StatusCode, r.Header.Get("Location"))
					}
					if !want && !denied {
						t.Errorf("page: should be refused, got %d (%s)", r.StatusCode, r.Header.Get("Location"))
					}
					if !want && hiddenForum && r.StatusCode != http.StatusNotFound {
						t.Errorf("page: a forum the viewer may not read should answer 404, got %d", r.StatusCode)
					}
					// API.
					var a apiResp
					okAPI := http.StatusOK
					switch action {
					case "read":
						a = h.api("GET", "/api/v1/forums/"+f.Slug, v.token, nil)
					case "post":
						a, okAPI = h.api("POST", "/api/v1/forums/"+f.Slug+"/threads", v.token, map[string]any{"title": "API thread by " + v.name, "body": "Hello"}), http.StatusCreated
					case "reply":
						a, okAPI = h.api("POST", fmt.Sprintf("/api/v1/threads/%d/posts", tid), v.token, map[string]any{"body": "API reply"}), http.StatusCreated
					case "react":
						a = h.api("PUT", fmt.Sprintf("/api/v1/posts/%d/reactions/hug", pid), v.token, nil)
					case "edit":
						a = h.api("PATCH", fmt.Sprintf("/api/v1/posts/%d", pid), v.token, map[string]any{"body": "API edit by " + v.name})
					}
					if want && a.Status != okAPI {
						t.Errorf("API: allowed, but status %d: %s", a.Status, a.Raw)
					}
					if !want {
						wantStatus := http.StatusForbidden
						switch {
						case hiddenForum:
							wantStatus = http.StatusNotFound
						case v.visitor:
							wantStatus = http.StatusUnauthorized
						}
						if a.Status != wantStatus {
							t.Errorf("API: status %d, want %d: %s", a.Status, wantStatus, a.Raw)
						}
						if e, _ := a.Body["error"].(map[string]any); e == nil || e["code"] == nil || e["message"] == nil {
							t.Errorf("API refusal without an error body: %s", a.Raw)
						}
					}
				})
			}
		}
	}
	// Refusals changed nothing: the archived forum got no posts beyond its first.
	if n := countWhere(t, h, `SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id WHERE t.forum_id = ?`, kinds["archived"].ID); n != 1 {
		t.Fatalf("archived forum has %d posts, want 1", n)
	}
	// Each edit kept a revision: 2 allowed editors × 2 channels × 3 open forums.
	if n := countWhere(t, h, `SELECT count(*) FROM post_revisions WHERE reason = 'edit'`); n != 12 {
		t.Fatalf("%d edit revisions, want 12", n)
	}
	// Moderator edits of someone else's post are audited.
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'post.edit'`); n != 12 {
		t.Fatalf("%d audited edits, want 12", n)
	}
}

func TestVisitorsSeePublicForumsOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("open-forum", func(f *forums.ForumForm) { f.Name = "Open Forum" })
	h.forum("quiet-forum", func(f *forums.ForumForm) { f.Name = "Quiet Forum"; f.Sensitive = true })
	h.forum("lounge", func(f *forums.ForumForm) { f.Name = "Lounge"; f.ClinicianOnly = true })
	home := h.browser().get("/")
	// Reading sets no cookie: a visitor who only reads leaves no trace in their browser.
	for _, path := range []string{"/", "/f/open-forum"} {
		if r := h.browser().get(path); len(r.Cookies()) != 0 {
			t.Errorf("%s set cookies %v for a reading visitor", path, r.Cookies())
		}
	}
	if r := h.browser().get("/signin"); len(r.Cookies()) != 1 {
		t.Error("the sign-in form needs its browser cookie for CSRF")
	}
	if !strings.Contains(home.body, "Open Forum") || strings.Contains(home.body, "Quiet Forum") || strings.Contains(home.body, "Lounge") {
		t.Fatal("visitor's forum list is wrong")
	}
	m := h.member("reader")
	page := m.get("/")
	if !strings.Contains(page.body, "Quiet Forum") || strings.Contains(page.body, "Lounge") {
		t.Fatal("member's forum list is wrong")
	}
	sens := m.get("/f/quiet-forum")
	if sens.Header.Get("X-Robots-Tag") != "noindex" || !strings.Contains(sens.body, `<meta name="robots" content="noindex">`) {
		t.Fatal("sensitive forum page is indexable")
	}
	api := h.api("GET", "/api/v1/forums", "", nil)
	list, _ := api.Body["forums"].([]any)
	if api.Status != http.StatusOK || len(list) != 1 {
		t.Fatalf("visitor API forum list: %d %s", api.Status, api.Raw)
	}
}

// An author's name links to their profile only when the viewer may open
// it (their setting: everyone, members, or moderators only), and a post or
// thread that is held, hidden or removed has no Report link.
func TestAuthorLinksAndReportLinks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("links", nil)
	for handle, vis := range map[string]models.ProfileVisibility{"open_author": models.ProfileEveryone, "members_author": models.ProfileMembers, "private_author": models.ProfileStaff} {
		h.account(handle, models.RoleMember)
		h.app.DB.Gorm.Model(&models.User{}).Where("handle = ?", handle).Update("profile_visibility", vis)
	}
	th := h.thread("members_author", f, "Links to profiles", "Opening post.", false)
	h.reply("open_author", th.ID, "Reply from an open profile.", false)
	hidden := h.reply("private_author", th.ID, "Reply from a private profile.", false)
	visitor := h.browser()
	member := h.member("links_reader")
	mod := h.withRole("links_mod", models.RoleModerator)
	linked := func(body, handle string) bool { return strings.Contains(body, `href="/members/`+handle+`"`) }
	for _, c := range []struct {
		who                    string
		b                      *browser
		open, members, private bool
	}{
		{"visitor", visitor, true, false, false},
		{"member", member, true, true, false},
		{"moderator", mod, true, true, true},
	} {
		page := c.b.get("/t/" + itoa(th.ID)).body
		if linked(page, "open_author") != c.open || linked(page, "members_author") != c.members || linked(page, "private_author") != c.private {
			t.Errorf("%s: links open %v members %v private %v; want %v %v %v", c.who, linked(page, "open_author"), linked(page, "members_author"), linked(page, "private_author"), c.open, c.members, c.private)
		}
		if !strings.Contains(page, "private_author") || !strings.Contains(page, "members_author") {
			t.Errorf("%s: an author's name is missing", c.who)
		}
		for _, handle := range []string{"members_author", "private_author"} {
			if !linked(page, handle) && c.b.get("/members/"+handle).StatusCode == http.StatusOK {
				t.Errorf("%s: %s's profile opens but the name is not linked", c.who, handle)
			}
		}
		list := c.b.get("/f/links").body
		if linked(list, "members_author") != c.members {
			t.Errorf("%s: the forum list links members_author: %v", c.who, linked(list, "members_author"))
		}
	}
	if err := h.app.Moderation.Act(context.Background(), h.actor(h.user("links_mod")), models.TargetPost, hidden.ID, moderation.ActHide, "Checking", false); err != nil {
		t.Fatal(err)
	}
	page := mod.get("/t/" + itoa(th.ID)).body
	if !strings.Contains(page, "Hidden by moderators") || strings.Contains(page, "/report?kind=post&amp;id="+itoa(hidden.ID)) {
		t.Error("the hidden post still offers a Report link")
	}
	if !strings.Contains(member.get("/t/"+itoa(th.ID)).body, "/report?kind=post&amp;id=") {
		t.Error("visible posts lost their Report link")
	}
}
