package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/models"
)

// TestUrgentQuestionsShowGuidanceFirst: a question mentioning urgent
// symptoms is not queued until the member confirms it is not an emergency.
func TestUrgentQuestionsShowGuidanceFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	b := h.member("worried")
	b.get("/questions/new")
	form := url.Values{"forum": {"heart"}, "title": {"Tight chest when climbing stairs"}, "body": {"I get chest pain on the stairs."}}
	r := b.post("/questions", form)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Is this an emergency?") || !strings.Contains(r.body, "call your local emergency number now") {
		t.Fatalf("urgent question: %d", r.StatusCode)
	}
	if h.count("questions") != 0 {
		t.Fatal("queued before confirmation")
	}
	if !strings.Contains(r.body, "I get chest pain on the stairs.") {
		t.Error("the text was not kept")
	}
	form.Set("not_emergency", "on")
	if r := b.post("/questions", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed: %d", r.StatusCode)
	}
	var q models.Question
	h.app.DB.Gorm.First(&q)
	if !q.NotEmergency || q.Status != models.QuestionPool {
		t.Errorf("question %+v", q)
	}
	// The API says the same with a code; an imminent crisis counts as
	// urgent too.
	tok := b.token("write")
	a := h.api("POST", "/api/v1/questions", tok, map[string]any{"forum": "heart", "title": "Took all my heart pills", "body": "I took all my heart pills an hour ago on purpose and now I feel strange."})
	if e, _ := a.Body["error"].(map[string]any); a.Status != http.StatusUnprocessableEntity || e["code"] != "urgent" {
		t.Errorf("API urgent: %d %s", a.Status, a.Raw)
	}
	// Thoughts without a plan are sent, and the crisis resources come next.
	a = h.api("POST", "/api/v1/questions", tok, map[string]any{"forum": "heart", "title": "Thinking about suicide lately", "body": "I feel hopeless."})
	if a.Status != http.StatusCreated || a.Body["crisis"] != true {
		t.Errorf("API crisis: %d %s", a.Status, a.Raw)
	}
	// History is not an emergency: no warning for last year's stroke.
	a = h.api("POST", "/api/v1/questions", tok, map[string]any{"forum": "heart", "title": "Driving after a stroke", "body": "My stroke three years ago left my left hand weak. When can I drive again?"})
	if a.Status != http.StatusCreated {
		t.Errorf("a stroke years ago warned as urgent: %d %s", a.Status, a.Raw)
	}
	// Bad input names its fields.
	r = b.post("/questions", url.Values{"forum": {"nope"}, "title": {"Hi"}, "body": {""}, "specialty": {"astrology"}})
	for _, f := range []string{"forum", "title", "body", "specialty"} {
		if !strings.Contains(r.body, `id="`+f+`-error"`) {
			t.Errorf("no error for %s", f)
		}
	}
}

