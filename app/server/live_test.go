package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/app/server"
	"github.com/kindred-health/kindred/models"
)

// sseEvent is one event read from a stream.
type sseEvent struct {
	ID    int64
	Event string
	Data  map[string]any
}

// sseStream reads a text/event-stream in the background.
type sseStream struct {
	t      *testing.T
	events chan sseEvent
	status int
	proto  int
	cancel context.CancelFunc
}

func openStream(t *testing.T, url, token string, lastID int64) *sseStream {
	t.Helper()
	return openStreamWith(t, http.DefaultClient, url, token, lastID)
}

func openStreamWith(t *testing.T, client *http.Client, url, token string, lastID int64) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	res, err := client.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &sseStream{t: t, events: make(chan sseEvent, 100), status: res.StatusCode, cancel: cancel, proto: res.ProtoMajor}
	t.Cleanup(cancel)
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return s
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				ev.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &ev.Data)
			}
		}
		close(s.events)
	}()
	return s
}

// next returns the next event named name, skipping others.
func (s *sseStream) next(name string) sseEvent {
	s.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.t.Fatalf("stream ended while waiting for %q", name)
			}
			if ev.Event == name {
				return ev
			}
		case <-deadline:
			s.t.Fatalf("no %q event within 10 s", name)
		}
	}
}

// none checks that no event named name arrives within d.
func (s *sseStream) none(name string, d time.Duration) {
	s.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return
			}
			if ev.Event == name {
				s.t.Fatalf("unexpected %q event: %v", name, ev.Data)
			}
		case <-deadline:
			return
		}
	}
}

// secondInstance starts another Kindred on the same database, with its own
// live hub, as a second server behind a load balancer would be.
func (h *harness) secondInstance(t *testing.T) (*server.App, string) {
	t.Helper()
	app, err := server.New(h.cfg, h.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Echo)
	ctx, cancel := context.WithCancel(context.Background())
	go app.Live.Run(ctx)
	t.Cleanup(func() { app.Live.Close(); srv.Close(); cancel() })
	select {
	case <-app.Live.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the second instance's hub did not start listening")
	}
	return app, srv.URL
}

