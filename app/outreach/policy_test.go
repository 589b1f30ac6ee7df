package outreach

import (
	"testing"
	"time"

	"github.com/kindred-health/kindred/models"
)

func TestAudienceRule(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	member := models.Actor{User: &models.User{ID: 1, Role: models.RoleMember, Status: models.StatusActive}, Now: now}
	clinician := member
	clinician.Clinician = true
	admin := models.Actor{User: &models.User{ID: 2, Role: models.RoleAdmin, Status: models.StatusActive}, Now: now}
	visitor := models.Actor{Now: now}
	public := &models.Forum{ID: 7}
	sensitive := &models.Forum{ID: 8, Sensitive: true}
	clinOnly := &models.Forum{ID: 9, ClinicianOnly: true}
	cases := []struct {
		name     string
		a        models.Actor
		audience string
		forum    *models.Forum
		member   bool
		want     bool
	}{
		{"visitor, everyone", visitor, AudienceEveryone, nil, false, true},
		{"visitor, members", visitor, AudienceMembers, nil, false, false},
		{"visitor, clinicians", visitor, AudienceClinicians, nil, false, false},
		{"visitor, forum members", visitor, AudienceForumMembers, public, false, false},
		{"visitor, everyone in a sensitive forum", visitor, AudienceEveryone, sensitive, false, false},
		{"member, members", member, AudienceMembers, nil, false, true},
		{"member, clinicians", member, AudienceClinicians, nil, false, false},
		{"member, forum members, not joined", member, AudienceForumMembers, public, false, false},
		{"member, forum members, joined", member, AudienceForumMembers, public, true, true},
		{"member, joined a clinicians' forum", member, AudienceForumMembers, clinOnly, true, false},
		{"clinician, clinicians", clinician, AudienceClinicians, nil, false, true},
		{"clinician, clinicians' forum", clinician, AudienceEveryone, clinOnly, false, true},
		{"admin, clinicians (not verified)", admin, AudienceClinicians, nil, false, false},
		{"unknown audience", admin, "robots", nil, false, false},
	}
	for _, c := range cases {
		if got := InAudience(c.a, c.audience, c.forum, c.member); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestWhoManagesAnnouncements(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	admin := models.Actor{User: &models.User{ID: 1, Role: models.RoleAdmin, Status: models.StatusActive}, Now: now}
	global := models.Actor{User: &models.User{ID: 2, Role: models.RoleModerator, Status: models.StatusActive}, Now: now}
	forumMod := models.Actor{User: &models.User{ID: 3, Role: models.RoleMember, Status: models.StatusActive}, ModeratedForums: map[int64]bool{7: true}, Now: now}
	member := models.Actor{User: &models.User{ID: 4, Role: models.RoleMember, Status: models.StatusActive}, Now: now}
	cases := []struct {
		name  string
		a     models.Actor
		scope string
		forum int64
		want  bool
	}{
		{"admin, site", admin, ScopeSite, 0, true},
		{"admin, a forum", admin, ScopeForum, 9, true},
		{"global moderator, site", global, ScopeSite, 0, false},
		{"global moderator, any forum", global, ScopeForum, 9, true},
		{"forum moderator, their forum", forumMod, ScopeForum, 7, true},
		{"forum moderator, another forum", forumMod, ScopeForum, 9, false},
		{"forum moderator, site", forumMod, ScopeSite, 0, false},
		{"member", member, ScopeForum, 7, false},
	}
	for _, c := range cases {
		if got := MayManage(c.a, c.scope, c.forum); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if MayUseBanner(forumMod) || MayUseBanner(global) || !MayUseBanner(admin) {
		t.Errorf("banners: admins only")
	}
	if MayFlagHealthAlert(global) || !MayFlagHealthAlert(admin) {
		t.Errorf("health alerts: admins only")
	}
}

func TestCheckURLAndThreadRef(t *testing.T) {
	for in, ok := range map[string]bool{
		"https://example.org/a?b=c": true, "http://example.org": true, "javascript:alert(1)": false, "data:text/html,x": false,
		"//evil.example": false, "/t/3": false, "https://user:pw@example.org": false, "https://exa mple.org": false, "ftp://example.org": false,
		"https:example.org": false, "": false,
	} {
		if _, msg := CheckURL(in); (msg == "") != ok {
			t.Errorf("CheckURL(%q): %q", in, msg)
		}
	}
	for in, want := range map[string]int64{"12": 12, "https://kindred.example/t/34": 34, "https://KINDRED.example:443/t/35?x": 35, "/t/56#p9": 56,
		"abc": 0, "-3": 0, "/f/t/3": 0} {
		if got, foreign := ThreadRef(in, "https://kindred.example"); got != want || foreign {
			t.Errorf("ThreadRef(%q) = %d, %v, want %d", in, got, foreign, want)
		}
	}
	for _, in := range []string{"https://x/t/7/new", "https://evil.example/t/19", "//evil.example/t/19", "https://kindred.example:8443/t/19",
		"http://kindred.example/t/19", "https://user@kindred.example/t/19", "https://kindred.example.evil.example/t/19", "ftp://kindred.example/t/19"} {
		if got, foreign := ThreadRef(in, "https://kindred.example"); got != 0 || !foreign {
			t.Errorf("ThreadRef(%q) = %d, %v, want refused as another site's", in, got, foreign)
		}
	}
	if _, foreign := ThreadRef("https://kindred.example/t/34", ""); !foreign {
		t.Errorf("a full address is accepted with no site known")
	}
}