// TestQuestionAccessMatrix: every question route, page and API, for eight
// kinds of viewer: only the asker and the current assignee get anything
// but 404, and every read by someone other than the asker is audited.
func TestQuestionAccessMatrix(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	early := h.clinician("dr_early", "cardiology")
	assignee := h.clinician("dr_holder", "cardiology")
	h.clinician("dr_other", "dermatology")
	h.account("asker", models.RoleMember)
	q := h.ask("asker", "heart", "Beta blocker and running", "Can I still train for a 10k?")
	h.clock.Advance(25 * time.Hour)
	if _, err := h.app.Questions.Deadline(ctx, q.ID, h.pendingOffer(q.ID)); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Questions.Accept(ctx, h.actor(assignee), q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(assignee), q.ID, questions.MessageForm{Body: "Yes, with a heart-rate plan."}); err != nil {
		t.Fatal(err)
	}
	_ = early

	signIn := func(handle string) *browser {
		b := h.browser()
		if r := b.signIn(handle, goodPassword); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in %s: %d", handle, r.StatusCode)
		}
		return b
	}
	h.account("nosy", models.RoleMember)
	h.account("mod_mia", models.RoleModerator)
	viewers := map[string]*browser{
		"asker": signIn("asker"), "assignee": signIn("dr_holder"), "earlier offeree": signIn("dr_early"), "other clinician": signIn("dr_other"),
		"other member": signIn("nosy"), "moderator": signIn("mod_mia"), "admin": signIn(h.ensureAdmin()), "visitor": h.browser(),
	}
	viewers["visitor"].get("/signin") // a CSRF token
	id := itoa(q.ID)
	pageRoutes := []struct{ method, path string }{
		{"GET", "/questions/" + id}, {"POST", "/questions/" + id + "/accept"}, {"POST", "/questions/" + id + "/decline"},
		{"POST", "/questions/" + id + "/claim"}, {"POST", "/questions/" + id + "/withdraw"}, {"POST", "/questions/" + id + "/close"},
		{"POST", "/questions/" + id + "/rate"}, {"POST", "/questions/" + id + "/consent"}, {"POST", "/questions/" + id + "/messages"},
		{"POST", "/questions/" + id + "/publish"}, {"POST", "/questions/" + id + "/hand-back"}, {"POST", "/questions/" + id + "/reopen"},
		{"POST", "/questions/" + id + "/share-history"},
	}
	reads := 0
	for who, b := range viewers {
		participant := who == "asker" || who == "assignee"
		tok := ""
		if who != "visitor" {
			tok = b.token("write")
		}
		for _, rt := range pageRoutes {
			var r *resp
			if rt.method == "GET" {
				r = b.get(rt.path)
			} else {
				b.get("/questions") // fresh CSRF token (visitors keep theirs)
				r = b.post(rt.path, url.Values{"body": {"Hello from " + who}, "rating": {"helpful"}, "consent": {"on"}, "title": {"Published by " + who}})
			}
			switch {
			case participant && rt.method == "GET":
				if r.StatusCode != http.StatusOK {
					t.Errorf("%s %s %s: %d", who, rt.method, rt.path, r.StatusCode)
				}
				if who != "asker" {
					reads++
				}
			case who == "assignee" && r.StatusCode == http.StatusUnprocessableEntity:
				reads++ // the form comes back with its error, and the question: a read
			case !participant && r.StatusCode != http.StatusNotFound:
				t.Errorf("%s %s %s: %d, want 404", who, rt.method, rt.path, r.StatusCode)
			}
			// The same through the API.
			// Each route is sent the fields it takes (the API refuses
			// fields a request does not take, whoever asks).
			apiBody := map[string]any{}
			switch rt.path[strings.LastIndex(rt.path, "/")+1:] {
			case "rate":
				apiBody["rating"] = "helpful"
			case "consent":
				apiBody["consent"] = true
			case "messages":
				apiBody["body"] = "API from " + who
			case "publish":
				apiBody["title"], apiBody["body"] = "Published by "+who, "API from "+who
			case "hand-back":
				// No reason: the assignee's hand-back is refused (422), so
				// the question stays where it is for the other viewers.
			}
			a := h.api(rt.method, "/api/v1"+rt.path, tok, apiBody)
			switch {
			case participant && rt.method == "GET":
				if a.Status != http.StatusOK {
					t.Errorf("%s API %s: %d", who, rt.path, a.Status)
				}
				if who != "asker" {
					reads++
				}
			case who == "assignee" && a.Status == http.StatusOK:
				reads++ // a successful action answers with the question: a read
			case who == "visitor" && rt.method == "POST":
				if a.Status != http.StatusUnauthorized { // no token: refused before any lookup
					t.Errorf("visitor API POST %s: %d", rt.path, a.Status)
				}
			case !participant && a.Status != http.StatusNotFound:
				t.Errorf("%s API %s %s: %d, want 404", who, rt.method, rt.path, a.Status)
			}
		}
		// An id in a form body: the notification opener sends them to the page, which is 404 for them.
		if who != "visitor" {
			b.get("/notifications")
			r := b.post("/notifications/999999/open", url.Values{"question": {id}})
			_ = r
			if !participant {
				if r2 := b.get("/questions/" + id); r2.StatusCode != http.StatusNotFound {
					t.Errorf("%s via the notification link: %d", who, r2.StatusCode)
				}
			}
		}
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'question.read' AND target_id = ?`, q.ID); n != int64(reads) || reads == 0 {
		t.Errorf("%d audited reads, want %d", n, reads)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'question.read' AND actor_id = ?`, h.user("asker").ID); n != 0 {
		t.Errorf("the asker's own reads were audited %d times", n)
	}
	// Nobody but the participants wrote anything.
	if n := countWhere(t, h, `SELECT count(*) FROM question_messages WHERE question_id = ? AND author_id NOT IN (?, ?)`, q.ID, h.user("asker").ID, assignee.ID); n != 0 {
		t.Errorf("%d messages from outsiders", n)
	}
}