// TestLiveUpdatesAcrossInstances: an event written through one instance
// reaches a subscriber of another through PostgreSQL's LISTEN/NOTIFY;
// each receiver's permission is checked when the event is sent; a
// reconnection with Last-Event-ID replays what was missed.
func TestLiveUpdatesAcrossInstances(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	f := h.forum("lv-heart", func(f *forums.ForumForm) { f.Name = "Heart health"; f.Specialties = []string{"cardiology"} })
	h.account("lv_ana", models.RoleMember)
	h.account("lv_ben", models.RoleMember)
	dr := h.clinician("lv_dr", "cardiology")
	th := h.thread("lv_ana", f, "Palpitations at night", "They wake me up around 3 am.", false)
	h.reply("lv_ben", th.ID, "Same here, it eased when I cut late coffee.", false) // ben follows now
	_, b := h.secondInstance(t)
	benTok := h.tokenFor("lv_ben", "read")
	topic := b + "/api/v1/events?thread=" + itoa(th.ID)

	ben := openStream(t, topic, benTok, 0)
	if ben.status != http.StatusOK {
		t.Fatalf("ben's stream: %d", ben.status)
	}
	if n := ben.next("notifications").Data["unread"]; n != float64(0) {
		t.Fatalf("first unread count %v", n)
	}
	visitor := openStream(t, b+"/events?thread="+itoa(th.ID), "", 0)
	if visitor.status != http.StatusOK {
		t.Fatalf("visitor's stream of a public thread: %d", visitor.status)
	}

	// A reply through instance A reaches both on instance B, as ids only.
	p1 := h.reply("lv_ana", th.ID, "Thanks, I will try that.", false)
	ev := ben.next("reply")
	if ev.Data["post"] != float64(p1.ID) || ev.Data["thread"] != float64(th.ID) || len(ev.Data) != 2 || ev.ID == 0 {
		t.Fatalf("reply event %+v", ev)
	}
	if v := visitor.next("reply"); v.Data["post"] != float64(p1.ID) {
		t.Fatalf("visitor's event %+v", v)
	}
	if n := ben.next("notifications").Data["unread"]; n != float64(1) {
		t.Fatalf("unread after a reply in a followed thread: %v", n)
	}
	lastSeen := ev.ID

	// The forum becomes clinicians-only: neither member nor visitor hears
	// of the next reply; a clinician's stream does.
	h.setClinicianOnly(f, true)
	drStream := openStream(t, topic, h.tokenFor("lv_dr", "read"), 0)
	if drStream.status != http.StatusOK {
		t.Fatalf("clinician's stream: %d", drStream.status)
	}
	if r := openStream(t, topic, benTok, 0); r.status != http.StatusNotFound {
		t.Fatalf("a member opening a clinicians-only thread's stream: %d", r.status)
	}
	secret := h.reply("lv_dr", th.ID, "From the clinicians' side: keep a diary of the times.", false)
	if got := drStream.next("reply"); got.Data["post"] != float64(secret.ID) {
		t.Fatalf("clinician's event %+v", got)
	}
	ben.none("reply", 700*time.Millisecond)
	visitor.none("reply", 100*time.Millisecond)
	_ = dr

	// Back to everyone. Ben goes away; two replies are written; he comes
	// back with Last-Event-ID and gets exactly those, not the one he may
	// not know of.
	h.setClinicianOnly(f, false)
	ben.cancel()
	p2 := h.reply("lv_ana", th.ID, "The diary idea is good.", false)
	p3 := h.reply("lv_ben", th.ID, "Agreed.", false)
	back := openStream(t, topic, benTok, lastSeen)
	var got []float64
	for len(got) < 3 {
		e := back.next("reply")
		got = append(got, e.Data["post"].(float64))
		if e.Data["post"] == float64(p3.ID) {
			break
		}
	}
	// The clinicians-only reply is visible to everyone now (the forum
	// opened), so it is replayed too; what matters is that nothing is lost.
	want := []float64{float64(secret.ID), float64(p2.ID), float64(p3.ID)}
	if fmtFloats(got) != fmtFloats(want) {
		t.Fatalf("replayed %v, want %v", got, want)
	}

	// A private question's conversation: the asker hears of the
	// clinician's message; nobody else may open its stream.
	h.account("lv_cat", models.RoleMember)
	q := h.ask("lv_cat", "lv-heart", "Beta blockers and palpitations", "Does the dose matter?")
	catTok := h.tokenFor("lv_cat", "read")
	qs := openStream(t, b+"/api/v1/events?question="+itoa(q.ID), catTok, 0)
	if qs.status != http.StatusOK {
		t.Fatalf("asker's question stream: %d", qs.status)
	}
	if r := openStream(t, b+"/api/v1/events?question="+itoa(q.ID), benTok, 0); r.status != http.StatusNotFound {
		t.Fatalf("another member's question stream: %d", r.status)
	}
	if err := h.app.Questions.Accept(ctx, h.actor(h.user("lv_dr")), q.ID); err != nil {
		t.Fatal(err)
	}
	if e := qs.next("question"); e.Data["question"] != float64(q.ID) || len(e.Data) != 1 {
		t.Fatalf("question event %+v", e)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(h.user("lv_dr")), q.ID, questions.MessageForm{Body: "The dose matters less than the timing."}); err != nil {
		t.Fatal(err)
	}
	qs.next("question")

	// Bad input and no identity.
	if r := openStream(t, b+"/api/v1/events?thread=abc", benTok, 0); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad thread id: %d", r.status)
	}
	if r := openStream(t, b+"/api/v1/events", "", 0); r.status != http.StatusUnauthorized {
		t.Fatalf("no topic, no token: %d", r.status)
	}
}

