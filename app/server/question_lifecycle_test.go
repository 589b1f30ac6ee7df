package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/models"
)

// assignee is the handle offered or holding the question ("" for nobody).
func (h *harness) assignee(id int64) string {
	h.t.Helper()
	q := h.question(id)
	if q.AssigneeID == nil {
		return ""
	}
	return h.userByID(*q.AssigneeID).Handle
}

func (h *harness) sweep() questions.SweepResult {
	h.t.Helper()
	res, err := h.app.Questions.Sweep(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

func signedIn(h *harness, handle string) *browser {
	h.t.Helper()
	b := h.browser()
	if r := b.signIn(handle, goodPassword); r.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("sign in %s: %d", handle, r.StatusCode)
	}
	return b
}

// TestLosingVerificationEndsAccess: revocation during an offer, a
// suspension after accepting, a lapse after answering and a revocation
// after answering each end the clinician's access at once and move the
// question on; the asker is told, chooses whether the next clinician reads
// the earlier conversation, and sees each clinician's standing.
func TestLosingVerificationEndsAccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_QUESTION_MAX_OFFERS": "10"}})
	h.licensing()
	ctx := context.Background()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	docA := h.clinician("dr_a", "cardiology")
	docB := h.clinician("dr_b", "cardiology")
	docC := h.clinician("dr_c", "cardiology")
	h.clinician("dr_d", "cardiology")
	asker := h.member("pat")
	q := h.ask("pat", "heart", "Ankles swell after my new tablets", "Since starting amlodipine my ankles swell by evening.")
	id := itoa(q.ID)
	if h.assignee(q.ID) != "dr_a" {
		t.Fatalf("first offer to %q", h.assignee(q.ID))
	}
	aB := signedIn(h, "dr_a")
	if r := aB.get("/questions/" + id); r.StatusCode != http.StatusOK {
		t.Fatalf("the offeree cannot read the offer: %d", r.StatusCode)
	}

	// During the offer: revoked → gone at once, offered to the next; the
	// wait goes on counting from when the question was asked.
	status := notifCount(t, h, "pat", models.NotifyQuestionStatus)
	asked := *h.question(q.ID).WaitingSince
	h.clock.Advance(time.Hour)
	h.revoke(h.user("dr_a"))
	if ws := h.question(q.ID).WaitingSince; ws == nil || !ws.Equal(asked) {
		t.Errorf("the wait restarted when an offer ended: %v, want %v", ws, asked)
	}
	if h.assignee(q.ID) != "dr_b" || h.question(q.ID).Status != models.QuestionOffered {
		t.Fatalf("after revoking the offeree: %s %s", h.question(q.ID).Status, h.assignee(q.ID))
	}
	if r := aB.get("/questions/" + id); r.StatusCode != http.StatusNotFound {
		t.Errorf("the revoked offeree reads the question: %d", r.StatusCode)
	}
	if err := h.app.Questions.Accept(ctx, h.actor(docA), q.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the revoked offeree accepts: %v", err)
	}
	if notifCount(t, h, "pat", models.NotifyQuestionStatus) != status+1 || notifCount(t, h, "dr_a", models.NotifyQuestionMoved) != 1 {
		t.Error("the asker or the revoked clinician was not told")
	}
	if !strings.Contains(asker.get("/questions/"+id).body, "The clinician is no longer available to answer") {
		t.Error("the asker's timeline does not say what happened")
	}

	// After accepting: suspended → gone, and the next clinician reads the
	// earlier conversation only once the asker shares it.
	if err := h.app.Questions.Accept(ctx, h.actor(docB), q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(docB), q.ID, questions.MessageForm{Body: "Do both ankles swell, or one? SWELL-QUESTION", InfoRequest: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(h.user("pat")), q.ID, questions.MessageForm{Body: "Both, equally. BOTH-ANKLES"}); err != nil {
		t.Fatal(err)
	}
	gm := h.user(h.ensureAdmin())
	if err := h.app.Moderation.ActOnMember(ctx, h.actor(gm), models.TargetUser, docB.ID, "suspend", "Abusive messages to members", h.clock.Now().Add(30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if h.assignee(q.ID) != "dr_c" || h.question(q.ID).Status != models.QuestionOffered {
		t.Fatalf("after suspending the holder: %s %s", h.question(q.ID).Status, h.assignee(q.ID))
	}
	if _, err := h.app.Questions.Get(ctx, h.actor(docB), q.ID, ""); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the suspended clinician reads it: %v", err)
	}
	page := asker.get("/questions/" + id).body
	if !strings.Contains(page, "Your question changed hands") || !strings.Contains(page, "BOTH-ANKLES") {
		t.Error("the asker is not asked whether to share the earlier conversation")
	}
	if err := h.app.Questions.Accept(ctx, h.actor(docC), q.ID); err != nil {
		t.Fatal(err)
	}
	cB := signedIn(h, "dr_c")
	page = cB.get("/questions/" + id).body
	if strings.Contains(page, "BOTH-ANKLES") || strings.Contains(page, "SWELL-QUESTION") || !strings.Contains(page, "has not shared 2 earlier messages") {
		t.Error("the new clinician reads the earlier conversation without the asker's consent")
	}
	tok := cB.token("write")
	if a := h.api("GET", "/api/v1/questions/"+id, tok, nil); strings.Contains(a.Raw, "BOTH-ANKLES") || a.Body["earlier_messages_not_shared"] != float64(2) {
		t.Errorf("API shows the earlier conversation: %s", a.Raw)
	}
	if r := asker.post("/questions/"+id+"/share-history", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("share: %d", r.StatusCode)
	}
	page = cB.get("/questions/" + id).body
	if !strings.Contains(page, "BOTH-ANKLES") || !strings.Contains(page, "An earlier clinician") || strings.Contains(page, "dr_b") || strings.Contains(page, ">pat<") {
		t.Error("after sharing, the new clinician should read the earlier messages, without names")
	}

	// After answering: a lapse (verification ran out, the credentials
	// sweep has not run) is caught by the questions sweep.
	if _, err := h.app.Questions.Message(ctx, h.actor(docC), q.ID, questions.MessageForm{Body: "Ankle swelling is a known effect of amlodipine. LAPSED-ANSWER"}); err != nil {
		t.Fatal(err)
	}
	h.app.DB.Gorm.Exec(`UPDATE credentials SET verified_until = ? WHERE user_id = ? AND status = 'verified'`, h.clock.Now().Add(time.Hour), docC.ID)
	h.clock.Advance(2 * time.Hour)
	if _, err := h.app.Questions.Get(ctx, h.actor(docC), q.ID, ""); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a lapsed clinician reads it before any sweep: %v", err)
	}
	if res := h.sweep(); res.Released != 1 {
		t.Errorf("sweep released %d", res.Released)
	}
	if h.assignee(q.ID) != "dr_d" {
		t.Fatalf("after the lapse: %s", h.assignee(q.ID))
	}
	page = asker.get("/questions/" + id).body
	if !strings.Contains(page, "dr_c (clinician verified at the time)") {
		t.Error("a lapsed clinician's answer does not say they were verified at the time")
	}

	// A revoked clinician's answers lose the label, on the page and in the API.
	if err := h.app.Questions.Accept(ctx, h.actor(h.user("dr_d")), q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(h.user("dr_d")), q.ID, questions.MessageForm{Body: "Raise your legs in the evening. REVOKED-ANSWER"}); err != nil {
		t.Fatal(err)
	}
	h.revoke(h.user("dr_d"))
	page = asker.get("/questions/" + id).body
	if !strings.Contains(page, "dr_d (no longer a verified clinician)") || strings.Contains(page, "dr_d (verified clinician)") {
		t.Error("a revoked clinician's answer keeps its label")
	}
	a := h.api("GET", "/api/v1/questions/"+id, asker.token("read"), nil)
	if !strings.Contains(a.Raw, `"author":"dr_d (no longer a verified clinician)"`) {
		t.Errorf("API label of a revoked clinician: %s", a.Raw)
	}
	// Nobody is left: the question waits, and the asker reads the truth.
	if got := h.question(q.ID); got.Status != models.QuestionPool || got.AssigneeID != nil {
		t.Fatalf("with nobody left: %+v", got)
	}
	if !strings.Contains(asker.get("/questions/"+id).body, "No clinician is taking questions in this area right now") {
		t.Error("the asker's status does not say nobody is available")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM question_offers WHERE question_id = ? AND outcome = 'released'`, q.ID); n != 4 {
		t.Errorf("%d released offers, want 4", n)
	}
}

// TestHandBackAutoCloseAndOpenLimit: the asker is told the answer
// deadline; a clinician hands a question back with a reason the asker
// never sees; answered questions close after a quiet week and reopen
// within 14 days; a member may have three open questions, pages and API
// alike. (app/questions' TestAnswerDeadlineAndReminder has the reminder
// and the answer deadline.)
func TestHandBackAutoCloseAndOpenLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	two := h.clinician("dr_two", "cardiology")
	three := h.clinician("dr_three", "cardiology")
	asker := h.member("pat")
	q := h.ask("pat", "heart", "Dizzy when I stand up", "Mostly in the morning.")
	id := itoa(q.ID)

	// Hand-back: a reason is needed; the asker never reads it.
	if err := h.app.Questions.Accept(ctx, h.actor(two), q.ID); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(asker.get("/questions/"+id).body, "aims to answer by") {
		t.Error("the asker is not told the answer deadline")
	}
	tb := signedIn(h, "dr_two")
	if r := tb.post("/questions/"+id+"/hand-back", url.Values{"reason": {""}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="reason-error"`) {
		t.Fatalf("hand-back without a reason: %d", r.StatusCode)
	}
	const why = "Needs a paediatric cardiologist, not me HANDBACK-REASON"
	if r := tb.post("/questions/"+id+"/hand-back", url.Values{"reason": {why}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("hand-back: %d", r.StatusCode)
	}
	if h.assignee(q.ID) != "dr_three" {
		t.Fatalf("after the hand-back: %s", h.assignee(q.ID))
	}
	if strings.Contains(asker.get("/questions/"+id).body, "HANDBACK-REASON") ||
		strings.Contains(h.api("GET", "/api/v1/questions/"+id, asker.token("read"), nil).Raw, "HANDBACK-REASON") {
		t.Error("the asker reads the hand-back reason")
	}
	if countWhere(t, h, `SELECT count(*) FROM question_offers WHERE outcome = 'handed_back' AND reason = ?`, why) != 1 {
		t.Error("the reason was not kept")
	}
	if r := tb.get("/questions/" + id); r.StatusCode != http.StatusNotFound {
		t.Errorf("the clinician who handed it back still reads it: %d", r.StatusCode)
	}

	// Answered, then quiet for a week: closed, and the cap frees up.
	if err := h.app.Questions.Accept(ctx, h.actor(three), q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(three), q.ID, questions.MessageForm{Body: "Stand up slowly and drink more water."}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(7*24*time.Hour - time.Minute)
	if res := h.sweep(); res.AutoClosed != 0 {
		t.Fatal("closed early")
	}
	h.clock.Advance(2 * time.Minute)
	if res := h.sweep(); res.AutoClosed != 1 {
		t.Fatal("not closed after a quiet week")
	}
	if countWhere(t, h, `SELECT count(*) FROM questions WHERE assignee_id = ? AND status IN ('offered', 'assigned', 'answered')`, three.ID) != 0 {
		t.Error("the closed question still counts against the clinician's cap")
	}
	page := asker.get("/questions/" + id).body
	if !strings.Contains(page, "Closed after a quiet week") || !strings.Contains(page, "Reopen: I have more to ask") {
		t.Fatal("the asker is not offered to reopen")
	}
	if r := asker.post("/questions/"+id+"/reopen", nil); r.StatusCode != http.StatusSeeOther || h.question(q.ID).Status != models.QuestionAnswered {
		t.Fatalf("reopen: %d %s", r.StatusCode, h.question(q.ID).Status)
	}
	if notifCount(t, h, "dr_three", models.NotifyQuestionReopened) != 1 {
		t.Error("the clinician was not told the question was reopened")
	}
	if err := h.app.Questions.Close(ctx, h.actor(h.user("pat")), q.ID); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(14*24*time.Hour + time.Minute)
	asker = signedIn(h, "pat") // the earlier session timed out meanwhile
	tok := asker.token("write")
	if a := h.api("POST", "/api/v1/questions/"+id+"/reopen", tok, nil); a.Status != http.StatusConflict {
		t.Errorf("reopen after 14 days: %d", a.Status)
	}

	// Three open questions at most.
	for i := 0; i < 3; i++ {
		if a := h.api("POST", "/api/v1/questions", tok, map[string]any{"forum": "heart", "title": "Question number " + itoa(int64(i)), "body": "Text."}); a.Status != http.StatusCreated {
			t.Fatalf("question %d: %d %s", i, a.Status, a.Raw)
		}
	}
	a := h.api("POST", "/api/v1/questions", tok, map[string]any{"forum": "heart", "title": "One too many", "body": "Text."})
	if a.Status != http.StatusConflict || !strings.Contains(a.Raw, "3 open private questions") {
		t.Errorf("a fourth open question: %d %s", a.Status, a.Raw)
	}
	asker.get("/questions/new")
	r := asker.post("/questions", url.Values{"forum": {"heart"}, "title": {"One too many"}, "body": {"Kept text"}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.body, "You cannot ask another question yet") || !strings.Contains(r.body, "Kept text") {
		t.Errorf("the form with a fourth question: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM questions WHERE title = 'One too many'`); n != 0 {
		t.Errorf("%d refused questions stored", n)
	}
	if !strings.Contains(asker.get("/questions/new").body, "You already have as many open private questions as one member may") {
		t.Error("the ask form does not say the member is at the limit")
	}
	// The limit never turns away someone in crisis or with urgent symptoms.
	if a := h.api("POST", "/api/v1/questions", tok, map[string]any{"forum": "heart", "title": "Chest pain again", "body": "Chest pain since lunch.", "not_emergency": true}); a.Status != http.StatusCreated {
		t.Errorf("an urgent question past the limit: %d %s", a.Status, a.Raw)
	}
	if a := h.api("POST", "/api/v1/questions", tok, map[string]any{"forum": "heart", "title": "I cannot go on", "body": "Some nights I want to die."}); a.Status != http.StatusCreated || a.Body["crisis"] != true {
		t.Errorf("a crisis question past the limit: %d %s", a.Status, a.Raw)
	}
	var last int64
	h.app.DB.Gorm.Raw(`SELECT max(id) FROM questions WHERE NOT crisis AND NOT not_emergency`).Scan(&last)
	if err := h.app.Questions.Withdraw(ctx, h.actor(h.user("pat")), last); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"Chest pain again", "I cannot go on"} {
		var qid int64
		h.app.DB.Gorm.Raw(`SELECT id FROM questions WHERE title = ?`, id).Scan(&qid)
		h.app.Questions.Withdraw(ctx, h.actor(h.user("pat")), qid)
	}
	if a := h.api("POST", "/api/v1/questions", tok, map[string]any{"forum": "heart", "title": "Now it fits", "body": "Text."}); a.Status != http.StatusCreated {
		t.Errorf("after withdrawing one: %d", a.Status)
	}
}

// TestAskFormKeepsEveryConfirmation: a question with urgent words and
// something like a phone number needs both confirmations; the form keeps
// the first while asking for the second. Hidden control and text-direction
// characters are refused, by the form and the API alike.
func TestAskFormKeepsEveryConfirmation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	h.clinician("dr_h", "cardiology")
	b := h.member("pat")
	b.get("/questions/new")
	form := url.Values{"forum": {"heart"}, "title": {"Chest pain at night"}, "body": {"I get chest pain at night. Call me on 07700 900123."}}
	if r := b.post("/questions", form); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Is this an emergency?") {
		t.Fatalf("urgent words: %d", r.StatusCode)
	}
	form.Set("not_emergency", "on")
	r := b.post("/questions", form)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="confirm_personal_data"`) {
		t.Fatalf("personal data: %d", r.StatusCode)
	}
	if !strings.Contains(r.body, `id="not_emergency" name="not_emergency" checked`) {
		t.Fatal("the form dropped the member's 'not an emergency' answer while asking about personal data")
	}
	form.Set("confirm_personal_data", "on")
	if r := b.post("/questions", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("with both confirmations: %d", r.StatusCode)
	}
	tok := b.token("write")
	for _, title := range []string{"Palpitations \u202Egnp.exe", "Bell\a and \x1b[31mred", "Two\nlines"} {
		r := b.post("/questions", url.Values{"forum": {"heart"}, "title": {title}, "body": {"Text."}})
		if r.StatusCode != http.StatusUnprocessableEntity || !(strings.Contains(r.body, "control character") || strings.Contains(r.body, "direction of text") || strings.Contains(r.body, "one line")) {
			t.Errorf("title %q: %d", title, r.StatusCode)
		}
		a := h.api("POST", "/api/v1/questions", tok, map[string]any{"forum": "heart", "title": title, "body": "Text."})
		if e, _ := a.Body["error"].(map[string]any); a.Status != http.StatusUnprocessableEntity || e["fields"] == nil {
			t.Errorf("API title %q: %d %s", title, a.Status, a.Raw)
		}
	}
	if n := h.count("questions"); n != 1 {
		t.Errorf("%d questions stored, want 1", n)
	}
}

// TestUrgentAndCrisisQuestions: a question sent on past the urgent
// warning goes to every clinician who can take it at once, with a shorter
// answer deadline and wait alert; a crisis question leads its asker to the
// crisis resources first and is treated as urgent.
func TestUrgentAndCrisisQuestions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	h.forum("mind", func(f *forums.ForumForm) { f.Specialties = []string{"psychiatry"} })
	docs := []*models.User{h.clinician("dr_1", "cardiology"), h.clinician("dr_2", "cardiology"), h.clinician("dr_3", "cardiology")}
	h.clinician("dr_psy", "psychiatry")
	asker := h.member("pat")
	asker.get("/questions/new")
	r := asker.post("/questions", url.Values{"forum": {"heart"}, "title": {"Chest pain on and off"}, "body": {"A dull chest pain since yesterday."}, "not_emergency": {"on"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("urgent question: %d", r.StatusCode)
	}
	var q models.Question
	h.app.DB.Gorm.Order("id DESC").First(&q)
	if !q.Urgent() || q.Status != models.QuestionPool {
		t.Fatalf("urgent question: %+v", q)
	}
	for _, d := range docs {
		if notifCount(t, h, d.Handle, models.NotifyQuestionUrgent) != 1 {
			t.Errorf("%s was not told of the urgent question", d.Handle)
		}
		pool, _ := h.app.Questions.Pool(ctx, h.actor(d))
		if len(pool) != 1 || !pool[0].Urgent {
			t.Errorf("%s's pool: %v", d.Handle, pool)
		}
	}
	if notifCount(t, h, "dr_psy", models.NotifyQuestionUrgent) != 0 {
		t.Error("a clinician further down the chain was told while specialists can take it")
	}
	// A cardiologist who turns questions on later is told at the next sweep, once.
	late := h.clinician("dr_late", "cardiology")
	h.app.Clinicians.SaveSettings(ctx, h.actor(late), clinicians.SettingsForm{AcceptingQuestions: false, MaxOpenQuestions: 5})
	h.sweep()
	if notifCount(t, h, "dr_late", models.NotifyQuestionUrgent) != 0 {
		t.Error("a clinician not taking questions was told")
	}
	h.app.Clinicians.SaveSettings(ctx, h.actor(late), clinicians.SettingsForm{AcceptingQuestions: true, MaxOpenQuestions: 5})
	if res := h.sweep(); res.Told != 1 {
		t.Errorf("the sweep told %d clinicians, want the one who became available", res.Told)
	}
	h.sweep()
	if notifCount(t, h, "dr_late", models.NotifyQuestionUrgent) != 1 {
		t.Error("a clinician who became available was not told of the urgent question, or told twice")
	}
	page := asker.get("/questions/" + itoa(q.ID)).body
	if !strings.Contains(page, "Every clinician who can take it has been told at once") || !strings.Contains(page, "Urgent") {
		t.Error("the asker's status does not say what happens with an urgent question")
	}
	h.clock.Advance(61 * time.Minute)
	if res := h.sweep(); res.Alerted != 1 {
		t.Errorf("an urgent question waiting an hour alerted %d admins' rounds", res.Alerted)
	}
	if err := h.app.Questions.Claim(ctx, h.actor(docs[1]), q.ID); err != nil {
		t.Fatal(err)
	}
	if got := h.question(q.ID); got.AnswerBy == nil || !got.AnswerBy.Equal(h.clock.Now().Add(4*time.Hour)) {
		t.Errorf("urgent answer deadline %v", got.AnswerBy)
	}

	// Crisis words: the resources first (page), a flag and a link (API).
	r = asker.post("/questions", url.Values{"forum": {"mind"}, "title": {"Medication and low mood"}, "body": {"Some nights I want to die and I do not know who to tell."}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/support?next=%2Fquestions%2F") {
		t.Fatalf("crisis question: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	q = models.Question{}
	support := asker.get(r.Header.Get("Location")).body
	if !strings.Contains(support, "Your question is sent privately") || !strings.Contains(support, "Go on to your question") || strings.Contains(support, "Your post is published") {
		t.Error("the crisis page after a private question speaks of a published post")
	}
	h.app.DB.Gorm.Order("id DESC").First(&q)
	if !q.Crisis || q.Status != models.QuestionPool || notifCount(t, h, "dr_psy", models.NotifyQuestionUrgent) != 1 {
		t.Errorf("crisis question: %+v", q)
	}
	tok := asker.token("write")
	a := h.api("POST", "/api/v1/questions", tok, map[string]any{"forum": "mind", "title": "Still low", "body": "I keep thinking everyone would be better off dead without me... I want to die."})
	if a.Status != http.StatusCreated || a.Body["crisis"] != true || a.Body["support_url"] != "/support" {
		t.Errorf("API crisis question: %d %s", a.Status, a.Raw)
	}
	if h.count("reports") != 0 {
		t.Error("a private question was reported automatically")
	}
}

// TestQuestionActionsAnswerUniformly: accept, decline and claim answer a
// question that is not the caller's exactly like a missing id; an offer
// notification that moved on opens the dashboard saying so; the clinician
// never sees the asker's handle, on the page or in the API.
func TestQuestionActionsAnswerUniformly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	first := h.clinician("dr_first", "cardiology")
	h.clinician("dr_other", "cardiology")
	h.account("asker_handle_zq", models.RoleMember)
	q := h.ask("asker_handle_zq", "heart", "Beta blockers and cold hands", "Is that usual?")
	other := signedIn(h, "dr_other")
	tok := other.token("write")
	for _, action := range []string{"accept", "decline", "claim"} {
		other.get("/clinician/questions")
		mine := other.post("/questions/"+itoa(q.ID)+"/"+action, nil)
		other.get("/clinician/questions")
		missing := other.post("/questions/99999999/"+action, nil)
		if mine.StatusCode != http.StatusNotFound || missing.StatusCode != http.StatusNotFound ||
			!strings.Contains(mine.body, "This question is not available to you") || !strings.Contains(missing.body, "This question is not available to you") {
			t.Errorf("%s: %d vs %d for a missing id", action, mine.StatusCode, missing.StatusCode)
		}
		a := h.api("POST", "/api/v1/questions/"+itoa(q.ID)+"/"+action, tok, nil)
		b := h.api("POST", "/api/v1/questions/99999999/"+action, tok, nil)
		if a.Status != http.StatusNotFound || b.Status != a.Status || strings.ReplaceAll(a.Raw, itoa(q.ID), "N") != strings.ReplaceAll(b.Raw, "99999999", "N") {
			t.Errorf("API %s: %d %s vs %d %s", action, a.Status, a.Raw, b.Status, b.Raw)
		}
	}
	// Opening it is the same: a page that says it is not available.
	if mine, missing := other.get("/questions/"+itoa(q.ID)), other.get("/questions/99999999"); mine.StatusCode != http.StatusNotFound ||
		missing.StatusCode != http.StatusNotFound || !strings.Contains(mine.body, "This question is not available to you") || !strings.Contains(missing.body, "This question is not available to you") {
		t.Errorf("opening another's question: %d, a missing one: %d", mine.StatusCode, missing.StatusCode)
	}
	// The offer moves on: the notification leads to the dashboard, which says so.
	if err := h.app.Questions.Decline(ctx, h.actor(first), q.ID); err != nil {
		t.Fatal(err)
	}
	fb := signedIn(h, "dr_first")
	var nid int64
	h.app.DB.Gorm.Raw(`SELECT id FROM notifications WHERE user_id = ? AND kind = 'question_offered'`, first.ID).Scan(&nid)
	list := fb.get("/notifications").body
	if !strings.Contains(list, `name="to" value="clinician"`) {
		t.Fatal("the offer notification does not lead to the dashboard")
	}
	r := fb.post("/notifications/"+itoa(nid)+"/open", url.Values{"question": {itoa(q.ID)}, "to": {"clinician"}})
	if loc := r.Header.Get("Location"); loc != "/clinician/questions?offer="+itoa(q.ID) {
		t.Fatalf("opens %q", loc)
	}
	if !strings.Contains(fb.get(r.Header.Get("Location")).body, "This offer has moved on") {
		t.Error("the dashboard does not say the offer moved on")
	}
	if strings.Contains(other.get("/clinician/questions?offer="+itoa(q.ID)).body, "This offer has moved on") {
		t.Error("the clinician now offered it is told it moved on")
	}
	// What the clinician sees of the asker: "the member", page and API alike.
	if err := h.app.Questions.Accept(ctx, h.actor(h.user("dr_other")), q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(h.user("asker_handle_zq")), q.ID, questions.MessageForm{Body: "My fingers go white."}); err != nil {
		t.Fatal(err)
	}
	page := other.get("/questions/" + itoa(q.ID)).body
	a := h.api("GET", "/api/v1/questions/"+itoa(q.ID), tok, nil)
	if strings.Contains(page, "asker_handle_zq") || strings.Contains(a.Raw, "asker_handle_zq") || !strings.Contains(a.Raw, `"author":"The member"`) {
		t.Errorf("the clinician sees the asker's handle: %s", a.Raw)
	}
}

// TestStaffReadsAppearToTheAsker: a moderator's read of a reported message
// is in the asker's "who else read it", with the role and the report.
func TestStaffReadsAppearToTheAsker(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	doc := h.clinician("dr_rude", "cardiology")
	asker := h.member("asker_a")
	q := h.ask("asker_a", "heart", "Chest flutter", "Is it normal?")
	if err := h.app.Questions.Accept(ctx, h.actor(doc), q.ID); err != nil {
		t.Fatal(err)
	}
	m, err := h.app.Questions.Message(ctx, h.actor(doc), q.ID, questions.MessageForm{Body: "Stop wasting my time."})
	if err != nil {
		t.Fatal(err)
	}
	signedIn(h, "dr_rude").get("/questions/" + itoa(q.ID))
	rep, err := h.report("asker_a", models.TargetQuestionMessage, m.ID, models.ReasonHarassment)
	if err != nil {
		t.Fatal(err)
	}
	gm := h.withRole("mod_mo", models.RoleModerator)
	item := gm.get("/moderation/question_message/" + itoa(m.ID))
	if item.StatusCode != http.StatusOK {
		t.Fatalf("the moderator reads the reported message: %d", item.StatusCode)
	}
	if strings.Contains(item.body, "asker_a") || !strings.Contains(item.body, "a participant in the conversation") {
		t.Error("the moderator learns who asked the private question")
	}
	page := asker.get("/questions/" + itoa(q.ID)).body
	if !strings.Contains(page, "mod_mo (moderator: Reviewing report #"+itoa(rep.ID)) || !strings.Contains(page, "dr_rude (clinician: answering it)") {
		t.Errorf("the asker's reader list lacks the moderator's or clinician's read:\n%s", page[strings.Index(page, "Who else read it"):])
	}
	a := h.api("GET", "/api/v1/questions/"+itoa(q.ID), asker.token("read"), nil)
	if !strings.Contains(a.Raw, `"role":"moderator"`) || !strings.Contains(a.Raw, "report #"+itoa(rep.ID)) {
		t.Errorf("API readers: %s", a.Raw)
	}
}

// TestQuestionOversight: admins see counts, never titles; nobody else sees
// the page or the API.
func TestQuestionOversight(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.forum("heart", func(f *forums.ForumForm) { f.Name = "Heart health"; f.Specialties = []string{"cardiology"} })
	doc := h.clinician("dr_o", "cardiology")
	h.account("pat_one", models.RoleMember)
	h.account("pat_two", models.RoleMember)
	q1 := h.ask("pat_one", "heart", "OVERSIGHT-TITLE-ONE", "OVERSIGHT-BODY")
	h.ask("pat_two", "heart", "OVERSIGHT-TITLE-TWO", "OVERSIGHT-BODY")
	if err := h.app.Questions.Accept(ctx, h.actor(doc), q1.ID); err != nil {
		t.Fatal(err)
	}
	admin := signedIn(h, h.ensureAdmin())
	page := admin.get("/admin/questions")
	if page.StatusCode != http.StatusOK || strings.Contains(page.body, "OVERSIGHT-") {
		t.Fatalf("overview: %d, or it shows a question's text", page.StatusCode)
	}
	for _, want := range []string{"<dt>Taken, not answered yet</dt><dd>1</dd>", "<dt>Offered to one clinician</dt><dd>1</dd>", "Heart health", `<th scope="row">Cardiology</th>`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	a := h.api("GET", "/api/v1/admin/questions", admin.token("read"), nil)
	if a.Status != http.StatusOK || a.Body["held"] != float64(1) || a.Body["offered"] != float64(1) || strings.Contains(a.Raw, "OVERSIGHT-") {
		t.Errorf("API overview: %d %s", a.Status, a.Raw)
	}
	for _, who := range []*browser{h.withRole("mod_x", models.RoleModerator), signedIn(h, "dr_o"), signedIn(h, "pat_one")} {
		if r := who.get("/admin/questions"); r.StatusCode != http.StatusForbidden && r.StatusCode != http.StatusNotFound {
			t.Errorf("a non-admin opens the overview: %d", r.StatusCode)
		}
		if a := h.api("GET", "/api/v1/admin/questions", who.token("read"), nil); a.Status != http.StatusForbidden {
			t.Errorf("a non-admin reads the API overview: %d", a.Status)
		}
	}
}

// TestAskFormSaysTheUsualWait: once enough questions were taken, the ask
// form tells members how long clinicians usually take to take one.
func TestAskFormSaysTheUsualWait(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	doc := h.clinician("dr_wait", "cardiology")
	if err := h.app.Clinicians.SaveSettings(ctx, h.actor(doc), clinicians.SettingsForm{AcceptingQuestions: true, MaxOpenQuestions: 50}); err != nil {
		t.Fatal(err)
	}
	b := h.member("waiting_pat")
	if strings.Contains(b.get("/questions/new").body, "clinicians usually take a question within") {
		t.Fatal("a usual wait shown with nothing to base it on")
	}
	for i := 0; i < 5; i++ {
		handle := "asker_" + itoa(int64(i))
		h.account(handle, models.RoleMember)
		q := h.ask(handle, "heart", "Question number "+itoa(int64(i)), "Text.")
		h.clock.Advance(3 * time.Hour)
		if err := h.app.Questions.Accept(ctx, h.actor(doc), q.ID); err != nil {
			t.Fatal(err)
		}
	}
	b = signedIn(h, "waiting_pat")
	if page := b.get("/questions/new").body; !strings.Contains(page, "clinicians usually take a question within about 3 hours") {
		t.Error("the ask form does not say the usual wait")
	}
}

// TestLongWaitOnTheAskFormAndAdminPages: what members and admins read
// while a question finds nobody (app/questions' TestNoQuestionStrands has
// the routing and the pool): the ask form offers only specialties somebody
// covers; the asker reads that nobody can take it while the only
// clinician cools down, then that it waits for the first one; when it
// waits too long the admins' notification and overview say so without its
// title.
func TestLongWaitOnTheAskFormAndAdminPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_QUESTION_MAX_OFFERS": "1"}})
	h.licensing()
	ctx := context.Background()
	h.forum("skin", func(f *forums.ForumForm) { f.Specialties = []string{"dermatology"} })
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	x := h.clinician("dr_x", "cardiology")
	asker := h.member("pat")

	form := asker.get("/questions/new").body
	if !strings.Contains(form, `value="cardiology"`) || strings.Contains(form, `value="dermatology"`) {
		t.Error("the ask form offers specialties nobody covers")
	}
	q := h.ask("pat", "heart", "Chest flutter when lying down", "It lasts a few seconds.")
	asked := h.clock.Now()
	if err := h.app.Questions.Decline(ctx, h.actor(x), q.ID); err != nil {
		t.Fatal(err)
	}
	if got := h.question(q.ID); got.Status != models.QuestionPool {
		t.Fatalf("declined by the only clinician: %+v", got)
	}
	if !strings.Contains(asker.get("/questions/"+itoa(q.ID)).body, "No clinician is taking questions in this area right now") {
		t.Error("the asker is not told that nobody can take it now")
	}
	h.clock.Advance(2*time.Hour + time.Minute)
	if !strings.Contains(asker.get("/questions/"+itoa(q.ID)).body, "Waiting for the first suitable clinician") {
		t.Error("the asker's status does not follow")
	}
	h.clock.Advance(asked.Add(12*time.Hour + time.Minute).Sub(h.clock.Now()))
	if res := h.sweep(); res.Alerted != 1 {
		t.Fatalf("alerted %d", res.Alerted)
	}
	admin := signedIn(h, h.ensureAdmin())
	notes := admin.get("/notifications").body
	if !strings.Contains(notes, "waited too long for a clinician") || strings.Contains(notes, "Chest flutter") {
		t.Error("the admin alert is missing or shows the title")
	}
	over := admin.get("/admin/questions").body
	if !strings.Contains(over, "<dt>Overdue</dt><dd class=\"alert\">1</dd>") || strings.Contains(over, "Chest flutter") {
		t.Errorf("the overview does not show it as overdue, or shows its title")
	}
}

// TestPausedOffersOnTheClinicianPages: a clinician whose offers Kindred
// paused reads why in their notifications (from private questions, not
// from the moderators) and on their dashboard; turning questions back on
// there ends the pause. (app/questions' TestTimedOutEverywhere has the
// time-outs and the pause.)
func TestPausedOffersOnTheClinicianPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_QUESTION_MAX_OFFERS": "1", "KINDRED_QUESTION_PAUSE_AFTER_TIMEOUTS": "1"}})
	h.licensing()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	h.clinician("dr_x", "cardiology")
	h.account("pat", models.RoleMember)
	h.ask("pat", "heart", "Blood pressure at night", "Readings are higher after dinner.")
	h.clock.Advance(24*time.Hour + time.Minute)
	if res := h.sweep(); res.OffersTimedOut != 1 {
		t.Fatalf("timed out %d", res.OffersTimedOut)
	}
	b := signedIn(h, "dr_x")
	if notes := b.get("/notifications").body; !strings.Contains(notes, "Private questions:</strong> Your last offers of private questions timed out") || strings.Contains(notes, "From the moderators") {
		t.Error("the pause notice is missing or reads as a moderator's message")
	}
	if !strings.Contains(b.get("/clinician/questions").body, "Your offers are paused") {
		t.Error("the dashboard does not say the offers are paused")
	}
	if r := b.post("/clinician/settings", url.Values{"next": {"/clinician/questions"}, "accepting_questions": {"on"}, "max_open_questions": {"5"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save settings: %d", r.StatusCode)
	}
	if strings.Contains(b.get("/clinician/questions").body, "Your offers are paused") {
		t.Error("still paused after turning questions back on")
	}
}
