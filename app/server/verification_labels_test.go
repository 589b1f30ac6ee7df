package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/models"
)

const liveBadge = "Verified · Registered nurse · Cardiology"

// threadRow is one thread's line of a forum page ("" when not listed).
func threadRow(page string, threadID int64) string {
	i := strings.Index(page, `<li class="thread-row"><h3><a href="/t/`+itoa(threadID)+`">`)
	if i < 0 {
		return ""
	}
	end := strings.Index(page[i:], `</p>`)
	return page[i : i+end]
}

// postHTML is one post of a thread page ("" when not shown).
func postHTML(page string, postID int64) string {
	i := strings.Index(page, `<li class="post" id="post-`+itoa(postID)+`">`)
	if i < 0 {
		return ""
	}
	end := strings.Index(page[i:], `</article></li>`)
	return page[i : i+end]
}

// threadMeta is the line under a thread page's title.
func threadMeta(page string) string {
	i := strings.Index(page, `<p class="meta">`)
	if i < 0 {
		return ""
	}
	end := strings.Index(page[i:], `</p>`)
	return page[i : i+end]
}

// apiPost is one post of GET /api/v1/threads/{id}/posts.
func (h *harness) apiPost(threadID, postID int64) map[string]any {
	h.t.Helper()
	r := h.api("GET", "/api/v1/threads/"+itoa(threadID)+"/posts", "", nil)
	if r.Status != http.StatusOK {
		h.t.Fatalf("posts of %d: %d %s", threadID, r.Status, r.Raw)
	}
	for _, x := range r.Body["posts"].([]any) {
		if p := x.(map[string]any); int64(p["id"].(float64)) == postID {
			return p
		}
	}
	h.t.Fatalf("post %d not in thread %d: %s", postID, threadID, r.Raw)
	return nil
}

// apiAnswered is has_clinician_answer of GET /api/v1/threads/{id}.
func (h *harness) apiAnswered(threadID int64) bool {
	h.t.Helper()
	r := h.api("GET", "/api/v1/threads/"+itoa(threadID), "", nil)
	v, ok := r.Body["has_clinician_answer"].(bool)
	if r.Status != http.StatusOK || !ok {
		h.t.Fatalf("thread %d: %d %s", threadID, r.Status, r.Raw)
	}
	return v
}

// apiListed is the set of thread ids the forum's thread-list API returns.
func (h *harness) apiListed(path string) map[int64]bool {
	h.t.Helper()
	r := h.api("GET", path, "", nil)
	if r.Status != http.StatusOK {
		h.t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
	}
	out := map[int64]bool{}
	for _, x := range r.Body["threads"].([]any) {
		row := x.(map[string]any)
		out[int64(row["id"].(float64))] = row["has_clinician_answer"].(bool)
	}
	return out
}

// searchDoc is the one hit of a search for a unique word.
func (h *harness) searchDoc(word string) (answered bool, professions int, ok bool) {
	hits := h.searchHits("", "q="+word)
	if len(hits) != 1 {
		return false, 0, false
	}
	return hits[0]["has_clinician_answer"].(bool), len(hits[0]["clinician_professions"].([]any)), true
}

// indexJobsDone waits until the search queue is empty and no job that
// queues threads is waiting or running, so that what the index holds next
// was written after the writes so far.
func (h *harness) indexJobsDone() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int64
		h.app.DB.Gorm.Raw(`SELECT (SELECT count(*) FROM search_queue) + (SELECT count(*) FROM river_job
			WHERE kind IN ('search_index_thread', 'search_index_threads') AND state NOT IN ('completed', 'discarded', 'cancelled'))`).Scan(&n)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("%d index jobs still waiting", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) revoke(u *models.User) {
	h.t.Helper()
	ctx := context.Background()
	_, cred, err := h.app.Clinicians.Standing(ctx, u.ID)
	if err != nil || cred == nil {
		h.t.Fatalf("no verified credential for %s: %v", u.Handle, err)
	}
	if _, err := h.app.Clinicians.Revoke(ctx, h.actor(h.user(h.ensureAdmin())), cred.ID, "Licence suspended by the board"); err != nil {
		h.t.Fatal(err)
	}
}

