package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/images"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/app/notify"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/app/storage"
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

// A feature is built with everything it needs or not at all: a
// constructor without the safety checks (or another collaborator) refuses
// and names what is missing, so Kindred never starts saving posts
// unchecked; only the demo seeder may ask for unchecked texts.
func TestConstructorsRefuseMissingCollaborators(t *testing.T) {
	t.Parallel()
	db, now, md, log := &database.DB{}, time.Now, markdown.New(), testenv.Logger(t)
	inApp := notify.NewInApp(nil, now)
	if _, err := forums.New(db, now, md, inApp, log, forums.Checks{}); err == nil || !strings.Contains(err.Error(), "safety checks") {
		t.Errorf("forums without checks: %v", err)
	}
	safety, err := moderation.NewSafety(db, now, inApp, log, moderation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := forums.New(db, now, md, inApp, log, forums.Checks{Text: safety, Reporter: safety}); err == nil || !strings.Contains(err.Error(), "emergency guidance") {
		t.Errorf("forums without guidance: %v", err)
	}
	if _, err := forums.New(db, now, md, inApp, log, forums.Checks{Text: safety, Reporter: safety, Guidance: safety}); err == nil || !strings.Contains(err.Error(), "images") {
		t.Errorf("forums without images: %v", err)
	}
	store, err := storage.NewDisk(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := images.New(db, store, now, log, images.DefaultMaxBytes)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := forums.New(db, now, md, inApp, log, forums.Checks{Text: safety, Reporter: safety, Guidance: safety, Images: imgs})
	if err != nil {
		t.Fatalf("forums with everything: %v", err)
	}
	if _, err := questions.New(db, now, md, inApp, fs, clinicians.NewPauser(now), log, questions.Options{}, questions.Checks{}); err == nil || !strings.Contains(err.Error(), "safety checks") {
		t.Errorf("questions without checks: %v", err)
	}
	if _, err := questions.New(db, now, md, inApp, fs, nil, log, questions.Options{}, questions.Checks{Text: safety, Guidance: safety}); err == nil || !strings.Contains(err.Error(), "Pauser") {
		t.Errorf("questions without clinicians' settings: %v", err)
	}
	if _, err := moderation.New(safety, nil, nil, inApp); err == nil || !strings.Contains(err.Error(), "forum content, accounts") {
		t.Errorf("moderation without content and accounts: %v", err)
	}
	if _, err := moderation.NewSafety(db, now, nil, log, moderation.Options{}); err == nil {
		t.Error("moderation's safety checks without a notifier were built")
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
	_, err := h.app.Moderation.Report(ctx, h.actor(h.user("curious_cal")), moderation.ReportForm{Kind: models.TargetThread, ID: th.ID, Reason: models.ReasonOffTopic})
	if !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a member reported in a clinician-only forum: %v", err)
	}
	if _, err := h.app.Moderation.Report(ctx, h.actor(h.user("nurse_bo")), moderation.ReportForm{Kind: models.TargetThread, ID: th.ID, Reason: models.ReasonOffTopic}); err != nil {
		t.Errorf("a verified clinician could not report: %v", err)
	}
}
