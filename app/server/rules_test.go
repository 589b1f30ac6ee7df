package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/app/notify"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// "A verified clinician now" is one rule with two spellings, SQL's
// clinician_verified and Go's models.VerifiedAt: they agree on every case.
func TestClinicianVerifiedRuleAgreesInSQLAndGo(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	later, earlier := at.Add(time.Second), at.Add(-time.Second)
	cases := []struct {
		status string
		until  *time.Time
		want   bool
	}{
		{"verified", &later, true},
		{"verified", &at, false}, // runs out at that very instant
		{"verified", &earlier, false},
		{"verified", nil, false},
		{"pending", &later, false},
		{"revoked", &later, false},
		{"expired", &later, false},
	}
	for _, c := range cases {
		var inSQL *bool
		if err := h.app.DB.Gorm.Raw(`SELECT clinician_verified(?, ?, ?)`, c.status, c.until, at).Scan(&inSQL).Error; err != nil {
			t.Fatal(err)
		}
		sqlSays := inSQL != nil && *inSQL // NULL (no date) is not verified
		if goSays := models.VerifiedAt(c.status, c.until, at); goSays != c.want || sqlSays != c.want {
			t.Errorf("%s until %v: Go %v, SQL %v, want %v", c.status, c.until, goSays, sqlSays, c.want)
		}
	}
}

// A feature whose safety checks were never wired refuses to save rather
// than saving unchecked, and start-up names what is missing.
func TestHalfWiredFeaturesRefuseToSave(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("heart", nil)
	h.account("writer", models.RoleMember)
	bare := forums.New(h.app.DB, h.clock.Now, markdown.New(), notify.NewInApp(h.app.DB.Gorm, h.clock.Now), testenv.Logger(t))
	if err := bare.Wired(); err == nil || !strings.Contains(err.Error(), "safety checks") {
		t.Errorf("Wired: %v", err)
	}
	_, err := bare.CreateThread(context.Background(), h.viewer("writer"), f, forums.ThreadForm{Title: "Saved without checks?", Body: "This must not be saved."}, "")
	if err == nil {
		t.Fatal("a thread was saved without safety checks")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM threads WHERE title = 'Saved without checks?'`); n != 0 {
		t.Fatalf("%d threads saved", n)
	}
	if err := h.app.Forums.Wired(); err != nil {
		t.Errorf("the app's forums: %v", err)
	}
}

// Reporting uses forums' one rule for who may read a forum: content in a
// clinician-only forum cannot be reported (or even found) by a member
// who cannot read it, and can be by a verified clinician.
func TestReportingFollowsTheForumReadRule(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	f := h.forum("clinicians-lounge", func(ff *forums.ForumForm) { ff.ClinicianOnly = true })
	h.clinician("nurse_ana", "cardiology")
	th := h.thread("nurse_ana", f, "Handover notes for the night team", "Beds 3 and 4 need checks at midnight.", false)
	h.account("curious_cal", models.RoleMember)
	h.clinician("nurse_bo", "cardiology")
	ctx := context.Background()
	_, err := h.app.Moderation.Report(ctx, h.user("curious_cal"), moderation.ReportForm{Kind: models.TargetThread, ID: th.ID, Reason: models.ReasonOffTopic})
	if !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a member reported in a clinician-only forum: %v", err)
	}
	if _, err := h.app.Moderation.Report(ctx, h.user("nurse_bo"), moderation.ReportForm{Kind: models.TargetThread, ID: th.ID, Reason: models.ReasonOffTopic}); err != nil {
		t.Errorf("a verified clinician could not report: %v", err)
	}
}