// TestRevokedClinicianLosesLabels: after a revocation, the clinician's
// answers stop being clinicians' answers everywhere (forum page, its
// answered filter, thread page, JSON API, search document), while their
// posts stay; a thread another, still verified, clinician answered keeps
// the mark.
func TestRevokedClinicianLosesLabels(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	h.licensing()
	h.account("pat", models.RoleMember)
	f := h.forum("heart", func(ff *forums.ForumForm) { ff.Specialties = []string{"cardiology"} })
	gone := h.clinician("dr_gone", "cardiology")
	h.clinician("dr_stays", "cardiology")

	onlyGone := h.thread("pat", f, "Answered by the revoked one", "zebragone", false)
	goneReply := h.reply("dr_gone", onlyGone.ID, "Keep a diary of the palpitations.", false)
	onlyStays := h.thread("pat", f, "Answered by the other one", "zebrastays", false)
	staysReply := h.reply("dr_stays", onlyStays.ID, "Cut down on caffeine first.", false)
	both := h.thread("pat", f, "Answered by both", "zebraboth", false)
	bothGone := h.reply("dr_gone", both.ID, "An ECG would settle it.", false)
	bothStays := h.reply("dr_stays", both.ID, "Agreed, ask your GP for one.", false)
	ownThread := h.thread("dr_gone", f, "A clinician asks too", "zebraown", false)

	visitor := h.browser()
	check := func(when string, goneLabelled bool) {
		t.Helper()
		list := visitor.get("/f/heart").body
		for id, want := range map[int64]bool{onlyGone.ID: goneLabelled, onlyStays.ID: true, both.ID: true, ownThread.ID: false} {
			row := threadRow(list, id)
			if row == "" {
				t.Fatalf("%s: thread %d not on the forum page", when, id)
			}
			if got := strings.Contains(row, "Clinician answered"); got != want {
				t.Errorf("%s: forum page marks thread %d answered: %v, want %v\n%s", when, id, got, want, row)
			}
		}
		answered := visitor.get("/f/heart?answered=1").body
		for id, want := range map[int64]bool{onlyGone.ID: goneLabelled, onlyStays.ID: true, both.ID: true, ownThread.ID: false} {
			if got := threadRow(answered, id) != ""; got != want {
				t.Errorf("%s: ?answered=1 lists thread %d: %v, want %v", when, id, got, want)
			}
		}

		page := visitor.get("/t/" + itoa(onlyGone.ID)).body
		if got := strings.Contains(threadMeta(page), "Clinician answered"); got != goneLabelled {
			t.Errorf("%s: thread page says clinician answered: %v, want %v", when, got, goneLabelled)
		}
		post := postHTML(page, goneReply.ID)
		if !strings.Contains(post, "Keep a diary of the palpitations.") || !strings.Contains(post, "dr_gone") {
			t.Fatalf("%s: the revoked clinician's post is gone:\n%s", when, post)
		}
		if got := strings.Contains(post, liveBadge); got != goneLabelled {
			t.Errorf("%s: badge on the post: %v, want %v", when, got, goneLabelled)
		}
		if strings.Contains(post, forums.ClinicianWhenWrittenLabel) {
			t.Errorf("%s: a revoked (or verified) clinician's post says %q", when, forums.ClinicianWhenWrittenLabel)
		}
		page = visitor.get("/t/" + itoa(both.ID)).body
		if !strings.Contains(threadMeta(page), "Clinician answered") || !strings.Contains(postHTML(page, bothStays.ID), liveBadge) {
			t.Errorf("%s: the thread both answered lost the other clinician's label", when)
		}
		if got := strings.Contains(postHTML(page, bothGone.ID), liveBadge); got != goneLabelled {
			t.Errorf("%s: badge on the revoked clinician's post in the shared thread: %v", when, got)
		}

		if got := h.apiAnswered(onlyGone.ID); got != goneLabelled {
			t.Errorf("%s: API thread has_clinician_answer %v, want %v", when, got, goneLabelled)
		}
		if !h.apiAnswered(onlyStays.ID) || !h.apiAnswered(both.ID) {
			t.Errorf("%s: API lost the other clinician's answers", when)
		}
		listed := h.apiListed("/api/v1/forums/heart/threads")
		if listed[onlyGone.ID] != goneLabelled || !listed[onlyStays.ID] || !listed[both.ID] || listed[ownThread.ID] {
			t.Errorf("%s: API thread list: %v", when, listed)
		}
		filtered := h.apiListed("/api/v1/forums/heart/threads?clinician_answered=true")
		if _, in := filtered[onlyGone.ID]; in != goneLabelled || len(filtered) != map[bool]int{true: 3, false: 2}[goneLabelled] {
			t.Errorf("%s: API answered filter: %v", when, filtered)
		}
		p := h.apiPost(onlyGone.ID, goneReply.ID)
		wantStatus, wantBadge := "", ""
		if goneLabelled {
			wantStatus, wantBadge = forums.ClinicianVerifiedNow, "Registered nurse · Cardiology"
		}
		if p["author_was_clinician"] != goneLabelled || p["clinician_badge"] != wantBadge || p["clinician_status"] != wantStatus {
			t.Errorf("%s: API post: %v", when, p)
		}
		if p := h.apiPost(onlyStays.ID, staysReply.ID); p["author_was_clinician"] != true || p["clinician_status"] != forums.ClinicianVerifiedNow {
			t.Errorf("%s: API post of the other clinician: %v", when, p)
		}
	}

	check("verified", true)
	eventually(t, "indexed as answered by a nurse", func() bool {
		a1, p1, ok1 := h.searchDoc("zebragone")
		a2, p2, ok2 := h.searchDoc("zebraboth")
		return ok1 && ok2 && a1 && a2 && p1 == 1 && p2 == 1
	})
	h.indexJobsDone()

	h.revoke(gone)

	check("revoked", false)
	eventually(t, "the revoked clinician's answer leaves the search document", func() bool {
		answered, professions, ok := h.searchDoc("zebragone")
		return ok && !answered && professions == 0
	})
	if answered, professions, ok := h.searchDoc("zebraboth"); !ok || !answered || professions != 1 {
		t.Errorf("the thread both answered, in search: answered %v, %d professions", answered, professions)
	}
	if answered, professions, ok := h.searchDoc("zebrastays"); !ok || !answered || professions != 1 {
		t.Errorf("the other clinician's thread, in search: answered %v, %d professions", answered, professions)
	}
	if ids := h.searchIDs("", "q=zebragone&clinician_answered=true"); has(ids, onlyGone.ID) {
		t.Error("the search filter still finds the revoked clinician's answer")
	}

	// The posts stay (with their text): only the label went, and the
	// change is in the audit log.
	if n := countWhere(t, h, `SELECT count(*) FROM posts WHERE author_id = ? AND deleted_at IS NULL AND body <> ''`, gone.ID); n != 3 {
		t.Errorf("%d posts of the revoked clinician remain, want 3", n)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'post.clinician_label.remove' AND target_kind = 'user' AND target_id = ?`, gone.ID); n != 1 {
		t.Errorf("%d audit events for the removed labels", n)
	}
}

// TestExpiredClinicianAnswersKeepTheirMark: when a verification simply
// ends, the clinician's answers still count ("Clinician answered" stays),
// and the post says its author was a clinician when writing it instead of
// the live badge.
func TestExpiredClinicianAnswersKeepTheirMark(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	h.licensing()
	ctx := context.Background()
	h.account("pat", models.RoleMember)
	h.account("dr_kim", models.RoleMember)
	f := h.forum("diabetes", nil)
	early := h.thread("dr_kim", f, "Before I was verified", "zebraearly", false)
	cred := h.verify("dr_kim", 90)
	th := h.thread("pat", f, "Numb toes at night", "zebratoes", false)
	answer := h.reply("dr_kim", th.ID, "Check your feet daily and tell your nurse.", false)

	visitor := h.browser()
	page := visitor.get("/t/" + itoa(th.ID)).body
	if post := postHTML(page, answer.ID); !strings.Contains(post, liveBadge) || strings.Contains(post, forums.ClinicianWhenWrittenLabel) {
		t.Fatalf("while verified:\n%s", post)
	}
	eventually(t, "indexed with the profession", func() bool {
		answered, professions, ok := h.searchDoc("zebratoes")
		return ok && answered && professions == 1
	})

	h.clock.Advance(cred.VerifiedUntil.Sub(h.clock.Now()) + time.Minute)
	if res, err := h.app.Clinicians.Sweep(ctx); err != nil || res.Expired != 1 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	if h.credential(cred.ID).Status != models.CredentialExpired {
		t.Fatal("not expired")
	}

	if row := threadRow(visitor.get("/f/diabetes").body, th.ID); !strings.Contains(row, "Clinician answered") {
		t.Errorf("the forum page lost the mark:\n%s", row)
	}
	if threadRow(visitor.get("/f/diabetes?answered=1").body, th.ID) == "" {
		t.Error("?answered=1 lost the thread")
	}
	page = visitor.get("/t/" + itoa(th.ID)).body
	if !strings.Contains(threadMeta(page), "Clinician answered") {
		t.Error("the thread page lost the mark")
	}
	post := postHTML(page, answer.ID)
	if strings.Contains(post, "Verified ·") || !strings.Contains(post, forums.ClinicianWhenWrittenLabel) {
		t.Errorf("after expiry the post should say %q and have no badge:\n%s", forums.ClinicianWhenWrittenLabel, post)
	}
	// A post written before the verification never was a clinician's.
	if early := visitor.get("/t/" + itoa(early.ID)).body; strings.Contains(early, forums.ClinicianWhenWrittenLabel) || strings.Contains(early, "Verified ·") {
		t.Error("a post written before verification is labelled")
	}
	if !h.apiAnswered(th.ID) {
		t.Error("API thread lost has_clinician_answer")
	}
	p := h.apiPost(th.ID, answer.ID)
	if p["author_was_clinician"] != true || p["clinician_badge"] != "" || p["clinician_status"] != forums.ClinicianVerifiedWhenWritten {
		t.Errorf("API post after expiry: %v", p)
	}
	// The search document loses the profession (not verified now) but
	// stays answered.
	eventually(t, "the profession leaves the document", func() bool {
		_, professions, ok := h.searchDoc("zebratoes")
		return ok && professions == 0
	})
	if answered, _, _ := h.searchDoc("zebratoes"); !answered {
		t.Error("the search document lost has_clinician_answer on expiry")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM posts WHERE author_id = ? AND author_was_clinician`, h.user("dr_kim").ID); n != 1 {
		t.Errorf("%d posts still count as the clinician's answers, want 1", n)
	}
}