func fmtFloats(fs []float64) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, strconv.FormatFloat(f, 'f', -1, 64))
	}
	return strings.Join(parts, " ")
}

// setClinicianOnly changes who may read a forum, as an admin would.
func (h *harness) setClinicianOnly(f *models.Forum, on bool) {
	h.t.Helper()
	form := forums.ForumForm{Slug: f.Slug, Name: f.Name, Description: f.Description, ClinicianOnly: on, Specialties: f.Specialties}
	if _, err := h.app.Forums.SaveForum(context.Background(), h.viewer(h.ensureAdmin()), f.ID, form); err != nil {
		h.t.Fatal(err)
	}
}

// TestLiveCountsForStaffAndClinicians: a moderator's stream carries the
// open queue, a clinician's their pending offers, as they change.
func TestLiveCountsForStaffAndClinicians(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	f := h.forum("lc-heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	h.account("lc_mod", models.RoleModerator)
	h.account("lc_ana", models.RoleMember)
	h.account("lc_ben", models.RoleMember)
	h.clinician("lc_dr", "cardiology")
	_, b := h.secondInstance(t)
	mod := openStream(t, b+"/api/v1/events", h.tokenFor("lc_mod", "read"), 0)
	if n := mod.next("queue").Data["open"]; n != float64(0) {
		t.Fatalf("first queue count %v", n)
	}
	dr := openStream(t, b+"/api/v1/events", h.tokenFor("lc_dr", "read"), 0)
	if n := dr.next("offers").Data["pending"]; n != float64(0) {
		t.Fatalf("first offers count %v", n)
	}
	member := openStream(t, b+"/api/v1/events", h.tokenFor("lc_ben", "read"), 0)
	member.next("notifications")

	th := h.thread("lc_ana", f, "Which monitor do you use?", "Looking for a home blood pressure monitor.", false)
	if _, err := h.report("lc_ben", models.TargetThread, th.ID, models.ReasonSpam); err != nil {
		t.Fatal(err)
	}
	if n := mod.next("queue").Data["open"]; n != float64(1) {
		t.Fatalf("queue after a report: %v", n)
	}
	member.none("queue", 300*time.Millisecond)
	h.ask("lc_ana", "lc-heart", "Monitor readings differ", "Left and right arm differ by 15.")
	if n := dr.next("offers").Data["pending"]; n != float64(1) {
		t.Fatalf("offers after a question: %v", n)
	}
}

// TestBrowserLiveReplies: with the thread open in Chromium, a reply
// written elsewhere shows as "1 new reply — show" without a reload, and
// the bell's count follows.
func TestBrowserLiveReplies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	f := h.forum("lb-walk", func(f *forums.ForumForm) { f.Name = "Walking" })
	h.account("lb_ana", models.RoleMember)
	th := h.thread("lb_ana", f, "Rainy day walks", "Where do you walk when it pours?", false)
	h.member("lb_ben")
	h.reply("lb_ben", th.ID, "The shopping centre, early.", false) // ben follows now
	select {
	case <-h.app.Live.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("hub not listening")
	}
	p := newPage(t, h)
	p.signIn("lb_ben")
	p.visit("/t/"+itoa(th.ID), "Rainy day walks")
	time.Sleep(300 * time.Millisecond) // let EventSource connect
	reply := h.reply("lb_ana", th.ID, "Good idea, and the museum is free on Sundays.", false)
	p.waitText("1 new reply — show")
	// The count is its own event: it may come a moment after the reply's.
	p.waitJS(`(document.querySelector("a.bell .badge") || {textContent: ""}).textContent.startsWith("1")`, "the bell's badge to show 1 unread")
	p.checkA11y("thread with a live reply notice")
	p.do(chromedp.Click(chromedp.CSS(`#live-replies a`)))
	p.waitText("the museum is free on Sundays")
	if !strings.Contains(p.eval(`location.hash`), "post-"+itoa(reply.ID)) {
		t.Errorf("the link did not go to the new reply: %s", p.eval(`location.href`))
	}
}

