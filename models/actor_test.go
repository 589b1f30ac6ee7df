package models

import (
	"slices"
	"testing"
	"time"
)

// TestWhoMayReadAForum is the one rule for reading a forum, as a table:
// every kind of person against every kind of forum.
func TestWhoMayReadAForum(t *testing.T) {
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	public := &Forum{ID: 1}
	sensitive := &Forum{ID: 2, Sensitive: true}
	clinicians := &Forum{ID: 3, ClinicianOnly: true}
	otherClinicians := &Forum{ID: 4, ClinicianOnly: true}
	member := &User{ID: 10, Role: RoleMember, Status: StatusActive}
	suspended := &User{ID: 11, Role: RoleMember, Status: StatusSuspended, SuspendedUntil: ptr(now.Add(time.Hour))}
	people := map[string]Actor{
		"visitor":              {Now: now},
		"member":               {User: member, Now: now},
		"suspended member":     {User: suspended, Now: now},
		"verified clinician":   {User: &User{ID: 12, Role: RoleMember}, Clinician: true, Professions: []string{"nurse"}, Now: now},
		"moderator of forum 3": {User: &User{ID: 13, Role: RoleMember}, ModeratedForums: map[int64]bool{3: true}, Now: now},
		"global moderator":     {User: &User{ID: 14, Role: RoleModerator}, Now: now},
		"admin":                {User: &User{ID: 15, Role: RoleAdmin}, Now: now},
	}
	want := map[string][4]bool{ // public, sensitive, clinicians, other clinicians
		"visitor":              {true, false, false, false},
		"member":               {true, true, false, false},
		"suspended member":     {true, true, false, false},
		"verified clinician":   {true, true, true, true},
		"moderator of forum 3": {true, true, true, false},
		"global moderator":     {true, true, true, true},
		"admin":                {true, true, true, true},
	}
	for name, a := range people {
		for i, f := range []*Forum{public, sensitive, clinicians, otherClinicians} {
			if got := a.MayReadForum(f); got != want[name][i] {
				t.Errorf("%s reading forum %d (%s): %v, want %v", name, f.ID, f.Audience(), got, want[name][i])
			}
		}
	}
	// Search audiences agree with the rule for every forum the person does
	// not moderate: a search never shows what a page would refuse.
	for name, a := range people {
		for _, f := range []*Forum{public, sensitive, otherClinicians} {
			if a.Moderates(f.ID) {
				continue
			}
			if got := slices.Contains(a.Audiences(), f.Audience()); got != a.MayReadForum(f) {
				t.Errorf("%s: search audience for %s is %v, pages say %v", name, f.Audience(), got, a.MayReadForum(f))
			}
		}
	}
}

func TestAudienceOrder(t *testing.T) {
	if !AudienceWider(AudiencePublic, AudienceMembers) || !AudienceWider(AudienceMembers, AudienceClinicians) {
		t.Error("public reaches more than members, members more than clinicians")
	}
	if AudienceWider(AudienceClinicians, AudiencePublic) || AudienceWider(AudienceMembers, AudienceMembers) {
		t.Error("a narrower or equal audience is not wider")
	}
	for _, c := range []struct {
		sensitive, clinicianOnly bool
		want                     string
	}{{false, false, AudiencePublic}, {true, false, AudienceMembers}, {false, true, AudienceClinicians}} {
		if got := ForumAudience(c.sensitive, c.clinicianOnly); got != c.want {
			t.Errorf("ForumAudience(%v, %v) = %s, want %s", c.sensitive, c.clinicianOnly, got, c.want)
		}
	}
}

func TestActorStanding(t *testing.T) {
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	var visitor Actor
	if visitor.SignedIn() || visitor.Active() || visitor.IsModerator() || visitor.ID() != 0 {
		t.Error("a visitor is nobody")
	}
	banned := Actor{User: &User{ID: 3, Role: RoleMember, Status: StatusBanned}, Now: now}
	if banned.Active() {
		t.Error("a banned member may not act")
	}
	suspended := Actor{User: &User{ID: 5, Role: RoleMember, Status: StatusSuspended, SuspendedUntil: ptr(now.Add(time.Hour))}, Now: now}
	if suspended.Active() {
		t.Error("a suspended member may not act until the suspension ends")
	}
	suspended.Now = now.Add(2 * time.Hour)
	if !suspended.Active() {
		t.Error("a suspension that ended no longer stops the member")
	}
	mod := Actor{User: &User{ID: 4, Role: RoleMember}, ModeratedForums: map[int64]bool{9: true}, Now: now}
	if !mod.IsModerator() || !mod.Moderates(9) || mod.Moderates(8) || mod.IsStaff() {
		t.Error("a forum moderator moderates their forum only")
	}
}

func ptr[T any](v T) *T { return &v }
