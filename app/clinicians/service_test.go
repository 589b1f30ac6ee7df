package clinicians_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/testenv/world"
	"github.com/kindred-health/kindred/models"
)

func day(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func isConflict(err error) bool {
	var ce *models.ConflictError
	return errors.As(err, &ce)
}

// auditCount counts audit events of an action about a credential.
func auditCount(w *world.World, action string, credID int64) int64 {
	w.T.Helper()
	return w.Count(`SELECT count(*) FROM audit_events WHERE action = ? AND target_kind = 'credential' AND target_id = ?`, action, credID)
}

func credential(w *world.World, id int64) models.Credential {
	w.T.Helper()
	var c models.Credential
	if err := w.App.DB.Gorm.First(&c, id).Error; err != nil {
		w.T.Fatal(err)
	}
	return c
}

// credentialIn gives owner a credential in status st, reached the way
// applicants and reviewers reach it. Verified, revoked and expired ones
// were verified for about 100 days or less; pending, rejected and
// withdrawn ones name a licence that runs two more years.
func credentialIn(w *world.World, owner *models.User, st models.CredentialStatus) int64 {
	w.T.Helper()
	ctx := context.Background()
	licence := "RN-" + strings.ReplaceAll(owner.Handle, "_", "-")
	apply := func(days int) *models.Credential { return w.Apply(owner, w.ApplicationForm(licence, days)) }
	var err error
	var c *models.Credential
	switch st {
	case models.CredentialPending:
		c = apply(730)
	case models.CredentialVerified:
		c = w.Approve(apply(100))
	case models.CredentialRejected:
		c, err = w.App.Clinicians.Reject(ctx, w.Actor(w.Admin()), apply(730).ID, "The register lists a different name")
	case models.CredentialWithdrawn:
		c, err = w.App.Clinicians.Withdraw(ctx, w.Actor(owner), apply(730).ID)
	case models.CredentialRevoked:
		c, err = w.App.Clinicians.Revoke(ctx, w.Actor(w.Admin()), w.Approve(apply(100)).ID, "The board suspended the licence")
	case models.CredentialExpired:
		// Verified for 20 more days, so already in the renewal window:
		// approving the renewal ends the old verification.
		c = w.Approve(apply(20))
		w.Approve(w.Apply(owner, w.ApplicationForm(licence+"-R", 730)))
	}
	if err != nil {
		w.T.Fatalf("a %s credential for %s: %v", st, owner.Handle, err)
	}
	if got := credential(w, c.ID); got.Status != st {
		w.T.Fatalf("a %s credential for %s is %s", st, owner.Handle, got.Status)
	}
	return c.ID
}

// TestCredentialStateMachine tries every action from every status: the
// allowed ones move the credential, audit (actor, from, to, reason) and
// notify; every other one is refused and changes nothing.
func TestCredentialStateMachine(t *testing.T) {
	t.Parallel()
	w := world.New(t, nil)
	ctx := context.Background()
	admin := w.Admin()
	statuses := []models.CredentialStatus{models.CredentialPending, models.CredentialVerified, models.CredentialRejected,
		models.CredentialWithdrawn, models.CredentialRevoked, models.CredentialExpired}
	type action struct {
		name string
		to   models.CredentialStatus
		do   func(owner *models.User, id int64) error
	}
	actions := []action{
		{"approve", models.CredentialVerified, func(_ *models.User, id int64) error {
			_, err := w.App.Clinicians.Approve(ctx, w.Actor(admin), id, "Checked on the register")
			return err
		}},
		{"reject", models.CredentialRejected, func(_ *models.User, id int64) error {
			_, err := w.App.Clinicians.Reject(ctx, w.Actor(admin), id, "The register shows a different name")
			return err
		}},
		{"withdraw", models.CredentialWithdrawn, func(owner *models.User, id int64) error {
			_, err := w.App.Clinicians.Withdraw(ctx, w.Actor(owner), id)
			return err
		}},
		{"revoke", models.CredentialRevoked, func(_ *models.User, id int64) error {
			_, err := w.App.Clinicians.Revoke(ctx, w.Actor(admin), id, "Licence suspended by the board")
			return err
		}},
	}
	allowed := map[[2]string]bool{
		{"pending", "approve"}: true, {"pending", "reject"}: true, {"pending", "withdraw"}: true, {"verified", "revoke"}: true,
	}
	notified := func(owner *models.User, id int64) int64 {
		return w.Count(`SELECT count(*) FROM notifications WHERE user_id = ? AND credential_id = ?`, owner.ID, id)
	}
	for i, st := range statuses {
		for j, a := range actions {
			owner := w.Member(fmt.Sprintf("sm_%d_%d", i, j))
			id := credentialIn(w, owner, st)
			// Getting there was audited and notified too: count what the
			// action adds.
			eventsBefore, notesBefore := auditCount(w, "credential."+a.name, id), notified(owner, id)
			err := a.do(owner, id)
			got := credential(w, id)
			events := auditCount(w, "credential."+a.name, id) - eventsBefore
			if allowed[[2]string{string(st), a.name}] {
				if err != nil || got.Status != a.to || events != 1 {
					t.Errorf("%s from %s: err %v, status %s, %d audit events", a.name, st, err, got.Status, events)
				}
				var e models.AuditEvent
				w.App.DB.Gorm.Where("target_kind = 'credential' AND target_id = ?", id).Order("id DESC").First(&e)
				if e.FromState != string(st) || e.ToState != string(a.to) || e.ActorID == nil || e.CreatedAt.IsZero() {
					t.Errorf("%s from %s: audit event %+v", a.name, st, e)
				}
				if a.name != "withdraw" && notified(owner, id)-notesBefore != 1 {
					t.Errorf("%s from %s: applicant not notified", a.name, st)
				}
				continue
			}
			var ce *models.ConflictError
			if !errors.As(err, &ce) || got.Status != st || events != 0 {
				t.Errorf("%s from %s should be refused: err %v, status %s, %d audit events", a.name, st, err, got.Status, events)
			}
		}
	}

	// Expiry is the sweep's: it moves verified credentials whose time is up
	// and leaves every other status alone, even with a past verified_until
	// (the revoked and expired ones were verified for 100 days at most).
	var before []models.Credential
	w.App.DB.Gorm.Find(&before)
	status := map[int64]models.CredentialStatus{}
	for _, c := range before {
		status[c.ID] = c.Status
		if c.Status == models.CredentialVerified && c.VerifiedUntil.After(w.Clock.Now().Add(day(101))) {
			status[c.ID] = "verified, not due"
		}
	}
	w.Clock.Advance(day(101))
	if _, err := w.App.Clinicians.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	var rows []models.Credential
	w.App.DB.Gorm.Order("id").Find(&rows)
	for _, c := range rows {
		was := status[c.ID]
		if was == models.CredentialVerified && c.Status != models.CredentialExpired {
			t.Errorf("credential %d: verified and due, but %s after the sweep", c.ID, c.Status)
		}
		if was == "verified, not due" && c.Status != models.CredentialVerified {
			t.Errorf("credential %d: expired before its time", c.ID)
		}
		if was != models.CredentialVerified && was != "verified, not due" && c.Status != was {
			t.Errorf("credential %d: %s changed to %s by the sweep", c.ID, was, c.Status)
		}
	}
	// The services never give a pending, rejected or withdrawn credential a
	// verified_until; a sweep that keyed on the date alone would still
	// "expire" one that had it (say, restored from an old backup). This is
	// the one fixture written in SQL, for that state only.
	if err := w.App.DB.Gorm.Exec(`UPDATE credentials SET verified_until = ? WHERE status IN ('pending', 'rejected', 'withdrawn')`,
		w.Clock.Now().Add(-day(1))).Error; err != nil {
		t.Fatal(err)
	}
	stale := w.Count(`SELECT count(*) FROM credentials WHERE status IN ('pending', 'rejected', 'withdrawn')`)
	if stale == 0 {
		t.Fatal("the state machine left no pending, rejected or withdrawn credential to check")
	}
	if _, err := w.App.Clinicians.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := w.Count(`SELECT count(*) FROM credentials WHERE status IN ('pending', 'rejected', 'withdrawn')`); n != stale {
		t.Errorf("the sweep changed %d pending, rejected or withdrawn credentials with a past verified_until", stale-n)
	}
}

// TestApprovalPeriod: verified_until is the earlier of the licence's end
// and one year, and an application whose licence lapsed is not approved.
// (TestApplicationFormNamesEveryField in app/server checks the form.)
func TestApprovalPeriod(t *testing.T) {
	t.Parallel()
	w := world.New(t, nil)
	ctx := context.Background()
	admin := w.Admin()
	now := w.Clock.Now()
	for _, tc := range []struct {
		days int
		want time.Time
	}{
		{60, clinicians.LicenceEnds(now.AddDate(0, 0, 60))},
		{800, now.Add(clinicians.VerifiedFor)},
	} {
		u := w.Member(fmt.Sprintf("period_%d", tc.days))
		c := w.Apply(u, w.ApplicationForm(fmt.Sprintf("RN-%d", tc.days), tc.days))
		c, err := w.App.Clinicians.Approve(ctx, w.Actor(admin), c.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if !c.VerifiedUntil.Equal(tc.want) {
			t.Errorf("licence for %d days: verified until %s, want %s", tc.days, c.VerifiedUntil, tc.want)
		}
	}
	c := w.Apply(w.Member("lapsed"), w.ApplicationForm("RN-LAPSED", 3))
	w.Clock.Advance(day(5))
	if _, err := w.App.Clinicians.Approve(ctx, w.Actor(admin), c.ID, ""); !isConflict(err) {
		t.Errorf("approving a lapsed licence: %v", err)
	}
}

// TestCredentialExpiry runs the lifecycle on a fake clock: the reminder
// 30 days before verified_until (once), no longer verified at
// verified_until, the expiry job's transition, and a new application
// afterwards. (TestCredentialExpiryOnThePages in app/server checks the
// badge and the pages.)
func TestCredentialExpiry(t *testing.T) {
	t.Parallel()
	w := world.New(t, nil)
	ctx := context.Background()
	kim := w.Member("dr_kim")
	cred := w.Verify(kim, 90) // licence ends first: verified until the end of day 90
	until := *cred.VerifiedUntil
	verified := func() bool {
		t.Helper()
		ok, err := w.App.Clinicians.IsVerified(ctx, kim.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	sweep := func() clinicians.SweepResult {
		t.Helper()
		res, err := w.App.Clinicians.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	w.Clock.Advance(until.Sub(w.Clock.Now()) - clinicians.ReminderBefore - time.Hour)
	if res := sweep(); res.Reminded != 0 || w.Notifications(kim, models.NotifyCredentialExpiring) != 0 {
		t.Fatalf("reminder too early: %+v", res)
	}
	w.Clock.Advance(2 * time.Hour)
	sweep()
	sweep()
	if n := w.Notifications(kim, models.NotifyCredentialExpiring); n != 1 {
		t.Fatalf("%d reminders 30 days before", n)
	}

	w.Clock.Advance(until.Sub(w.Clock.Now()) - time.Second)
	if !verified() {
		t.Fatal("verification gone a second early")
	}
	w.Clock.Advance(time.Second)
	if verified() {
		t.Fatal("still verified at verified_until (before the job ran)")
	}
	if res := sweep(); res.Expired != 1 {
		t.Fatalf("sweep: %+v", res)
	}
	var e models.AuditEvent
	w.App.DB.Gorm.Where("action = 'credential.expire' AND target_id = ?", cred.ID).First(&e)
	if e.ActorID != nil || e.FromState != "verified" || e.ToState != "expired" || e.Reason == "" {
		t.Errorf("expiry audit event %+v", e)
	}
	if credential(w, cred.ID).Status != models.CredentialExpired || w.Notifications(kim, models.NotifyCredentialExpired) != 1 {
		t.Error("not expired or not notified")
	}
	if res := sweep(); res.Expired != 0 {
		t.Error("expired twice")
	}
	if _, err := w.App.Clinicians.Apply(ctx, w.Actor(kim), w.ApplicationForm("RN-KIM-2", 300), nil); err != nil {
		t.Errorf("an expired clinician applies again: %v", err)
	}
}

// TestCredentialRenewal: a clinician renews in the last 30 days without
// losing their verification; the approval ends the old one.
// (TestRenewalOnThePages in app/server checks the badge and the pages.)
func TestCredentialRenewal(t *testing.T) {
	t.Parallel()
	w := world.New(t, nil)
	ctx := context.Background()
	ren := w.Member("dr_ren")
	old := w.Verify(ren, 800) // a year's verification
	verified := func() bool {
		t.Helper()
		ok, err := w.App.Clinicians.IsVerified(ctx, ren.ID)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	if _, err := w.App.Clinicians.Apply(ctx, w.Actor(ren), w.ApplicationForm("RN-REN-2", 800), nil); !isConflict(err) {
		t.Fatalf("renewal a year early: %v", err)
	}
	w.Clock.Advance(old.VerifiedUntil.Sub(w.Clock.Now()) - clinicians.ReminderBefore + time.Hour)
	renewal := w.Apply(ren, w.ApplicationForm("RN-REN-2", 800))
	if !verified() {
		t.Fatal("verification gone while the renewal waits")
	}
	latest, current, err := w.App.Clinicians.Standing(ctx, ren.ID)
	if err != nil {
		t.Fatal(err)
	}
	if latest == nil || latest.ID != renewal.ID || current == nil || current.ID != old.ID {
		t.Errorf("standing while the renewal waits: latest %+v, verified %+v", latest, current)
	}
	renewed, err := w.App.Clinicians.Approve(ctx, w.Actor(w.Admin()), renewal.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := credential(w, old.ID); got.Status != models.CredentialExpired || !strings.Contains(got.Reason, "Renewed by application") {
		t.Errorf("old verification after renewal: %s %q", got.Status, got.Reason)
	}
	if n := w.Count(`SELECT count(*) FROM credentials WHERE status = 'verified'`); n != 1 || !renewed.VerifiedUntil.After(*old.VerifiedUntil) {
		t.Errorf("%d verifications, renewed until %s", n, renewed.VerifiedUntil)
	}
	if !verified() || auditCount(w, "credential.expire", old.ID) != 1 {
		t.Error("verification lost or supersession not audited")
	}
}

// A licence is valid through the day it expires: one that expires today
// can be applied with (and approved) today; yesterday's cannot.
func TestLicenceExpiringTodayIsValidToday(t *testing.T) {
	t.Parallel()
	w := world.New(t, nil)
	ctx := context.Background()
	cred := w.Apply(w.Member("today_nurse"), w.ApplicationForm("RN-2026-0001", 0))
	if _, err := w.App.Clinicians.Approve(ctx, w.Actor(w.Admin()), cred.ID, ""); err != nil {
		t.Fatalf("approve a licence that expires today: %v", err)
	}
	_, err := w.App.Clinicians.Apply(ctx, w.Actor(w.Member("late_nurse")), w.ApplicationForm("RN-2026-0002", -1), nil)
	var ve *models.ValidationError
	if !errors.As(err, &ve) || ve.Fields["licence_expires"] == "" {
		t.Fatalf("a licence that expired yesterday: %v, want a field error", err)
	}
}
