package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/messages"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// memberWithEverything gives handle one of every kind of data Kindred
// keeps, each carrying the canary word, and returns their id.
func (h *harness) memberWithEverything(handle, canary string) (id int64, threadID int64) {
	t := h.t
	t.Helper()
	ctx := context.Background()
	h.licensing()
	f := h.forum("er-heart", func(f *forums.ForumForm) { f.Name = "Heart health"; f.Specialties = []string{"cardiology"} })
	h.account(handle, models.RoleMember)
	h.account("er_ben", models.RoleMember)
	other := h.thread("er_ben", f, "Rehab classes near me", "Anyone tried the Tuesday group?", false)
	otherPost := h.reply("er_ben", other.ID, "I go on Thursdays.", false)
	tok := h.tokenFor(handle, "write")
	key := imageKey(t.(*testing.T), h.apiUpload(tok, "er-heart", "my scar "+canary, "scar.png", testenv.PNG(t, testenv.Gradient(24, 24))))
	th := h.thread(handle, f, "My stent story "+canary, "It started with chest pain on a walk. "+canary+" ![my scar](/images/"+key+")", false)
	h.reply(handle, other.ID, "The Tuesday group is friendly. "+canary, false)
	mood := h.forum("er-mood", func(f *forums.ForumForm) { f.Name = "Low days"; f.Sensitive = true })
	h.thread(handle, mood, "Some days I just cry", "An anonymous aside "+canary, true)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"PUT", fmt.Sprintf("/api/v1/posts/%d/bookmark", otherPost.ID), map[string]any{"note": "remember " + canary}},
		{"PUT", fmt.Sprintf("/api/v1/posts/%d/reactions/support", otherPost.ID), nil},
		{"PUT", fmt.Sprintf("/api/v1/threads/%d/draft", other.ID), map[string]any{"body": "half a thought " + canary}},
		{"PUT", fmt.Sprintf("/api/v1/threads/%d/follow", other.ID), nil},
		{"PUT", "/api/v1/forums/er-heart/follow", nil},
		{"PUT", "/api/v1/forums/er-heart/membership", nil},
		{"PUT", "/api/v1/members/er_ben/follow", nil},
		{"PUT", "/api/v1/me/message-settings", map[string]any{"accept": "followed"}},
		{"POST", "/api/v1/reports", map[string]any{"kind": "post", "id": otherPost.ID, "reason": "other", "note": "a note " + canary}},
	} {
		if r := h.api(c.method, c.path, tok, c.body); r.Status >= 300 {
			t.Fatalf("%s %s: %d %s", c.method, c.path, r.Status, r.Raw)
		}
	}
	if _, err := h.app.Messages.Start(ctx, h.actor(h.user(handle)), messages.StartForm{To: "er_ben", Body: "a private word " + canary}); err != nil {
		t.Fatal(err)
	}
	h.ask(handle, "er-heart", "Question about my stent "+canary, "Is the ache normal? "+canary)
	h.apply(handle, "RN-"+canary, 365, pdfDoc)
	// ben replies: a notification for the member that names ben, and one
	// for ben that names the member.
	h.reply("er_ben", th.ID, "So glad you are home.", false)
	return h.user(handle).ID, th.ID
}

// userColumns are the columns that hold a user id: every foreign key to
// users, and the audit and moderation records' ids, which have none.
func (h *harness) userColumns() [][2]string {
	var fks []struct{ Tbl, Col string }
	h.app.DB.Gorm.Raw(`SELECT cl.relname AS tbl, a.attname AS col FROM pg_constraint c
		JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
		WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass`).Scan(&fks)
	out := [][2]string{{"users", "id"}, {"audit_events", "actor_id"}, {"moderation_actions", "moderator_id"}, {"moderation_actions", "author_id"}}
	for _, f := range fks {
		out = append(out, [2]string{f.Tbl, f.Col})
	}
	return out
}