// TestLiveStreamOverHTTP2: where the connection cannot be taken over
// (HTTP/2 behind TLS), the stream is served by its request's goroutine
// and works the same.
func TestLiveStreamOverHTTP2(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("h2-walk", nil)
	h.account("h2_ana", models.RoleMember)
	th := h.thread("h2_ana", f, "Hills or flat?", "Which do you start with?", false)
	app, err := server.New(h.cfg, h.deps)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(app.Echo)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	ctx, cancel := context.WithCancel(context.Background())
	go app.Live.Run(ctx)
	t.Cleanup(func() { app.Live.Close(); srv.Close(); cancel() })
	<-app.Live.Ready()
	s := openStreamWith(t, srv.Client(), srv.URL+"/events?thread="+itoa(th.ID), "", 0)
	if s.status != http.StatusOK || s.proto != 2 {
		t.Fatalf("status %d over HTTP/%d", s.status, s.proto)
	}
	p := h.reply("h2_ana", th.ID, "Flat first, then gentle hills.", false)
	if ev := s.next("reply"); ev.Data["post"] != float64(p.ID) {
		t.Fatalf("event %+v", ev)
	}
	if n := app.Live.Subscribers(); n != 1 {
		t.Fatalf("%d subscribers", n)
	}
	s.cancel()
	deadline := time.Now().Add(5 * time.Second)
	for app.Live.Subscribers() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := app.Live.Subscribers(); n != 0 {
		t.Fatalf("a closed HTTP/2 stream stayed subscribed (%d)", n)
	}
}

