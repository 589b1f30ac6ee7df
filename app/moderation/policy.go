package moderation

import "github.com/kindred-health/kindred/models"

// Who may do what in moderation, written once as pure functions over the
// actor, their scope and the target, and table-tested (policy_test.go).
// Scope is derived from the actor (ScopeOf); the service loads targets
// and runs these checks inside its transactions.

// allowedActions lists what fits the target.
func allowedActions(t *Target) map[string]bool {
	a := map[string]bool{ActDismiss: true}
	if t.Kind == models.TargetPost || t.Kind == models.TargetThread {
		a[ActHide] = t.Visibility == string(models.Visible)
		a[ActRestore] = t.Visibility == string(models.Hidden) || t.Visibility == string(models.Removed) || t.Visibility == string(models.Pending)
		a[ActRemove] = t.Visibility != string(models.Removed)
		a[ActLock] = t.ThreadState == string(models.ThreadOpen)
		a[ActUnlock] = t.ThreadState == string(models.ThreadLocked)
	}
	return a
}

// mayActOnMember says whether the actor may take action (note, warn,
// suspend, ban) on target: suspending and banning take a global
// moderator; nobody acts on their own account; staff accounts are for
// admins.
func mayActOnMember(actor models.Actor, sc Scope, action string, target *models.User) error {
	if (action == ActSuspend || action == ActBan) && !sc.Global {
		return models.ErrForbidden
	}
	if target.ID == actor.ID() || (target.Role.IsStaff() && !actor.IsAdmin()) {
		return &models.ConflictError{Message: "Staff accounts are handled by an admin, and nobody acts on their own account."}
	}
	return nil
}

// mayMoveTo says whether a moderator may move a thread into the forum
// toID: global moderators anywhere, forum moderators between their own
// forums. A move to a wider audience takes an admin as well (mayWiden).
func mayMoveTo(sc Scope, toID int64) bool { return sc.Global || sc.Forums[toID] }

// mayWiden: only an admin moves a thread to a forum more people can read.
func mayWiden(actor models.Actor) bool { return actor.IsAdmin() }

// mayDecideAppealOf says whether a moderator with scope sc may see and
// decide the appeal of an action: appeals of suspensions go to global
// moderators; appeals of a hidden or removed post or thread need its forum
// in scope (covers, which the caller loads only for those).
func mayDecideAppealOf(sc Scope, action string, covers func() bool) bool {
	switch action {
	case ActSuspend:
		return sc.Global
	case ActRemove, ActHide:
		return sc.Global || covers()
	}
	return true
}

// adminOnly guards the admins' settings: watched words, canned reasons,
// crisis resources, the emergency guidance, the audit log, revealing an
// anonymous author.
func adminOnly(actor models.Actor) error {
	if !actor.IsAdmin() {
		return models.ErrForbidden
	}
	return nil
}