// TestPrivateQuestionsStayPrivate: a canary in a question's title, text and
// messages appears in no forum page, API listing, search index, e-mail or
// notification of anyone else.
func TestPrivateQuestionsStayPrivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	h.licensing()
	ctx := context.Background()
	const canary = "ZEBRA7731CANARY"
	f := h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	doc := h.clinician("dr_c", "cardiology")
	asker := h.member("canary_asker")
	h.thread("canary_asker", f, "A public thread", "Public text.", false)
	q := h.ask("canary_asker", "heart", "Title "+canary, "Body "+canary)
	if err := h.app.Questions.Accept(ctx, h.actor(doc), q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(doc), q.ID, questions.MessageForm{Body: "Answer " + canary}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(h.user("canary_asker")), q.ID, questions.MessageForm{Body: "Thanks " + canary}); err != nil {
		t.Fatal(err)
	}
	// The participants do see it (so the checks below can fail).
	if !strings.Contains(asker.get("/questions/"+itoa(q.ID)).body, canary) {
		t.Fatal("the asker does not see their question")
	}
	other := h.member("bystander")
	docB := h.browser()
	docB.signIn("dr_c", goodPassword)
	for who, b := range map[string]*browser{"visitor": h.browser(), "member": other, "clinician": docB, "asker": asker} {
		for _, p := range []string{"/", "/f/heart", "/f/heart?answered=1", "/members/canary_asker", "/clinicians/dr_c"} {
			if strings.Contains(b.get(p).body, canary) {
				t.Errorf("%s sees the canary on %s", who, p)
			}
		}
		if strings.Contains(b.get("/notifications").body, canary) {
			t.Errorf("%s's notifications show the canary", who)
		}
	}
	for _, p := range []string{"/api/v1/forums/heart/threads", "/api/v1/members/canary_asker", "/api/v1/questions", "/api/v1/notifications", "/api/v1/clinician/questions"} {
		if r := h.api("GET", p, other.token("read"), nil); strings.Contains(r.Raw, canary) {
			t.Errorf("another member's %s shows the canary", p)
		}
		if r := h.api("GET", p, docB.token("read"), nil); p != "/api/v1/clinician/questions" && strings.Contains(r.Raw, canary) {
			t.Errorf("the clinician's %s shows the canary", p)
		}
	}
	// No e-mail carries it, and no search index holds it.
	time.Sleep(200 * time.Millisecond) // let any queued mail job run
	for _, m := range h.mailbox.All() {
		if strings.Contains(m.Subject+m.Body, canary) {
			t.Errorf("an e-mail to %v contains the canary", m.To)
		}
	}
	// Every index this run may use (search arrives with its own issue; this
	// keeps holding once it does).
	ms := meilisearch.New(h.cfg.MeiliURL, meilisearch.WithAPIKey(h.cfg.MeiliAPIKey))
	idx, err := ms.ListIndexesWithContext(ctx, &meilisearch.IndexesQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ix := range idx.Results {
		if !strings.HasPrefix(ix.UID, h.cfg.MeiliPrefix) {
			continue
		}
		res, err := ms.Index(ix.UID).SearchWithContext(ctx, canary, &meilisearch.SearchRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != 0 {
			t.Errorf("index %s finds the canary", ix.UID)
		}
	}
}

// TestPublishAnsweredQuestion: with the clinician's consent the asker
// publishes an edited, anonymous copy; the clinician's answer comes along.
func TestPublishAnsweredQuestion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	doc := h.clinician("dr_pub", "cardiology")
	asker := h.member("shy_asker")
	q := h.ask("shy_asker", "heart", "My name is Jo Bloggs: statins and cramps", "I am Jo from Leeds. Do statins cause cramps?")
	if err := h.app.Questions.Accept(ctx, h.actor(doc), q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(doc), q.ID, questions.MessageForm{Body: "Was that in both legs?", InfoRequest: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(doc), q.ID, questions.MessageForm{Body: "Muscle aches are a known side effect; tell your prescriber."}); err != nil {
		t.Fatal(err)
	}
	form := questions.PublishForm{Title: "Statins and cramps", Body: "Do statins cause cramps?"}
	if _, err := h.app.Questions.Publish(ctx, h.actor(h.user("shy_asker")), q.ID, form); !isConflict(err) {
		t.Fatalf("publish without consent: %v", err)
	}
	if err := h.app.Questions.SetConsent(ctx, h.actor(h.user("shy_asker")), q.ID, true); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the asker consents for the clinician: %v", err)
	}
	if err := h.app.Questions.SetConsent(ctx, h.actor(doc), q.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Publish(ctx, h.actor(doc), q.ID, form); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the clinician publishes: %v", err)
	}
	page := asker.get("/questions/" + itoa(q.ID))
	if !strings.Contains(page.body, "Publish anonymously") {
		t.Fatal("no publish form after consent")
	}
	r := asker.post("/questions/"+itoa(q.ID)+"/publish", url.Values{"title": {"Statins and cramps"}, "body": {"Do statins cause cramps?"}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/t/") {
		t.Fatalf("publish: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	thread := h.browser().get(r.Header.Get("Location")).body
	for _, leak := range []string{"shy_asker", "Jo Bloggs", "Leeds", "Was that in both legs?"} {
		if strings.Contains(thread, leak) {
			t.Errorf("the public thread shows %q", leak)
		}
	}
	if !strings.Contains(thread, "Anonymous member") || !strings.Contains(thread, "Muscle aches are a known side effect") || !strings.Contains(thread, "Verified · Registered nurse") {
		t.Errorf("published thread:\n%s", thread)
	}
	if !strings.Contains(h.browser().get("/f/heart?answered=1").body, "Statins and cramps") {
		t.Error("the published thread is not marked as clinician-answered")
	}
	if r := asker.post("/questions/"+itoa(q.ID)+"/publish", url.Values{"title": {"Again"}, "body": {"Again"}}); r.StatusCode != http.StatusSeeOther || countWhere(t, h, `SELECT count(*) FROM threads`) != 1 {
		t.Errorf("published twice: %d", r.StatusCode)
	}
}

// TestClinicianDashboardSettings: the dashboard shows and saves the
// accepting/cap settings; a clinician who stops accepting gets no offers.
func TestClinicianDashboardSettings(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	h.clinician("dr_dash", "cardiology")
	b := h.browser()
	b.signIn("dr_dash", goodPassword)
	page := b.get("/clinician/questions")
	if !strings.Contains(page.body, `id="accepting_questions" name="accepting_questions" checked`) || !strings.Contains(page.body, `value="5"`) {
		t.Fatal("dashboard lacks the settings")
	}
	r := b.post("/clinician/settings", url.Values{"next": {"/clinician/questions"}, "max_open_questions": {"2"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/clinician/questions" {
		t.Fatalf("save from the dashboard: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if !strings.Contains(b.get("/clinician/questions").body, "Your clinician settings are saved.") {
		t.Error("no confirmation")
	}
	h.account("pat", models.RoleMember)
	q := h.ask("pat", "heart", "Nobody is accepting", "So this waits in the pool.")
	if got := h.question(q.ID); got.Status != models.QuestionPool {
		t.Errorf("offered to a clinician who is not accepting: %+v", got)
	}
	if strings.Contains(b.get("/clinician/questions").body, "Nobody is accepting") {
		t.Error("the pool shows to a clinician who is not accepting")
	}
}

// TestPrivateTextIsCheckedButNeverReported: questions and their messages
// go through the blocked words and the personal-data check; crisis words
// lead to the crisis resources, and nothing private is reported.
func TestPrivateTextIsCheckedButNeverReported(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	doc := h.clinician("dr_chk", "cardiology")
	admin := h.user(h.ensureAdmin())
	if err := h.app.Moderation.SaveWord(ctx, h.actor(admin), "miracle cure", "block"); err != nil {
		t.Fatal(err)
	}
	b := h.member("private_pat")
	tok := b.token("write")
	a := h.api("POST", "/api/v1/questions", tok, map[string]any{"forum": "heart", "title": "Palpitations", "body": "My NHS number is 943 476 5919, can you look me up?"})
	if e, _ := a.Body["error"].(map[string]any); a.Status != http.StatusUnprocessableEntity || e["code"] != "personal_data" {
		t.Fatalf("personal data in a question: %d %s", a.Status, a.Raw)
	}
	if h.count("questions") != 0 {
		t.Fatal("saved before confirmation")
	}
	q := h.ask("private_pat", "heart", "Palpitations", "They come and go.")
	if err := h.app.Questions.Accept(ctx, h.actor(doc), q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(h.user("private_pat")), q.ID, questions.MessageForm{Body: "Is a miracle cure real?"}); err == nil {
		t.Error("blocked word in a message was saved")
	}
	b.get("/questions/" + itoa(q.ID))
	h.app.Questions.Message(ctx, h.actor(doc), q.ID, questions.MessageForm{Body: "How long do they last?", InfoRequest: true})
	r := b.post("/questions/"+itoa(q.ID)+"/messages", url.Values{"body": {"Honestly some days I want to die."}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/support?next=") {
		t.Fatalf("crisis message: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if h.count("reports") != 0 {
		t.Error("a private message was reported automatically")
	}
}

// TestReportedPrivateMessage: a participant reports one message; global
// moderators then see that message only (audited), forum moderators and
// members nothing.
func TestReportedPrivateMessage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	heart := h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	doc := h.clinician("dr_rude", "cardiology")
	h.account("asker_a", models.RoleMember)
	q := h.ask("asker_a", "heart", "Chest flutter", "Is it normal? SECRET-QUESTION-TEXT")
	if err := h.app.Questions.Accept(ctx, h.actor(doc), q.ID); err != nil {
		t.Fatal(err)
	}
	m, err := h.app.Questions.Message(ctx, h.actor(doc), q.ID, questions.MessageForm{Body: "Stop wasting my time."})
	if err != nil {
		t.Fatal(err)
	}
	h.account("outsider", models.RoleMember)
	if _, err := h.report("outsider", models.TargetQuestionMessage, m.ID, models.ReasonHarassment); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("an outsider reports a private message: %v", err)
	}
	if _, err := h.report("asker_a", models.TargetQuestionMessage, m.ID, models.ReasonHarassment); err != nil {
		t.Fatal(err)
	}
	h.member("heart_mod")
	h.makeForumModerator("heart_mod", heart)
	fm := h.browser()
	fm.signIn("heart_mod", goodPassword)
	if r := fm.get("/moderation/question_message/" + itoa(m.ID)); r.StatusCode != http.StatusNotFound {
		t.Errorf("forum moderator opens the private message: %d", r.StatusCode)
	}
	gm := h.withRole("global_gm", models.RoleModerator)
	page := gm.get("/moderation/question_message/" + itoa(m.ID)).body
	if !strings.Contains(page, "Stop wasting my time.") || strings.Contains(page, "SECRET-QUESTION-TEXT") {
		t.Error("the moderator should see the reported message and nothing else")
	}
	if r := gm.get("/questions/" + itoa(q.ID)); r.StatusCode != http.StatusNotFound {
		t.Errorf("the moderator opens the question: %d", r.StatusCode)
	}
	if countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'question_message.read' AND target_id = ?`, m.ID) != 1 {
		t.Error("the moderator's read was not audited")
	}
}
