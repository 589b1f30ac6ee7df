package forums

import (
	"testing"
	"time"

	"github.com/kindred-health/kindred/models"
)

// TestPolicyTable walks the forum rules (policy.go) for every kind of
// person against open, archived and clinician-only forums, and open,
// locked, pending and hidden threads. The HTTP matrix in app/server checks
// that the routes ask these rules.
func TestPolicyTable(t *testing.T) {
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	until := now.Add(time.Hour)
	user := func(id int64, role models.Role) *models.User {
		return &models.User{ID: id, Role: role, Status: models.StatusActive}
	}
	people := map[string]Viewer{
		"visitor":    {Now: now},
		"author":     {User: user(1, models.RoleMember), Now: now},
		"member":     {User: user(2, models.RoleMember), Now: now},
		"suspended":  {User: &models.User{ID: 3, Role: models.RoleMember, Status: models.StatusSuspended, SuspendedUntil: &until}, Now: now},
		"clinician":  {User: user(4, models.RoleMember), Clinician: true, Now: now},
		"forum mod":  {User: user(5, models.RoleMember), ModeratedForums: map[int64]bool{1: true, 3: true}, Now: now},
		"global mod": {User: user(6, models.RoleModerator), Now: now},
	}
	archivedAt := now.Add(-time.Hour)
	open := &models.Forum{ID: 1, Sensitive: true}
	archived := &models.Forum{ID: 2, Sensitive: true, ArchivedAt: &archivedAt}
	clinicianOnly := &models.Forum{ID: 3, ClinicianOnly: true}
	thread := func(vis models.Visibility, st models.ThreadState) *models.Thread {
		return &models.Thread{AuthorID: 1, Visibility: vis, State: st}
	}
	openThread := thread(models.Visible, models.ThreadOpen)
	locked := thread(models.Visible, models.ThreadLocked)
	pending := thread(models.Pending, models.ThreadOpen)
	hidden := thread(models.Hidden, models.ThreadOpen)
	post := &models.Post{}

	type row struct {
		name string
		rule func(Viewer) bool
		// who may, among: visitor, author, member, suspended, clinician,
		// forum mod, global mod
		may []string
	}
	rows := []row{
		{"post in a members' forum", func(v Viewer) bool { return CanPostIn(v, open) },
			[]string{"author", "member", "clinician", "forum mod", "global mod"}},
		{"post in an archived forum", func(v Viewer) bool { return CanPostIn(v, archived) }, nil},
		{"post in a clinicians' forum", func(v Viewer) bool { return CanPostIn(v, clinicianOnly) },
			[]string{"clinician", "forum mod", "global mod"}},
		{"reply to an open thread", func(v Viewer) bool { return CanReply(v, open, openThread) },
			[]string{"author", "member", "clinician", "forum mod", "global mod"}},
		{"reply to a locked thread", func(v Viewer) bool { return CanReply(v, open, locked) }, nil},
		{"see a pending thread", func(v Viewer) bool { return CanSeeThread(v, open, pending) },
			[]string{"author", "forum mod", "global mod"}},
		{"see a hidden thread", func(v Viewer) bool { return CanSeeThread(v, open, hidden) },
			[]string{"forum mod", "global mod"}},
		{"see a visible thread in a members' forum", func(v Viewer) bool { return CanSeeThread(v, open, openThread) },
			[]string{"author", "member", "suspended", "clinician", "forum mod", "global mod"}},
		{"edit the author's post", func(v Viewer) bool { return CanEditPost(v, open, 1, post) },
			[]string{"author", "forum mod", "global mod"}},
		{"edit in an archived forum", func(v Viewer) bool { return CanEditPost(v, archived, 1, post) }, nil},
		{"delete the author's post", func(v Viewer) bool { return CanDeletePost(v, open, 1, post) },
			[]string{"author"}},
		{"edit the thread's tags", func(v Viewer) bool { return CanEditTags(v, open, openThread) },
			[]string{"author", "forum mod", "global mod"}},
		{"see revisions", func(v Viewer) bool { return CanSeeRevisions(v, open) },
			[]string{"forum mod", "global mod"}},
		{"open a members-only profile", func(v Viewer) bool {
			return CanSeeProfile(v, &models.User{ID: 1, ProfileVisibility: models.ProfileMembers})
		}, []string{"author", "member", "suspended", "clinician", "forum mod", "global mod"}},
		{"open a staff-only profile", func(v Viewer) bool {
			return CanSeeProfile(v, &models.User{ID: 1, ProfileVisibility: models.ProfileStaff})
		}, []string{"author", "global mod"}},
	}
	for _, r := range rows {
		allowed := map[string]bool{}
		for _, name := range r.may {
			allowed[name] = true
		}
		for name, v := range people {
			if got := r.rule(v); got != allowed[name] {
				t.Errorf("%s, %s: %v, want %v", r.name, name, got, allowed[name])
			}
		}
	}
	if CanPostAnonymously(clinicianOnly) || !CanPostAnonymously(open) {
		t.Error("anonymous posts are for sensitive forums only")
	}
}
