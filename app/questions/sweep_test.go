package questions_test

import (
	"context"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/testenv/world"
	"github.com/kindred-health/kindred/models"
)

// TestTimedOutEverywhere: offers whose deadline job never ran time out in
// the sweep; a clinician whose offers keep timing out is paused and told;
// saving their settings ends the pause. (TestPausedOffersOnTheClinicianPages
// in app/server checks what the clinician reads.)
func TestTimedOutEverywhere(t *testing.T) {
	t.Parallel()
	w := world.New(t, world.Settings{"KINDRED_QUESTION_MAX_OFFERS": "2", "KINDRED_QUESTION_PAUSE_AFTER_TIMEOUTS": "2"})
	ctx := context.Background()
	w.Forum("heart", cardiology)
	x := w.Clinician("dr_x", "cardiology")
	y := w.Clinician("dr_y", "cardiology")
	q1 := w.Ask(w.Member("pat"), "heart", "Blood pressure at night", "Readings are higher after dinner.")
	q2 := w.Ask(w.Member("sam"), "heart", "Statin and grapefruit", "Is a glass of juice a problem?")
	if assignee(w, q1.ID) != "dr_x" || assignee(w, q2.ID) != "dr_y" {
		t.Fatalf("offers: %s %s", assignee(w, q1.ID), assignee(w, q2.ID))
	}
	w.Clock.Advance(24*time.Hour + time.Minute)
	if res := sweep(w); res.OffersTimedOut != 2 {
		t.Fatalf("timed out %d", res.OffersTimedOut)
	}
	if assignee(w, q1.ID) != "dr_y" || assignee(w, q2.ID) != "dr_x" {
		t.Fatalf("second offers: %s %s", assignee(w, q1.ID), assignee(w, q2.ID))
	}
	w.Clock.Advance(24*time.Hour + time.Minute)
	sweep(w)
	for _, q := range []*models.Question{q1, q2} {
		if got := question(w, q.ID); got.Status != models.QuestionPool {
			t.Errorf("question %d after timing out everywhere: %s", q.ID, got.Status)
		}
	}
	// Nobody took them for more than 12 hours: the admins heard, once each.
	if n := w.Notifications(w.Admin(), models.NotifyQuestionWaiting); n != 2 {
		t.Errorf("%d admin alerts, want one per question", n)
	}
	// Both clinicians timed out twice in a row: paused and told.
	for _, d := range []*models.User{x, y} {
		var st models.ClinicianSettings
		w.App.DB.Gorm.Where("user_id = ?", d.ID).First(&st)
		if st.AcceptingQuestions || st.PausedAt == nil {
			t.Errorf("%s not paused: %+v", d.Handle, st)
		}
		if w.Notifications(d, models.NotifyQuestionsPaused) != 1 {
			t.Errorf("%s not told of the pause", d.Handle)
		}
	}
	paused := func() bool {
		t.Helper()
		d, err := w.App.Questions.ClinicianDashboard(ctx, w.Actor(x))
		if err != nil {
			t.Fatal(err)
		}
		return d.Paused
	}
	if !paused() {
		t.Error("the dashboard does not say the offers are paused")
	}
	if err := w.App.Clinicians.SaveSettings(ctx, w.Actor(x), clinicians.SettingsForm{AcceptingQuestions: true, MaxOpenQuestions: 5}); err != nil {
		t.Fatalf("save settings: %v", err)
	}
	if paused() {
		t.Error("still paused after turning questions back on")
	}
	// The question whose offer to them just timed out cools down first.
	if pool, _ := w.App.Questions.Pool(ctx, w.Actor(x)); len(pool) != 1 {
		t.Errorf("the unpaused clinician sees %d pooled questions, want 1", len(pool))
	}
	w.Clock.Advance(2*time.Hour + time.Minute)
	if pool, _ := w.App.Questions.Pool(ctx, w.Actor(x)); len(pool) != 2 {
		t.Errorf("after cooling down the clinician sees %d pooled questions, want 2", len(pool))
	}
}