// TestLiveSurvivesALostConnection: when the hub's LISTEN connection is
// cut (a PostgreSQL restart, a proxy), it reconnects and delivers what
// was written meanwhile; streams past their lifetime are ended so that
// browsers reconnect and are checked again.
func TestLiveSurvivesALostConnection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("ll-walk", nil)
	h.account("ll_ana", models.RoleMember)
	th := h.thread("ll_ana", f, "Frost on the path", "Careful this week.", false)
	app, url := h.secondInstance(t)
	s := openStream(t, url+"/events?thread="+itoa(th.ID), "", 0)
	p1 := h.reply("ll_ana", th.ID, "Grit bins are full again.", false)
	if ev := s.next("reply"); ev.Data["post"] != float64(p1.ID) {
		t.Fatalf("before the cut: %+v", ev)
	}
	// Cut every LISTENing connection of this database, then write.
	var cut int64
	if err := h.app.DB.Gorm.Raw(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()
		AND (query = 'LISTEN kindred_live' OR query = 'SELECT coalesce(max(id), 0) FROM live_events')`).Scan(&cut).Error; err != nil || cut == 0 {
		t.Fatalf("no listening connection cut (%d): %v", cut, err)
	}
	p2 := h.reply("ll_ana", th.ID, "Written while the hub was away.", false)
	if ev := s.next("reply"); ev.Data["post"] != float64(p2.ID) {
		t.Fatalf("after the cut: %+v", ev)
	}
	// Lifetime over: the stream ends, the hub forgets it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go app.Live.KeepAlive(ctx, 20*time.Millisecond, 0)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				if n := app.Live.Subscribers(); n != 0 {
					t.Fatalf("%d subscribers after the stream ended", n)
				}
				return
			}
		case <-deadline:
			t.Fatal("the stream outlived its lifetime")
		}
	}
}

// TestOneReplyUpdatesEveryFollowersBell: a reply notifies its thread's
// followers in one statement, and the bell signal is one NOTIFY naming
// them all (migration 00052), not one per row: each follower's open
// stream on another instance still gets its new count.
func TestOneReplyUpdatesEveryFollowersBell(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	f := h.forum("lvb-walk", nil)
	for _, who := range []string{"lvb_ana", "lvb_ben", "lvb_cat", "lvb_dan"} {
		h.account(who, models.RoleMember)
	}
	th := h.thread("lvb_ana", f, "Morning walks", "Who else walks before breakfast?", false)
	for _, who := range []string{"lvb_ben", "lvb_cat", "lvb_dan"} {
		h.reply(who, th.ID, "I do, most days.", false) // they follow now
	}
	for _, who := range []string{"lvb_ana", "lvb_ben", "lvb_cat", "lvb_dan"} {
		if err := h.app.Notify.MarkAllRead(ctx, h.user(who).ID); err != nil {
			t.Fatal(err)
		}
	}
	_, b := h.secondInstance(t)
	streams := map[string]*sseStream{}
	for _, who := range []string{"lvb_ben", "lvb_cat", "lvb_dan"} {
		s := openStream(t, b+"/api/v1/events?thread="+itoa(th.ID), h.tokenFor(who, "read"), 0)
		if s.status != http.StatusOK {
			t.Fatalf("%s's stream: %d", who, s.status)
		}
		if n := s.next("notifications").Data["unread"]; n != float64(0) {
			t.Fatalf("%s's first count: %v", who, n)
		}
		streams[who] = s
	}
	conn, err := h.app.DB.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN kindred_live"); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = conn.Exec(ctx, "UNLISTEN kindred_live") }()

	h.reply("lvb_ana", th.ID, "Join us at the park on Sunday.", false)
	for who, s := range streams {
		if n := s.next("notifications").Data["unread"]; n != float64(1) {
			t.Fatalf("%s's count after one reply: %v", who, n)
		}
	}
	var bell []string
	for {
		wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		n, err := conn.Conn().WaitForNotification(wctx)
		cancel()
		if err != nil {
			break
		}
		if strings.HasPrefix(n.Payload, "n") {
			bell = append(bell, n.Payload)
		}
	}
	want := "n" + fmtInts(h.user("lvb_ben").ID, h.user("lvb_cat").ID, h.user("lvb_dan").ID)
	if len(bell) != 1 || bell[0] != want {
		t.Fatalf("bell signals %q, want one %q", bell, want)
	}
}

func fmtInts(ids ...int64) string {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var parts []string
	for _, id := range ids {
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	return strings.Join(parts, ",")
}

// TestWatchedWordsAreKeptAndFollowEveryChange: each instance keeps the
// watched words between writes (it does not read them again while nothing
// changed), and a word saved through one instance applies on the other
// as soon as its hub hears of it.
func TestWatchedWordsAreKeptAndFollowEveryChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	b, _ := h.secondInstance(t)
	blocked := func(app *server.App, text string) bool {
		t.Helper()
		r, err := app.Moderation.Check(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		return len(r.Blocked) > 0
	}
	if blocked(b, "a miracle cure for palpitations") {
		t.Fatal("blocked before any watched word")
	}
	// Written behind the instances' backs (no signal): B keeps what it
	// read, which shows it does not read the words for every write.
	if err := h.app.DB.Gorm.Exec(`ALTER TABLE watched_words DISABLE TRIGGER watched_words_live`).Error; err != nil {
		t.Fatal(err)
	}
	if err := h.app.DB.Gorm.Exec(`INSERT INTO watched_words (pattern, action) VALUES ('snake oil', 'block')`).Error; err != nil {
		t.Fatal(err)
	}
	if err := h.app.DB.Gorm.Exec(`ALTER TABLE watched_words ENABLE TRIGGER watched_words_live`).Error; err != nil {
		t.Fatal(err)
	}
	if blocked(b, "pure snake oil") {
		t.Fatal("the instance read the words again although nothing was signalled")
	}
	// Saved through the first instance: the second follows within a second
	// or so, with both words.
	if err := h.app.Moderation.SaveWord(ctx, h.actor(h.user(h.ensureAdmin())), "miracle cure", "block"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !blocked(b, "a miracle cure for palpitations") {
		if time.Now().After(deadline) {
			t.Fatal("the second instance still ignores the saved word")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !blocked(b, "pure snake oil") {
		t.Fatal("the second instance did not read the words again")
	}
}
