package questions_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/testenv/world"
	"github.com/kindred-health/kindred/models"
)

// TestNoQuestionStrands: a question whose specialty nobody covers reaches
// a generalist, then anyone taking questions; one declined or timed out
// everywhere waits in the pool, where earlier offerees see it again after
// the cooling period, and admins are alerted once when it waits too long.
// (TestLongWaitOnTheAskFormAndAdminPages in app/server checks the pages.)
func TestNoQuestionStrands(t *testing.T) {
	t.Parallel()
	w := world.New(t, world.Settings{"KINDRED_QUESTION_MAX_OFFERS": "2"})
	ctx := context.Background()
	w.Forum("skin", func(f *forums.ForumForm) { f.Specialties = []string{"dermatology"} })
	w.Forum("heart", cardiology)
	x := w.Clinician("dr_x", "cardiology")
	y := w.Clinician("dr_y", "cardiology")
	pat := w.Member("pat")

	// The ask form lists only specialties somebody covers.
	choices, err := w.App.Questions.Choices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var offered []string
	for _, s := range choices.Specialties {
		offered = append(offered, s.Code)
	}
	if strings.Join(offered, ",") != "cardiology" {
		t.Errorf("the ask form offers %v, want only the specialty somebody covers (cardiology)", offered)
	}

	// Nobody covers dermatology: a generalist first, else anyone.
	gen := w.Clinician("dr_gen", "oncology")
	if err := w.App.Clinicians.SaveSettings(ctx, w.Actor(gen), clinicians.SettingsForm{AcceptingQuestions: true, MaxOpenQuestions: 5, Generalist: true}); err != nil {
		t.Fatal(err)
	}
	skin := w.Ask(pat, "skin", "A rash that will not settle", "Red patches on both elbows for a month.")
	if assignee(w, skin.ID) != "dr_gen" {
		t.Errorf("a dermatology question went to %q, want the generalist", assignee(w, skin.ID))
	}
	if err := w.App.Questions.Decline(ctx, w.Actor(gen), skin.ID); err != nil {
		t.Fatal(err)
	}
	if a := assignee(w, skin.ID); a != "dr_x" {
		t.Errorf("after the generalist declined: %q, want anyone taking questions (dr_x)", a)
	}
	if err := w.App.Questions.Withdraw(ctx, w.Actor(pat), skin.ID); err != nil {
		t.Fatal(err)
	}

	// Declined everywhere: into the pool, seen by nobody cooling down.
	if err := w.App.Clinicians.SaveSettings(ctx, w.Actor(gen), clinicians.SettingsForm{AcceptingQuestions: false, MaxOpenQuestions: 5}); err != nil {
		t.Fatal(err)
	}
	q := w.Ask(pat, "heart", "Chest flutter when lying down", "It lasts a few seconds.")
	asked := w.Clock.Now()
	for i := 0; i < 2; i++ {
		d := w.User(assignee(w, q.ID))
		if err := w.App.Questions.Decline(ctx, w.Actor(d), q.ID); err != nil {
			t.Fatalf("%s declines: %v", d.Handle, err)
		}
	}
	if got := question(w, q.ID); got.Status != models.QuestionPool {
		t.Fatalf("declined everywhere: %+v", got)
	}
	for _, d := range []*models.User{x, y} {
		if pool, _ := w.App.Questions.Pool(ctx, w.Actor(d)); len(pool) != 0 {
			t.Errorf("%s sees the pool while cooling down", d.Handle)
		}
	}
	if !strings.Contains(askerStatus(w, pat, q.ID), "No clinician is taking questions in this area right now") {
		t.Error("the asker is not told that nobody can take it now")
	}
	// After the cooling period the earlier offerees see it again.
	w.Clock.Advance(2*time.Hour + time.Minute)
	for _, d := range []*models.User{x, y} {
		if pool, _ := w.App.Questions.Pool(ctx, w.Actor(d)); len(pool) != 1 {
			t.Errorf("%s does not see the pool after cooling down: %v", d.Handle, pool)
		}
	}
	if !strings.Contains(askerStatus(w, pat, q.ID), "Waiting for the first suitable clinician") {
		t.Error("the asker's status does not follow")
	}
	// Waiting too long: the admins hear once; the overview counts it
	// overdue, and holds no title to show.
	w.Clock.Advance(asked.Add(12*time.Hour - time.Minute).Sub(w.Clock.Now()))
	if res := sweep(w); res.Alerted != 0 {
		t.Fatal("alerted early")
	}
	w.Clock.Advance(2 * time.Minute)
	if res := sweep(w); res.Alerted != 1 {
		t.Fatalf("alerted %d", res.Alerted)
	}
	sweep(w)
	if n := w.Notifications(w.Admin(), models.NotifyQuestionWaiting); n != 1 {
		t.Errorf("%d admin alerts, want 1", n)
	}
	over, err := w.App.Questions.Oversight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(over)
	if over.Overdue != 1 || strings.Contains(string(raw), "Chest flutter") {
		t.Errorf("the overview does not count it overdue, or holds its title: %s", raw)
	}
	if err := w.App.Questions.Claim(ctx, w.Actor(x), q.ID); err != nil {
		t.Fatalf("an earlier offeree takes it after cooling down: %v", err)
	}
}

// TestExpiryByTheSweepEndsAccess: the credentials sweep expiring a
// verification moves the clinician's questions on in its transaction.
func TestExpiryByTheSweepEndsAccess(t *testing.T) {
	t.Parallel()
	w := world.New(t, nil)
	ctx := context.Background()
	w.Forum("heart", cardiology)
	// Their licence, and with it their verification, ends at midnight.
	first := w.ClinicianLicensedFor("dr_first", 0, "cardiology")
	pat := w.Member("pat_y")
	q := w.Ask(pat, "heart", "Palpitations after coffee", "Is one cup a day fine?")
	if err := w.App.Questions.Accept(ctx, w.Actor(first), q.ID); err != nil {
		t.Fatal(err)
	}
	w.Clinician("dr_next", "cardiology") // verified later: their licence runs longer
	w.Clock.Advance(24 * time.Hour)
	if _, err := w.App.Clinicians.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if assignee(w, q.ID) != "dr_next" {
		t.Fatalf("after expiry: %s (%s)", assignee(w, q.ID), timeline(w, q.ID))
	}
	if !strings.Contains(timeline(w, q.ID), "released") {
		t.Errorf("timeline %s", timeline(w, q.ID))
	}
}
