package moderation

import (
	"errors"
	"testing"

	"github.com/kindred-health/kindred/models"
)

func TestPolicyMemberActions(t *testing.T) {
	admin := models.Actor{User: &models.User{ID: 1, Role: models.RoleAdmin}}
	global := models.Actor{User: &models.User{ID: 2, Role: models.RoleModerator}}
	forumMod := models.Actor{User: &models.User{ID: 3, Role: models.RoleMember}, ModeratedForums: map[int64]bool{7: true}}
	scope := func(a models.Actor) Scope {
		sc := Scope{Global: a.IsStaff(), Forums: map[int64]bool{}}
		for id := range a.ModeratedForums {
			sc.Forums[id] = true
		}
		return sc
	}
	member := &models.User{ID: 10, Role: models.RoleMember}
	staff := &models.User{ID: 11, Role: models.RoleModerator}
	const (
		ok = iota
		forbidden
		conflict
	)
	for _, c := range []struct {
		name   string
		actor  models.Actor
		action string
		target *models.User
		want   int
	}{
		{"forum moderator notes a member", forumMod, ActNote, member, ok},
		{"forum moderator warns a member", forumMod, ActWarn, member, ok},
		{"forum moderator suspends", forumMod, ActSuspend, member, forbidden},
		{"forum moderator bans", forumMod, ActBan, member, forbidden},
		{"global moderator suspends a member", global, ActSuspend, member, ok},
		{"global moderator bans a member", global, ActBan, member, ok},
		{"global moderator warns another moderator", global, ActWarn, staff, conflict},
		{"admin suspends a moderator", admin, ActSuspend, staff, ok},
		{"admin warns themselves", admin, ActWarn, admin.User, conflict},
		{"moderator notes themselves", global, ActNote, global.User, conflict},
	} {
		err := mayActOnMember(c.actor, scope(c.actor), c.action, c.target)
		var ce *models.ConflictError
		got := ok
		switch {
		case errors.Is(err, models.ErrForbidden):
			got = forbidden
		case errors.As(err, &ce):
			got = conflict
		case err != nil:
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: got %d, want %d (%v)", c.name, got, c.want, err)
		}
	}
}

func TestPolicyMovesAppealsAndAdminPages(t *testing.T) {
	global := Scope{Global: true, Forums: map[int64]bool{}}
	forum7 := Scope{Forums: map[int64]bool{7: true}}
	if !mayMoveTo(global, 9) || !mayMoveTo(forum7, 7) || mayMoveTo(forum7, 9) {
		t.Error("global moderators move anywhere, forum moderators only into their forums")
	}
	admin := models.Actor{User: &models.User{ID: 1, Role: models.RoleAdmin}}
	moderator := models.Actor{User: &models.User{ID: 2, Role: models.RoleModerator}}
	if !mayWiden(admin) || mayWiden(moderator) {
		t.Error("only an admin moves a thread to a wider audience")
	}
	in, out := func() bool { return true }, func() bool { return false }
	for _, c := range []struct {
		name   string
		sc     Scope
		action string
		covers func() bool
		want   bool
	}{
		{"global, suspension", global, ActSuspend, out, true},
		{"forum moderator, suspension", forum7, ActSuspend, in, false},
		{"forum moderator, removal in their forum", forum7, ActRemove, in, true},
		{"forum moderator, removal elsewhere", forum7, ActRemove, out, false},
		{"forum moderator, hidden post elsewhere", forum7, ActHide, out, false},
		{"forum moderator, hidden post in their forum", forum7, ActHide, in, true},
		{"forum moderator, a warning", forum7, ActWarn, out, true},
		{"global, removal anywhere", global, ActRemove, out, true},
	} {
		if got := mayDecideAppealOf(c.sc, c.action, c.covers); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if adminOnly(admin) != nil || !errors.Is(adminOnly(moderator), models.ErrForbidden) || !errors.Is(adminOnly(models.Actor{}), models.ErrForbidden) {
		t.Error("the admins' settings are for admins only")
	}
}

func TestPolicyAllowedActions(t *testing.T) {
	for _, c := range []struct {
		vis, state string
		want       []string
	}{
		{"visible", "open", []string{ActDismiss, ActHide, ActRemove, ActLock}},
		{"hidden", "open", []string{ActDismiss, ActRestore, ActRemove, ActLock}},
		{"removed", "locked", []string{ActDismiss, ActRestore, ActUnlock}},
		{"pending", "open", []string{ActDismiss, ActRestore, ActRemove, ActLock}},
	} {
		got := allowedActions(&Target{Kind: models.TargetThread, Visibility: c.vis, ThreadState: c.state})
		n := 0
		for _, on := range got {
			if on {
				n++
			}
		}
		for _, a := range c.want {
			if !got[a] {
				t.Errorf("%s %s thread: %s not allowed", c.vis, c.state, a)
			}
		}
		if n != len(c.want) {
			t.Errorf("%s %s thread: %v, want exactly %v", c.vis, c.state, got, c.want)
		}
	}
	if got := allowedActions(&Target{Kind: models.TargetUser}); len(got) != 1 || !got[ActDismiss] {
		t.Errorf("a reported member: %v, want dismiss only (member actions are separate)", got)
	}
}
