package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/server"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

var bellBadge = regexp.MustCompile(`class="bell"[^>]*>Notifications <span class="badge">(\d+\+?)`)

// bell is the unread count a signed-in page shows ("" for none).
func bell(body string) string {
	if m := bellBadge.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// signedInAs reports whether a page is shown to handle, signed in.
func signedInAs(body, handle string) bool {
	return strings.Contains(body, `action="/signout"`) && strings.Contains(body, ">"+handle+"</a>")
}

// listenForMembers runs the workers (and with them the live hub and the
// session cache's sync signals) and waits until the cache may answer.
func listenForMembers(t *testing.T, h *harness) {
	t.Helper()
	h.startWorkers()
	waitTrusted(t, h.app)
}

func waitTrusted(t *testing.T, app *server.App) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !app.Auth.SessionCacheStats().Trusted {
		if time.Now().After(deadline) {
			t.Fatal("the session cache never became usable")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hitPage GETs a page until the member's session came from the cache
// (jobs that follow a write, such as indexing, keep it from answering
// until each one's sync signal came back), for at most five seconds.
func hitPage(t *testing.T, app *server.App, get func() *resp) *resp {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		before := app.Auth.SessionCacheStats().Hits
		r := get()
		if app.Auth.SessionCacheStats().Hits > before {
			return r
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the session never came from the cache")
	return nil
}

// A signed-in member's pages take their session from memory, and what
// this instance writes shows on the very next page, with no wait: a reply
// to the member's thread on their bell, reading it, a session ended from
// another browser. What changes in PostgreSQL by other means (another
// instance, a job, an operator) shows once its signal arrives: a hidden
// reply leaves the bell, a deleted session signs the member out, a new
// moderator sees the moderation link. While the signals cannot be heard,
// nothing comes from memory.
func TestSessionCacheFollowsWrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("sc-sleep", nil)
	h.account("sc_ana", models.RoleMember)
	h.account("sc_ben", models.RoleMember)
	th := h.thread("sc_ana", f, "Waking at 4am", "Every night since the new tablets.", false)
	listenForMembers(t, h)
	path := "/t/" + itoa(th.ID)
	ana := h.signedIn("sc_ana")
	page := hitPage(t, h.app, func() *resp { return ana.get(path) })
	if page.StatusCode != http.StatusOK || !signedInAs(page.body, "sc_ana") || bell(page.body) != "" {
		t.Fatalf("ana's page from the cache: %d, signed in %v, bell %q", page.StatusCode, signedInAs(page.body, "sc_ana"), bell(page.body))
	}

	// Ben replies through this instance: ana's next page counts it.
	ben := h.signedIn("sc_ben")
	ben.get(path)
	if r := ben.post(path+"/replies", url.Values{"body": {"Same here, it eased after three weeks."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("ben's reply: %d", r.StatusCode)
	}
	if got := bell(ana.get("/").body); got != "1" {
		t.Fatalf("ana's bell right after ben's reply: %q, want 1", got)
	}
	if got := bell(hitPage(t, h.app, func() *resp { return ana.get("/") }).body); got != "1" {
		t.Fatalf("ana's bell from the cache: %q, want 1", got)
	}
	// Opening the thread reads its notification (a page read that
	// writes): the next page's bell is clear.
	writes := h.app.Auth.SessionCacheStats().Writes
	ana.get(path)
	if h.app.Auth.SessionCacheStats().Writes == writes {
		t.Fatal("the thread page marked its notification read without noting a write")
	}
	if got := bell(ana.get("/").body); got != "" {
		t.Fatalf("ana's bell right after opening the thread: %q, want none", got)
	}
	// Marking all read clears it at once too.
	ben.get(path)
	if r := ben.post(path+"/replies", url.Values{"body": {"And try no screens after nine."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("ben's second reply: %d", r.StatusCode)
	}
	if got := bell(hitPage(t, h.app, func() *resp { return ana.get("/") }).body); got != "1" {
		t.Fatalf("ana's bell after ben's second reply: %q, want 1", got)
	}
	ana.get("/notifications")
	if r := ana.post("/notifications/read-all", nil); r.StatusCode >= 400 {
		t.Fatalf("read all: %d", r.StatusCode)
	}
	if got := bell(ana.get("/").body); got != "" {
		t.Fatalf("ana's bell right after reading: %q, want none", got)
	}

	// A reply that reaches PostgreSQL without passing through this
	// instance's requests (the service, as another instance or a job
	// would): the bell follows once the signal arrives.
	reply := h.reply("sc_ben", th.ID, "Magnesium in the evening helped me a little.", false)
	pageUntil(t, ana, "/", "the reply on ana's bell", func(r *resp) bool { return bell(r.body) == "1" })
	hitPage(t, h.app, func() *resp { return ana.get("/") })
	if err := h.app.DB.Gorm.Exec(`UPDATE posts SET visibility = 'hidden' WHERE id = ?`, reply.ID).Error; err != nil {
		t.Fatal(err)
	}
	pageUntil(t, ana, "/", "the hidden reply off ana's bell", func(r *resp) bool { return bell(r.body) == "" })

	// Made a forum moderator by another instance: the link appears.
	hitPage(t, h.app, func() *resp { return ana.get("/") })
	if err := h.app.DB.Gorm.Exec(`INSERT INTO forum_moderators (forum_id, user_id) SELECT ?, id FROM users WHERE handle = 'sc_ana'`, f.ID).Error; err != nil {
		t.Fatal(err)
	}
	pageUntil(t, ana, "/", "the moderation link", func(r *resp) bool { return strings.Contains(r.body, `href="/moderation"`) })

	// Another browser of ana's ends this one, through this instance: the
	// very next page is signed out.
	hitPage(t, h.app, func() *resp { return ana.get("/") })
	phone := h.signedIn("sc_ana")
	phone.get("/account/sessions")
	if r := phone.post("/account/sessions/revoke-others", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke others: %d", r.StatusCode)
	}
	if r := ana.get(path); signedInAs(r.body, "sc_ana") {
		t.Fatal("a revoked session still showed a signed-in page")
	}

	// A session deleted in PostgreSQL by other means (an operator, the
	// erasure job on another instance): signed out once the signal arrives.
	hitPage(t, h.app, func() *resp { return phone.get(path) })
	if err := h.app.DB.Gorm.Exec(`DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE handle = 'sc_ana')`).Error; err != nil {
		t.Fatal(err)
	}
	pageUntil(t, phone, path, "signed out", func(r *resp) bool { return r.StatusCode == http.StatusOK && !signedInAs(r.body, "sc_ana") })

	// Cut the hub's connection: nothing comes from memory until it is back.
	ben2 := h.signedIn("sc_ben")
	hitPage(t, h.app, func() *resp { return ben2.get(path) })
	var cut int64
	if err := h.app.DB.Gorm.Raw(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()
		AND (query = 'LISTEN kindred_live' OR query = 'SELECT coalesce(max(id), 0) FROM live_events')`).Scan(&cut).Error; err != nil || cut != 1 {
		t.Fatalf("listeners cut: %d (%v)", cut, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.app.Auth.SessionCacheStats().Trusted {
		if time.Now().After(deadline) {
			t.Fatal("the cache still answered after its signals were cut")
		}
		time.Sleep(5 * time.Millisecond)
	}
	before := h.app.Auth.SessionCacheStats().Hits
	if r := ben2.get(path); !signedInAs(r.body, "sc_ben") {
		t.Fatal("ben signed out while the hub was away")
	}
	if h.app.Auth.SessionCacheStats().Hits != before {
		t.Fatal("a session came from memory while the hub was not listening")
	}
	waitTrusted(t, h.app)
	hitPage(t, h.app, func() *resp { return ben2.get(path) })
	if v := visit(t, h.srv.URL, "/metrics"); !regexp.MustCompile(`(?m)^kindred_session_cache_hits_total [1-9]`).MatchString(v.body) ||
		!regexp.MustCompile(`(?m)^kindred_session_cache_misses_total [1-9]`).MatchString(v.body) {
		t.Fatal("/metrics does not count the session cache's hits and misses")
	}
}

// pageUntil GETs path as b until ok, for at most five seconds (signals
// arrive after the writer's commit, in milliseconds).
func pageUntil(t *testing.T, b *browser, path, what string, ok func(*resp) bool) *resp {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := b.get(path)
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s never showed (last answer %d)", path, what, r.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two instances: a member's session kept by B ends when they sign out
// through A, and B's pages see it once A's signal arrives; B's own
// session cache keeps working for the member's other session.
func TestSessionCacheAcrossInstances(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("sci_ana", models.RoleMember)
	listenForMembers(t, h)
	appB, baseB := h.secondInstance(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go appB.Auth.RunSessionCache(ctx)
	waitTrusted(t, appB)

	ana := h.signedIn("sci_ana")
	ana.get("/")
	onB := func() *resp {
		req, _ := http.NewRequest(http.MethodGet, baseB+"/account", nil)
		req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: ana.cookie(web.SessionCookie)})
		return ana.do(req)
	}
	if r := hitPage(t, appB, onB); r.StatusCode != http.StatusOK || !signedInAs(r.body, "sci_ana") {
		t.Fatalf("ana's account page on B: %d", r.StatusCode)
	}
	if r := ana.post("/signout", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out through A: %d", r.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := onB()
		if r.StatusCode == http.StatusSeeOther && strings.HasPrefix(r.Header.Get("Location"), "/signin") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B still knows ana's ended session: %d", r.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// KINDRED_SESSION_CACHE=off: every page reads its session from PostgreSQL.
func TestSessionCacheOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_SESSION_CACHE": "off"}})
	h.account("sco_ana", models.RoleMember)
	h.startWorkers()
	ana := h.signedIn("sco_ana")
	for i := 0; i < 3; i++ {
		if r := ana.get("/"); !signedInAs(r.body, "sco_ana") {
			t.Fatal("not signed in")
		}
	}
	if s := h.app.Auth.SessionCacheStats(); s.Hits != 0 || s.Entries != 0 {
		t.Fatalf("the cache answered though off: %+v", s)
	}
}

// Every table the session statement reads signals, on commit, the member
// whose cached session it changes (a<id>), or everyone (a*) where the
// bell's count of many members may change; the once-a-minute last-seen
// update and a post's edit signal nothing (migration 00054).
func TestSessionCacheSignals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	f := h.forum("scs-knees", nil)
	h.account("scs_ana", models.RoleMember)
	h.account("scs_ben", models.RoleMember)
	th := h.thread("scs_ana", f, "Knee brace at night?", "Is it worth it.", false)
	h.signedIn("scs_ana")
	ana := itoa(countWhere(t, h, `SELECT id FROM users WHERE handle = 'scs_ana'`))
	ctx := context.Background()
	pooled, err := h.app.DB.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn := pooled.Hijack()
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "LISTEN kindred_live"); err != nil {
		t.Fatal(err)
	}
	marker := 0
	// signals runs sql and returns the a-signals it caused, in order.
	signals := func(sql string, args ...any) []string {
		t.Helper()
		if err := h.app.DB.Gorm.Exec(sql, args...).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		marker++
		end := "marker" + itoa(int64(marker))
		if err := h.app.DB.Gorm.Exec(`SELECT pg_notify('kindred_live', ?)`, end).Error; err != nil {
			t.Fatal(err)
		}
		var got []string
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		for {
			n, err := conn.WaitForNotification(wctx)
			if err != nil {
				t.Fatalf("%s: waiting for signals: %v", sql, err)
			}
			if n.Payload == end {
				return got
			}
			if strings.HasPrefix(n.Payload, "a") {
				got = append(got, n.Payload)
			}
		}
	}
	for _, c := range []struct {
		sql  string
		want string // "" for no signal
	}{
		{`UPDATE users SET role = role WHERE id = ` + ana, "a" + ana},
		{`UPDATE sessions SET last_seen_at = now(), ip = '192.0.2.7', user_agent = 'phone' WHERE user_id = ` + ana, ""},
		{`UPDATE sessions SET expires_at = expires_at - interval '1 hour' WHERE user_id = ` + ana, "a" + ana},
		{`INSERT INTO forum_moderators (forum_id, user_id) VALUES (` + itoa(f.ID) + `, ` + ana + `)`, "a" + ana},
		{`DELETE FROM forum_moderators WHERE user_id = ` + ana, "a" + ana},
		{`INSERT INTO credentials (user_id, profession, licence_number, jurisdiction, licence_expires, status, submitted_at, verified_until)
			SELECT ` + ana + `, (SELECT code FROM professions LIMIT 1), 'L-1', (SELECT code FROM jurisdictions LIMIT 1), '2030-01-01', 'verified', now(), now() + interval '1 year'`, "a" + ana},
		{`UPDATE credentials SET status = 'revoked' WHERE user_id = ` + ana, "a" + ana},
		{`INSERT INTO mutes (user_id, muted_id) SELECT ` + ana + `, id FROM users WHERE handle = 'scs_ben'`, "a" + ana},
		{`INSERT INTO mfa_totp (user_id, secret_enc, created_at) VALUES (` + ana + `, '\x00', now())`, "a" + ana},
		{`INSERT INTO webauthn_credentials (user_id, credential_id, public_key, name, record, created_at) VALUES (` + ana + `, '\x01', '\x02', 'key', '{}', now())`, "a" + ana},
		{`UPDATE consents SET withdrawn_at = now() WHERE user_id = ` + ana + ` AND kind = 'health_data'`, "a" + ana},
		{`INSERT INTO policy_documents (kind, version, body, body_html, published_at) VALUES ('terms', 99, 'New terms', '<p>New terms</p>', now())`, "a*"},
		{`UPDATE posts SET body = body || ' (edited)' WHERE thread_id = ` + itoa(th.ID), ""},
		{`UPDATE posts SET visibility = 'hidden' WHERE thread_id = ` + itoa(th.ID), "a*"},
		{`UPDATE threads SET visibility = 'hidden' WHERE id = ` + itoa(th.ID), "a*"},
		{`DELETE FROM sessions WHERE user_id = ` + ana, "a" + ana},
	} {
		got := signals(c.sql)
		switch {
		case c.want == "" && len(got) > 0:
			t.Errorf("%s\nsignalled %v, want nothing", c.sql, got)
		case c.want != "" && !slices.Contains(got, c.want):
			t.Errorf("%s\nsignalled %v, want %s", c.sql, got, c.want)
		}
	}
	// A deleted notification changes the bell.
	signals(`INSERT INTO notifications (user_id, kind, thread_id, created_at) VALUES (` + ana + `, 'reply', ` + itoa(th.ID) + `, now())`)
	if got := signals(`DELETE FROM notifications WHERE user_id = ` + ana); !slices.Contains(got, "a"+ana) {
		t.Errorf("deleting ana's notifications signalled %v", got)
	}
}

// With its session from the cache, a member's thread page seen again with
// nothing new waits for PostgreSQL once, as a visitor's does (against two
// times with the session statement; TestPagesCostAFixedNumberOfQueries).
func TestSessionCacheSparesARoundTrip(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("scr-feet", nil)
	h.account("scr_ana", models.RoleMember)
	h.account("scr_ben", models.RoleMember)
	th := h.thread("scr_ana", f, "Numb toes", "Since the cold snap.", false)
	for i := 0; i < 5; i++ {
		h.reply("scr_ben", th.ID, "Warm socks, and see your GP if it stays.", false)
	}
	// The hub and the sync signals alone, without River's polling, so
	// that every statement counted is the page's.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go h.app.Live.Run(ctx)
	go h.app.Auth.RunSessionCache(ctx)
	waitTrusted(t, h.app)
	ben := h.signedIn("scr_ben")
	path := "/t/" + itoa(th.ID)
	ben.get(path)
	for i := 0; ; i++ {
		hits := h.app.Auth.SessionCacheStats().Hits
		_, trips := statementsAndTrips(t, h, ben, path)
		if h.app.Auth.SessionCacheStats().Hits == hits {
			if i == 20 {
				t.Fatal("the session never came from the cache")
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if trips != 1 {
			t.Fatalf("the thread page with its session from the cache took %d round trips, want 1", trips)
		}
		break
	}
}

// A clinician's verification that runs out by time alone, with no write
// to signal it: the cached session ends with it, so the next page no
// longer opens the clinicians' forum nor shows the badge, well before
// the cache's own 30 s.
func TestSessionCacheEndsWithVerification(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	h.account("scv_ola", models.RoleMember)
	h.account("scv_pat", models.RoleMember)
	h.forum("scv-lounge", func(ff *forums.ForumForm) { ff.ClinicianOnly = true })
	heart := h.forum("scv-heart", nil)
	cred := h.verify("scv_ola", 300)
	th := h.thread("scv_pat", heart, "Palpitations at night", "Is this common after a virus?", false)
	h.reply("scv_ola", th.ID, "Often harmless, but see your GP if it lasts.", false)
	listenForMembers(t, h)

	// The verification ends ten seconds from now (a licence lapsing, as
	// the expiry job would find it); the update itself is signalled, so
	// wait until the session is cached again with the new end.
	ends := h.clock.Now().Add(10 * time.Second)
	if err := h.app.DB.Gorm.Exec(`UPDATE credentials SET verified_until = ? WHERE id = ?`, ends, cred.ID).Error; err != nil {
		t.Fatal(err)
	}
	ola := h.signedIn("scv_ola")
	const badge = "Verified · Registered nurse"
	pageUntil(t, ola, "/f/scv-lounge", "the lounge for a verified clinician", func(r *resp) bool { return r.StatusCode == http.StatusOK })
	if r := hitPage(t, h.app, func() *resp { return ola.get("/f/scv-lounge") }); r.StatusCode != http.StatusOK {
		t.Fatalf("the lounge from the cache: %d", r.StatusCode)
	}
	if r := hitPage(t, h.app, func() *resp { return ola.get("/t/" + itoa(th.ID)) }); !strings.Contains(r.body, badge) {
		t.Fatal("no badge on the clinician's reply while verified")
	}

	h.clock.Advance(11 * time.Second)
	if r := ola.get("/f/scv-lounge"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("the lounge after the verification ended: %d, want 404", r.StatusCode)
	}
	if r := ola.get("/t/" + itoa(th.ID)); r.StatusCode != http.StatusOK || strings.Contains(r.body, badge) {
		t.Fatalf("the thread after the verification ended: %d, badge shown %v", r.StatusCode, strings.Contains(r.body, badge))
	}
}