// TestPublishedAnswerLosesLabelOnRevocation: a published copy of a private
// question holds the clinician's answers as ordinary posts, so they lose
// the label with the clinician's revocation.
func TestPublishedAnswerLosesLabelOnRevocation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	doc := h.clinician("dr_pub", "cardiology")
	h.account("shy_asker", models.RoleMember)
	q := h.ask("shy_asker", "heart", "Statins and cramps", "Do statins cause cramps?")
	if err := h.app.Questions.Accept(ctx, h.actor(doc), q.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Questions.Message(ctx, h.actor(doc), q.ID, questions.MessageForm{Body: "Muscle aches are a known side effect; tell your prescriber."}); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Questions.SetConsent(ctx, h.actor(doc), q.ID, true); err != nil {
		t.Fatal(err)
	}
	threadID, err := h.app.Questions.Publish(ctx, h.actor(h.user("shy_asker")), q.ID, questions.PublishForm{Title: "Statins and cramps", Body: "Do statins cause cramps?"})
	if err != nil {
		t.Fatal(err)
	}
	var answerID int64
	h.app.DB.Gorm.Raw(`SELECT id FROM posts WHERE thread_id = ? AND author_id = ?`, threadID, doc.ID).Scan(&answerID)

	visitor := h.browser()
	labelled := func() (list, filtered, meta, badge, api bool) {
		list = strings.Contains(threadRow(visitor.get("/f/heart").body, threadID), "Clinician answered")
		filtered = threadRow(visitor.get("/f/heart?answered=1").body, threadID) != ""
		page := visitor.get("/t/" + itoa(threadID)).body
		post := postHTML(page, answerID)
		if !strings.Contains(post, "Muscle aches are a known side effect") {
			t.Fatalf("the published answer is missing:\n%s", page)
		}
		if strings.Contains(post, forums.ClinicianWhenWrittenLabel) {
			t.Errorf("the published answer says %q", forums.ClinicianWhenWrittenLabel)
		}
		meta, badge = strings.Contains(threadMeta(page), "Clinician answered"), strings.Contains(post, liveBadge)
		api = h.apiPost(threadID, answerID)["author_was_clinician"] == true && h.apiAnswered(threadID)
		return
	}
	if l, f, m, b, a := labelled(); !l || !f || !m || !b || !a {
		t.Fatalf("published copy before revocation: list %v, filter %v, thread %v, badge %v, API %v", l, f, m, b, a)
	}

	h.revoke(doc)

	if l, f, m, b, a := labelled(); l || f || m || b || a {
		t.Errorf("published copy after revocation: list %v, filter %v, thread %v, badge %v, API %v", l, f, m, b, a)
	}
	if countWhere(t, h, `SELECT count(*) FROM posts WHERE thread_id = ?`, threadID) != 2 {
		t.Error("the published copy lost a post")
	}
}