// traces lists every table and column holding the id (among userColumns)
// or any of the words (in any text column of any table).
func (h *harness) traces(id int64, words ...string) []string {
	var found []string
	for _, tc := range h.userColumns() {
		var n int64
		h.app.DB.Gorm.Raw(fmt.Sprintf(`SELECT count(*) FROM %q WHERE %q = ?`, tc[0], tc[1]), id).Scan(&n)
		if n > 0 {
			found = append(found, fmt.Sprintf("%s.%s = id (%d rows)", tc[0], tc[1], n))
		}
	}
	var cols []struct{ Tbl, Col string }
	h.app.DB.Gorm.Raw(`SELECT table_name AS tbl, column_name AS col FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'jsonb', 'ARRAY', 'bytea')`).Scan(&cols)
	for _, c := range cols {
		for _, w := range words {
			var n int64
			h.app.DB.Gorm.Raw(fmt.Sprintf(`SELECT count(*) FROM %q WHERE %q::text ILIKE ?`, c.Tbl, c.Col), "%"+w+"%").Scan(&n)
			if n > 0 {
				found = append(found, fmt.Sprintf("%s.%s holds %q (%d rows)", c.Tbl, c.Col, w, n))
			}
		}
	}
	return found
}

func (h *harness) storeCount(list func(context.Context, func(string) error) error) int {
	n := 0
	if err := list(context.Background(), func(string) error { n++; return nil }); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// The member asks, waits out the grace period, and nothing of theirs is
// left: no row names them except as the pseudonymous tombstone in the
// records that keep one, no text of theirs anywhere, no file, nothing in
// search.
func TestErasureLeavesNothingOfTheMember(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true, env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": "0", "KINDRED_MESSAGES_MIN_POSTS": "0"}})
	const canary = "zqcanary"
	id, threadID := h.memberWithEverything("zq_member", canary)
	docsBefore, imagesBefore := h.storeCount(h.app.Documents.List), h.storeCount(h.app.ImageStore.List)
	if docsBefore == 0 || imagesBefore == 0 {
		t.Fatalf("the fixture stored %d documents and %d images", docsBefore, imagesBefore)
	}
	eventually(t, "the thread searchable", func() bool { return has(h.searchIDs("", "q="+canary), threadID) })
	if len(h.traces(id, "zq_member", canary)) < 15 {
		t.Fatalf("the fixture left too few traces to test against: %v", h.traces(id, "zq_member", canary))
	}

	// The member asks through the page: a confirmation is needed, then
	// they are signed out everywhere.
	b := h.browser()
	b.signIn("zq_member", goodPassword)
	if r := b.get("/account/delete"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "signing in before then cancels the deletion") {
		t.Fatalf("delete page: %d", r.StatusCode)
	}
	if r := b.post("/account/delete", url.Values{"mode": {"delete"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Tick this box") {
		t.Fatalf("without the confirmation: %d", r.StatusCode)
	}
	if r := b.post("/account/delete", url.Values{"mode": {"delete"}, "confirm": {"on"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("request: %d %s", r.StatusCode, r.body)
	}
	if r := b.get("/account"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("still signed in after asking: %d", r.StatusCode)
	}
	ctx := context.Background()
	// Nothing happens before the day.
	if n, err := h.app.Privacy.RunDue(ctx); err != nil || n != 0 {
		t.Fatalf("erased before the grace period ended: %d %v", n, err)
	}
	h.clock.Advance(7*24*time.Hour + time.Minute)
	if n, err := h.app.Privacy.RunDue(ctx); err != nil || n != 1 {
		t.Fatalf("due erasure: %d %v", n, err)
	}

	// What may keep the pseudonymous id: the tombstone, the records of
	// what happened (audit, moderation, reports they filed), and the
	// posts that stay as "removed by its author" in others' threads.
	allowed := map[string]bool{"users": true, "audit_events": true, "moderation_actions": true, "reports": true, "posts": true, "threads": true}
	for _, tr := range h.traces(id, "zq_member", canary, "zq_member@example.org") {
		table := strings.SplitN(tr, ".", 2)[0]
		if strings.Contains(tr, "= id") && allowed[table] {
			continue
		}
		t.Errorf("left behind: %s", tr)
	}
	tomb := h.userByID(id)
	if tomb.Status != models.StatusErased || !models.IsFormerMember(tomb.Handle) || tomb.Email != nil || tomb.PasswordHash != nil {
		t.Errorf("tombstone: %+v", tomb)
	}
	if n := h.storeCount(h.app.Documents.List); n != docsBefore-1 {
		t.Errorf("documents in the store: %d, want %d", n, docsBefore-1)
	}
	if n := h.storeCount(h.app.ImageStore.List); n != imagesBefore-1 {
		t.Errorf("images in the store: %d, want %d", n, imagesBefore-1)
	}
	eventually(t, "search forgot", func() bool { return len(h.searchIDs("", "q="+canary)) == 0 })
	// What `kindred search verify` checks: the index matches PostgreSQL.
	eventually(t, "the index matches the database", func() bool {
		rep, err := h.app.Search.Verify(ctx, h.app.Forums, false)
		return err == nil && rep.Clean()
	})
	// ben's reply stays, in a thread with nothing of the member's.
	page := h.browser().get(fmt.Sprintf("/t/%d", threadID))
	if strings.Contains(page.body, canary) || strings.Contains(page.body, "zq_member") {
		t.Errorf("the thread page still shows the member's words or name (%d)", page.StatusCode)
	}
	if b.signIn("zq_member", goodPassword); b.get("/account").StatusCode == http.StatusOK {
		t.Error("the erased account signs in")
	}
}

// Mode anonymise keeps the posts, shown as "a former member"; signing in
// during the grace period cancels; an admin can erase at once with a
// reason.
func TestErasureKeepsPostsAnonymisedAndCanBeCancelled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": "0", "KINDRED_MESSAGES_MIN_POSTS": "0"}})
	ctx := context.Background()
	f := h.forum("an-heart", nil)
	h.account("an_member", models.RoleMember)
	th := h.thread("an_member", f, "Walking again after surgery", "Ten minutes a day to start with, anonpost words.", false)

	// Cancelled by signing in.
	b := h.browser()
	b.signIn("an_member", goodPassword)
	if r := b.post("/account/delete", url.Values{"mode": {"anonymise"}, "confirm": {"on"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("request: %d", r.StatusCode)
	}
	if r := h.api("GET", "/api/v1/me/erasure", h.tokenFor("an_member", "read"), nil); r.Status != http.StatusOK || r.Body["pending"] != nil {
		t.Fatalf("signing in (for the token) should have cancelled: %s", r.Raw)
	}
	var told int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM notifications WHERE user_id = ? AND kind = 'erasure_cancelled'`, h.user("an_member").ID).Scan(&told)
	if told != 1 {
		t.Fatal("the member was not told the deletion was cancelled")
	}
	h.clock.Advance(8 * 24 * time.Hour)
	if n, _ := h.app.Privacy.RunDue(ctx); n != 0 || h.user("an_member").Status != models.StatusActive {
		t.Fatal("a cancelled erasure ran")
	}

	// An admin erases on request: a reason is needed, and kept.
	admin := h.browser()
	admin.signIn(h.ensureAdmin(), goodPassword)
	id := h.user("an_member").ID
	if r := admin.post(fmt.Sprintf("/admin/users/%d/erase", id), url.Values{"mode": {"anonymise"}, "reason": {"no"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("without a reason: %d", r.StatusCode)
	}
	member := h.browser()
	member.signIn("an_member", goodPassword)
	if r := member.post(fmt.Sprintf("/admin/users/%d/erase", id), url.Values{"mode": {"anonymise"}, "reason": {"asked by letter"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("a member erasing: %d", r.StatusCode)
	}
	if r := admin.post(fmt.Sprintf("/admin/users/%d/erase", id), url.Values{"mode": {"anonymise"}, "reason": {"Asked by letter on 3 March"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin erase: %d %s", r.StatusCode, r.body)
	}
	var reason string
	h.app.DB.Gorm.Raw(`SELECT reason FROM audit_events WHERE action = 'account.erased' AND target_id = ?`, id).Scan(&reason)
	if !strings.Contains(reason, "Asked by letter") {
		t.Fatalf("audit reason %q", reason)
	}
	page := h.browser().get(fmt.Sprintf("/t/%d", th.ID))
	if !strings.Contains(page.body, "anonpost words") || !strings.Contains(page.body, "a former member") || strings.Contains(page.body, "an_member") {
		t.Fatalf("anonymised thread page: %d", page.StatusCode)
	}
	if r := member.get("/account"); r.StatusCode == http.StatusOK {
		t.Fatal("the erased member is still signed in")
	}
}

// The retention limits, on a fake clock: old IP addresses and browser
// names, read notifications and audit events past their limit go; the
// rest stays, and the audit log still refuses any other change.
func TestRetentionLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_RETAIN_AUDIT_DAYS": "400"}})
	ctx := context.Background()
	h.account("rt_ana", models.RoleMember)
	b := h.browser()
	b.signIn("rt_ana", goodPassword)
	ana := h.user("rt_ana").ID
	h.app.DB.Gorm.Exec(`INSERT INTO notifications (user_id, kind, message, created_at, read_at) VALUES (?, 'moderation_notice', 'old', ?, ?), (?, 'moderation_notice', 'unread', ?, NULL)`,
		ana, h.clock.Now(), h.clock.Now(), ana, h.clock.Now())
	if res, err := h.app.Privacy.Enforce(ctx); err != nil || res.Notifications != 0 || res.Sessions != 0 {
		t.Fatalf("nothing is old yet: %+v %v", res, err)
	}
	h.clock.Advance(91 * 24 * time.Hour)
	if err := h.app.DB.Gorm.Exec(`INSERT INTO audit_events (actor_id, action, ip, created_at) VALUES (?, 'test.old', '203.0.113.9', ?), (?, 'test.recent', '203.0.113.10', ?)`,
		ana, h.clock.Now().AddDate(-2, 0, 0), ana, h.clock.Now().AddDate(0, 0, -40)).Error; err != nil {
		t.Fatal(err)
	}
	res, err := h.app.Privacy.Enforce(ctx)
	if err != nil || res.Notifications != 1 || res.Sessions == 0 || res.AuditEvents != 1 || res.IPCleared == 0 {
		t.Fatalf("after 91 days: %+v %v", res, err)
	}
	var ips, unread int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM sessions WHERE user_id = ? AND (ip <> '' OR user_agent <> '')`, ana).Scan(&ips)
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM notifications WHERE user_id = ?`, ana).Scan(&unread)
	if ips != 0 || unread != 1 {
		t.Fatalf("sessions with an address: %d; notifications left: %d (the unread one stays)", ips, unread)
	}
	var old, recentIP int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM audit_events WHERE action = 'test.old'`).Scan(&old)
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM audit_events WHERE action = 'test.recent' AND ip = ''`).Scan(&recentIP)
	if old != 0 || recentIP != 1 {
		t.Fatalf("audit: %d events past the limit left, %d recent with the address blanked", old, recentIP)
	}
	if err := h.app.DB.Gorm.Exec(`UPDATE audit_events SET reason = 'rewritten' WHERE action = 'test.recent'`).Error; err == nil {
		t.Fatal("the audit log took an ordinary update")
	}
	if err := h.app.DB.Gorm.Exec(`DELETE FROM audit_events`).Error; err == nil {
		t.Fatal("the audit log took an ordinary delete")
	}
}

// Sign-up asks for the agreement and the health-data consent and records
// them; accounts without them (made on the command line), and everyone
// after an admin publishes a new version, are asked before anything else,
// in pages and the API; withdrawing the health consent schedules erasure.
func TestConsentAtSignUpNewVersionsAndWithdrawal(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	users := h.count("users")
	b := h.browser()
	b.get("/signup")
	r := b.post("/signup", url.Values{"handle": {"cs_new"}, "email": {"cs_new@example.org"}, "password": {goodPassword}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Tick this box to agree") || !strings.Contains(r.body, "health information") || h.count("users") != users {
		t.Fatalf("sign-up without consent: %d", r.StatusCode)
	}
	if r := b.post("/signup", url.Values{"handle": {"cs_new"}, "email": {"cs_new@example.org"}, "password": {goodPassword}, "agree": {"on"}, "health_consent": {"on"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up: %d", r.StatusCode)
	}
	recs, _ := h.app.Privacy.Records(ctx, h.user("cs_new").ID)
	if len(recs) != 3 {
		t.Fatalf("consents recorded at sign-up: %+v", recs)
	}
	if r := b.get("/latest"); r.StatusCode != http.StatusOK {
		t.Fatalf("a member who agreed is asked again: %d", r.StatusCode)
	}
	// Visitors read the documents.
	if r := h.browser().get("/privacy"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Privacy notice") {
		t.Fatalf("privacy notice: %d", r.StatusCode)
	}

	// An account made on the command line is asked at its first page, and
	// its API token is refused until then.
	u, err := h.app.Auth.SeedAccount(ctx, "cs_cli", "cs_cli@example.org", goodPassword, models.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	cli := h.browser()
	cli.signIn("cs_cli", goodPassword)
	if r := cli.get("/latest"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/consent?next=%2Flatest" {
		t.Fatalf("no consent yet: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	_, tok, err := h.app.Auth.CreateAPIToken(ctx, u, auth.TokenForm{Name: "cli", Scope: "write"})
	if err != nil {
		t.Fatal(err)
	}
	if r := h.api("GET", "/api/v1/me", tok, nil); r.Status != http.StatusForbidden || errCode(r) != "consent_required" {
		t.Fatalf("API without consent: %d %s", r.Status, r.Raw)
	}
	if r := h.api("POST", "/api/v1/me/consent", tok, map[string]any{"agree_terms_and_privacy": true, "health_data": false}); r.Status != http.StatusUnprocessableEntity || errField(r, "health_data") == "" {
		t.Fatalf("half a consent: %d %s", r.Status, r.Raw)
	}
	if r := h.api("POST", "/api/v1/me/consent", tok, map[string]any{"agree_terms_and_privacy": true, "health_data": true}); r.Status != http.StatusOK || r.Body["required"] != false {
		t.Fatalf("consent through the API: %d %s", r.Status, r.Raw)
	}
	if r := h.api("GET", "/api/v1/me", tok, nil); r.Status != http.StatusOK {
		t.Fatalf("API after consent: %d", r.Status)
	}

	// A new privacy notice: everyone is asked again, and the page sends
	// them back where they were going.
	admin := h.browser()
	admin.signIn(h.ensureAdmin(), goodPassword)
	if r := admin.post("/admin/policies/privacy", url.Values{"body": {"# Privacy notice\n\nWe now also keep the time zone you choose, to send digests at 8 am."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d %s", r.StatusCode, r.body)
	}
	if r := b.get("/bookmarks"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/consent") {
		t.Fatalf("after a new version: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	page := b.get("/consent?next=%2Fbookmarks")
	if !strings.Contains(page.body, "version 2") {
		t.Fatalf("the consent page does not name the new version")
	}
	if r := b.post("/consent", url.Values{"next": {"/bookmarks"}, "agree": {"on"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("agreement without the health consent: %d", r.StatusCode)
	}
	if r := b.post("/consent", url.Values{"next": {"/bookmarks"}, "agree": {"on"}, "health_consent": {"on"}}); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/bookmarks" {
		t.Fatalf("agree: %d %q", r.StatusCode, r.Header.Get("Location"))
	}

	// Withdrawing the health consent schedules the erasure and signs out.
	if r := b.post("/account/consent/withdraw", url.Values{"mode": {"anonymise"}, "confirm": {"on"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d %s", r.StatusCode, r.body)
	}
	if p, _ := h.app.Privacy.PendingFor(ctx, h.user("cs_new").ID); p == nil || p.Mode != "anonymise" {
		t.Fatalf("no erasure after withdrawal: %+v", p)
	}
	if r := b.get("/account"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("still signed in after withdrawing: %d", r.StatusCode)
	}
	// Signing in again cancels the erasure, and asks for the consent again.
	b.signIn("cs_new", goodPassword)
	if p, _ := h.app.Privacy.PendingFor(ctx, h.user("cs_new").ID); p != nil {
		t.Fatal("signing in did not cancel the erasure")
	}
	if r := b.get("/latest"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdrawn consent not asked again: %d", r.StatusCode)
	}
}

// An erasure while Meilisearch hangs completes at once, and search forgets
// the member's words once Meilisearch answers again.
func TestErasureWhileMeilisearchIsDown(t *testing.T) {
	t.Parallel()
	m := testenv.NewPrivateMeili(t)
	h := newHarness(t, harnessOpts{workers: true, env: map[string]string{"MEILI_URL": m.URL, "MEILI_API_KEY": m.Key, "KINDRED_SEARCH_TIMEOUT": "500ms",
		"KINDRED_NEW_MEMBER_APPROVALS": "0"}})
	ctx := context.Background()
	f := h.forum("md-heart", nil)
	h.account("md_member", models.RoleMember)
	th := h.thread("md_member", f, "Beta blockers and tiredness", "mdcanary I sleep ten hours and still wake up tired.", false)
	// With the whole suite on two cores a search can outlast the 500 ms
	// timeout before the pause too; such an answer is a 503 to wait out.
	eventually(t, "the thread searchable", func() bool {
		r := h.api("GET", "/api/v1/search?q=mdcanary", "", nil)
		if r.Status != http.StatusOK {
			return false
		}
		for _, x := range r.Body["hits"].([]any) {
			if int64(x.(map[string]any)["id"].(float64)) == th.ID {
				return true
			}
		}
		return false
	})
	m.Pause()
	if err := h.app.Privacy.EraseNow(ctx, h.actor(h.user(h.ensureAdmin())), h.user("md_member").ID, "delete", "Asked by phone, confirmed by letter"); err != nil {
		t.Fatalf("erasure while Meilisearch hangs: %v", err)
	}
	m.Resume()
	eventually(t, "search forgot the erased member's thread", func() bool {
		r := h.api("GET", "/api/v1/search?q=mdcanary", "", nil)
		return r.Status == http.StatusOK && len(r.Body["hits"].([]any)) == 0
	})
}

// With KINDRED_ERASURE_KEEP_QUESTIONS the clinician keeps a minimal record
// of an erased member's question: no words of the member's, their own
// answer, the dates. Without it (the other tests) the question is gone.
func TestErasureKeepsAMinimalQuestionRecordWhenAsked(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_ERASURE_KEEP_QUESTIONS": "true"}})
	h.licensing()
	ctx := context.Background()
	h.forum("kq-heart", func(f *forums.ForumForm) { f.Name = "Heart health"; f.Specialties = []string{"cardiology"} })
	h.account("kq_member", models.RoleMember)
	dr := h.clinician("kq_dr", "cardiology")
	q := h.ask("kq_member", "kq-heart", "kqcanary my new pills and dizziness", "kqcanary I feel dizzy when I stand up.")
	if err := h.app.Questions.Accept(ctx, h.actor(dr), q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(dr), q.ID, questions.MessageForm{Body: "Stand up slowly and tell your prescriber; a dose change may help."}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(h.user("kq_member")), q.ID, questions.MessageForm{Body: "kqcanary thank you, I will."}); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Privacy.EraseNow(ctx, h.actor(h.user(h.ensureAdmin())), h.user("kq_member").ID, "delete", "Asked in person at the clinic"); err != nil {
		t.Fatal(err)
	}
	if left := h.traces(0, "kqcanary"); len(left) != 0 {
		t.Errorf("the member's words are left: %v", left)
	}
	var answers int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM question_messages WHERE question_id = ? AND author_id = ?`, q.ID, dr.ID).Scan(&answers)
	if h.question(q.ID).ID == 0 || answers != 1 {
		t.Fatalf("the clinician's record: question kept %v, their answers %d", h.question(q.ID).ID != 0, answers)
	}
}
