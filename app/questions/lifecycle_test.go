package questions_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/app/testenv/world"
	"github.com/kindred-health/kindred/models"
)

func cardiology(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} }

// TestQuestionFlow walks one question with a fake clock: offer → deadline
// → next clinician → decline → pool → claim → answer, with the asker's
// timeline, notifications and the deadline jobs.
func TestQuestionFlow(t *testing.T) {
	t.Parallel()
	w := world.New(t, world.Settings{"KINDRED_QUESTION_MAX_OFFERS": "2", "KINDRED_QUESTION_RESPOND_WITHIN": "24h"})
	ctx := context.Background()
	w.Forum("heart", cardiology)
	first := w.Clinician("dr_first", "cardiology")
	second := w.Clinician("dr_second", "cardiology")
	skin := w.Clinician("dr_skin", "dermatology")
	pat := w.Member("pat")

	q := w.Ask(pat, "heart", "Palpitations at night", "They wake me up. Should I worry?")
	got := question(w, q.ID)
	if got.Status != models.QuestionOffered || *got.AssigneeID != first.ID || got.Attempts != 1 {
		t.Fatalf("first routing: %+v", got)
	}
	if !got.RespondBy.Equal(w.Clock.Now().Add(24 * time.Hour)) {
		t.Errorf("respond_by %s", got.RespondBy)
	}
	var jobAt time.Time
	w.App.DB.Gorm.Raw(`SELECT scheduled_at FROM river_job WHERE kind = 'question_offer_deadline'`).Scan(&jobAt)
	if !jobAt.Equal(*got.RespondBy) {
		t.Errorf("deadline job scheduled at %s, want %s", jobAt, got.RespondBy)
	}
	if w.Notifications(first, models.NotifyQuestionOffered) != 1 {
		t.Error("first clinician not notified of the offer")
	}

	// The deadline job, run early, snoozes and changes nothing.
	offer := pendingOffer(w, q.ID)
	worker := &questions.OfferDeadlineWorker{Svc: w.App.Questions}
	job := &river.Job[questions.OfferDeadlineArgs]{JobRow: &rivertype.JobRow{}, Args: questions.OfferDeadlineArgs{QuestionID: q.ID, OfferID: offer}}
	var snooze *rivertype.JobSnoozeError
	if err := worker.Work(ctx, job); !errors.As(err, &snooze) || question(w, q.ID).Attempts != 1 {
		t.Fatalf("early deadline job: %v", err)
	}
	// At the deadline the offer times out and the next clinician gets it.
	w.Clock.Advance(24 * time.Hour)
	if err := worker.Work(ctx, job); err != nil {
		t.Fatal(err)
	}
	got = question(w, q.ID)
	if got.Status != models.QuestionOffered || *got.AssigneeID != second.ID || got.Attempts != 2 {
		t.Fatalf("after the deadline: %+v", got)
	}
	if _, err := w.App.Questions.Get(ctx, w.Actor(first), q.ID, ""); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("earlier offeree still reads it: %v", err)
	}
	// A second run of the same job is a no-op.
	if _, err := w.App.Questions.Deadline(ctx, q.ID, offer); err != nil || question(w, q.ID).Attempts != 2 {
		t.Errorf("repeated deadline job: %v", err)
	}

	// The second declines: two offers made, so the question goes to the pool.
	if err := w.App.Questions.Decline(ctx, w.Actor(second), q.ID); err != nil {
		t.Fatal(err)
	}
	if got = question(w, q.ID); got.Status != models.QuestionPool || got.AssigneeID != nil {
		t.Fatalf("after decline: %+v", got)
	}
	// The pool: both cardiologists just let it go, so it is open to anyone
	// taking questions (the fallback chain); the earlier offerees, cooling
	// down, neither see nor claim it. A new cardiologist sees it as in
	// their specialty and takes it; the others then find nothing.
	third := w.Clinician("dr_third", "cardiology")
	for _, u := range []*models.User{first, second} {
		if pool, _ := w.App.Questions.Pool(ctx, w.Actor(u)); len(pool) != 0 {
			t.Errorf("%s sees the pool while cooling down: %v", u.Handle, pool)
		}
		if err := w.App.Questions.Claim(ctx, w.Actor(u), q.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s claims: %v", u.Handle, err)
		}
	}
	if pool, _ := w.App.Questions.Pool(ctx, w.Actor(skin)); len(pool) != 1 || pool[0].Match != "outside your specialties" {
		t.Errorf("pool for the dermatologist: %v", pool)
	}
	if pool, _ := w.App.Questions.Pool(ctx, w.Actor(third)); len(pool) != 1 || pool[0].Title != "Palpitations at night" || pool[0].Match != "a specialty of the condition" {
		t.Fatalf("pool for the new clinician: %v", pool)
	}
	if err := w.App.Questions.Claim(ctx, w.Actor(third), q.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.App.Questions.Claim(ctx, w.Actor(third), q.ID); !isConflict(err) {
		t.Errorf("claimed twice: %v, want 'you already hold it'", err)
	}
	if err := w.App.Questions.Claim(ctx, w.Actor(skin), q.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a late claimant: %v, want not found like a missing id", err)
	}
	if pool, _ := w.App.Questions.Pool(ctx, w.Actor(skin)); len(pool) != 0 {
		t.Errorf("the pool still shows a taken question: %v", pool)
	}

	// The conversation: a request for information, the answer, close, rating.
	if _, err := w.App.Questions.Message(ctx, w.Actor(third), q.ID, questions.MessageForm{Body: "Any chest pain or fainting?", InfoRequest: true}); err != nil {
		t.Fatal(err)
	}
	if question(w, q.ID).Status != models.QuestionAssigned {
		t.Error("an information request is not an answer")
	}
	if _, err := w.App.Questions.Message(ctx, w.Actor(pat), q.ID, questions.MessageForm{Body: "No, neither."}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.App.Questions.Message(ctx, w.Actor(third), q.ID, questions.MessageForm{Body: "Then it is very likely harmless; mention it at your next check-up."}); err != nil {
		t.Fatal(err)
	}
	if question(w, q.ID).Status != models.QuestionAnswered {
		t.Fatal("not answered")
	}
	if err := w.App.Questions.Rate(ctx, w.Actor(pat), q.ID, "helpful"); err != nil {
		t.Fatal(err)
	}
	if err := w.App.Questions.Close(ctx, w.Actor(pat), q.ID); err != nil {
		t.Fatal(err)
	}

	v, err := w.App.Questions.Get(ctx, w.Actor(pat), q.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range v.Timeline {
		kinds = append(kinds, e.Kind)
	}
	if want := "asked offered timed out offered declined pooled claimed more information requested answered closed"; strings.Join(kinds, " ") != want {
		t.Errorf("timeline %q\nwant     %q", strings.Join(kinds, " "), want)
	}
	if len(v.Messages) != 3 || v.Question.Rating == nil || *v.Question.Rating != "helpful" {
		t.Errorf("messages %d, rating %v", len(v.Messages), v.Question.Rating)
	}
	// The asker heard of every change; the clinicians of theirs.
	if n := w.Notifications(pat, models.NotifyQuestionStatus); n != 3 { // timed out, pooled, claimed (the answer comes as a message)
		t.Errorf("asker got %d status notifications", n)
	}
	if w.Notifications(pat, models.NotifyQuestionMessage) != 2 || w.Notifications(third, models.NotifyQuestionMessage) != 1 ||
		w.Notifications(third, models.NotifyQuestionClosed) != 1 || w.Notifications(second, models.NotifyQuestionOffered) != 1 {
		t.Error("message or close notifications missing")
	}
	// Who read it: the clinicians' reads, listed for the asker.
	if _, err := w.App.Questions.Get(ctx, w.Actor(third), q.ID, ""); err != nil {
		t.Fatal(err)
	}
	v, _ = w.App.Questions.Get(ctx, w.Actor(pat), q.ID, "")
	if len(v.Readers) == 0 || v.Readers[0].Handle != "dr_third" {
		t.Errorf("readers %v", v.Readers)
	}
}

// TestPoolClaimHasOneWinner: 50 clinicians claim one pooled question at
// once, 200 times: exactly one wins each time, the others find it gone
// (404, as for a missing id). `make test` runs it again under -race.
func TestPoolClaimHasOneWinner(t *testing.T) {
	t.Parallel()
	// The questions are all asked before any clinician takes questions, so
	// each waits in the pool; two members may have 100 open questions each.
	w := world.New(t, world.Settings{"KINDRED_QUESTION_MAX_OPEN_PER_MEMBER": "100"})
	ctx := context.Background()
	w.Forum("heart", cardiology)
	askers := []*models.User{w.Member("pat"), w.Member("sam")}
	pooled := make([]*models.Question, 200)
	for i := range pooled {
		pooled[i] = w.Ask(askers[i%2], "heart", "Statin and my morning coffee", "Is it fine to keep drinking coffee with atorvastatin?")
		if pooled[i].Status != models.QuestionPool {
			t.Fatalf("question %d is %s, not waiting in the pool", i, pooled[i].Status)
		}
	}
	var docs []models.Actor
	for i := 0; i < 50; i++ {
		docs = append(docs, w.Actor(w.Clinician("doc_"+strconv.Itoa(i), "cardiology")))
	}
	for round, q := range pooled {
		id := q.ID
		var wins, conflicts, other int
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, d := range docs {
			wg.Add(1)
			go func(d models.Actor) {
				defer wg.Done()
				<-start
				err := w.App.Questions.Claim(ctx, d, id)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, models.ErrNotFound):
					conflicts++
				default:
					other++
					t.Errorf("round %d: %v", round, err)
				}
			}(d)
		}
		close(start)
		wg.Wait()
		if wins != 1 || conflicts != 49 || other != 0 {
			t.Fatalf("round %d: %d winners, %d losers, %d other", round, wins, conflicts, other)
		}
		if n := w.Count(`SELECT count(*) FROM question_offers WHERE question_id = ?`, id); n != 1 {
			t.Fatalf("round %d: %d offers recorded", round, n)
		}
		// The asker withdraws it, so nobody reaches their cap.
		if err := w.App.Questions.Withdraw(ctx, w.Actor(askers[round%2]), id); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAnswerDeadlineAndReminder: after accepting, the clinician has an
// answer deadline the asker is told of, a reminder comes once as it
// nears, and at the deadline the question moves on to the next clinician.
func TestAnswerDeadlineAndReminder(t *testing.T) {
	t.Parallel()
	w := world.New(t, nil)
	ctx := context.Background()
	w.Forum("heart", cardiology)
	one := w.Clinician("dr_one", "cardiology")
	w.Clinician("dr_two", "cardiology")
	pat := w.Member("pat")
	q := w.Ask(pat, "heart", "Dizzy when I stand up", "Mostly in the morning.")
	if err := w.App.Questions.Accept(ctx, w.Actor(one), q.ID); err != nil {
		t.Fatal(err)
	}
	if got := question(w, q.ID); got.AnswerBy == nil || !got.AnswerBy.Equal(w.Clock.Now().Add(48*time.Hour)) {
		t.Fatalf("answer_by %v", got.AnswerBy)
	}
	if !strings.Contains(askerStatus(w, pat, q.ID), "aims to answer by") {
		t.Error("the asker is not told the answer deadline")
	}
	w.Clock.Advance(35 * time.Hour)
	if res := sweep(w); res.Reminded != 0 {
		t.Error("reminded too early")
	}
	w.Clock.Advance(time.Hour + time.Minute)
	sweep(w)
	sweep(w)
	if n := w.Notifications(one, models.NotifyQuestionRemind); n != 1 {
		t.Errorf("%d reminders, want 1", n)
	}
	w.Clock.Advance(12 * time.Hour)
	if res := sweep(w); res.AnswersTimedOut != 1 {
		t.Fatalf("answers timed out: %d", res.AnswersTimedOut)
	}
	if assignee(w, q.ID) != "dr_two" || w.Notifications(one, models.NotifyQuestionMoved) != 1 {
		t.Fatalf("after the answer deadline: %s", assignee(w, q.ID))
	}
	if !strings.Contains(timeline(w, q.ID), "answer timed out") {
		t.Errorf("timeline %s", timeline(w, q.ID))
	}
}

// TestRescuedDeadlineJobChangesNothing: a deadline job whose work was done
// (the offer timed out, the next clinician was offered the question and
// told) by a process that died before River recorded it is run again by
// River's rescue. The second run must change nothing: no third offer, no
// second notice, the same clinician holding the offer.
func TestRescuedDeadlineJobChangesNothing(t *testing.T) {
	t.Parallel()
	w := world.New(t, world.Settings{"KINDRED_QUESTION_MAX_OFFERS": "3", "KINDRED_QUESTION_RESPOND_WITHIN": "24h"})
	ctx := context.Background()
	w.Forum("heart", cardiology)
	first := w.Clinician("dr_first", "cardiology")
	second := w.Clinician("dr_second", "cardiology")
	w.Clinician("dr_third", "cardiology")
	pat := w.Member("pat")
	q := w.Ask(pat, "heart", "Chest tightness when climbing stairs", "It passes after a minute of rest. Is that angina?")
	if assignee(w, q.ID) != first.Handle {
		t.Fatalf("first offer went to %q", assignee(w, q.ID))
	}
	offer := pendingOffer(w, q.ID)
	jobID := w.Count(`SELECT id FROM river_job WHERE kind = 'question_offer_deadline' AND (args->>'offer_id')::bigint = ?`, offer)
	if jobID == 0 {
		t.Fatal("no deadline job for the first offer")
	}

	// The first run, on a process that dies right after its work.
	w.Clock.Advance(25 * time.Hour)
	worker := &questions.OfferDeadlineWorker{Svc: w.App.Questions}
	if err := worker.Work(ctx, &river.Job[questions.OfferDeadlineArgs]{JobRow: &rivertype.JobRow{},
		Args: questions.OfferDeadlineArgs{QuestionID: q.ID, OfferID: offer}}); err != nil {
		t.Fatal(err)
	}
	after := question(w, q.ID)
	if after.Status != models.QuestionOffered || *after.AssigneeID != second.ID || after.Attempts != 2 {
		t.Fatalf("after the deadline: %+v", after)
	}
	snapshot := func() [3]int64 {
		return [3]int64{
			w.Count(`SELECT count(*) FROM question_offers WHERE question_id = ?`, q.ID),
			w.Notifications(second, models.NotifyQuestionOffered),
			w.Count(`SELECT count(*) FROM question_offers WHERE question_id = ? AND outcome = 'pending'`, q.ID),
		}
	}
	before := snapshot()
	if before != [3]int64{2, 1, 1} {
		t.Fatalf("offers, notices to the second clinician, pending offers: %v, want [2 1 1]", before)
	}
	// River still sees the job running, on a machine that is gone.
	if err := w.App.DB.Gorm.Exec(`UPDATE river_job SET state = 'running', attempt = 1, scheduled_at = now() - interval '10 minutes',
		attempted_at = now() - interval '10 minutes', attempted_by = ARRAY['a-machine-that-died'] WHERE id = ?`, jobID).Error; err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	stop, err := w.App.StartWorkers(wctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = stop(sctx)
		cancel()
	}()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var state string
		var attempt int
		w.App.DB.Gorm.Raw(`SELECT state, attempt FROM river_job WHERE id = ?`, jobID).Row().Scan(&state, &attempt)
		if state == "completed" && attempt >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rescued job is %q (attempt %d) after 45 s", state, attempt)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := snapshot(); got != before {
		t.Errorf("the second run changed offers, notices or pending offers: %v, was %v", got, before)
	}
	if got := question(w, q.ID); got.Status != models.QuestionOffered || *got.AssigneeID != second.ID || got.Attempts != 2 {
		t.Errorf("the second run moved the question: %+v", got)
	}
}
