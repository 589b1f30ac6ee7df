package outreach

import (
	"slices"

	"github.com/kindred-health/kindred/models"
)

// The rules of who writes and who sees announcements, pure and
// table-tested (policy_test.go).

// MayManage reports whether the actor may write, change or end an
// announcement of this scope and forum: admins any; staff moderators and
// a forum's own moderators only announcements scoped to a forum they
// moderate.
func MayManage(a models.Actor, scope string, forumID int64) bool {
	if !a.Active() {
		return false
	}
	if a.IsAdmin() {
		return true
	}
	return scope == ScopeForum && forumID != 0 && a.Moderates(forumID)
}

// MayAnnounce reports whether the actor writes announcements at all.
func MayAnnounce(a models.Actor) bool { return a.Active() && (a.IsAdmin() || a.IsModerator()) }

// MayUseBanner: banners cannot be dismissed and sit on every page of
// their context, so only admins place them. Forum moderators write cards.
func MayUseBanner(a models.Actor) bool { return a.IsAdmin() }

// MayFlagHealthAlert: an urgent health alert overrides members' summary
// setting for e-mail; admins only.
func MayFlagHealthAlert(a models.Actor) bool { return a.IsAdmin() }

// InAudience is the one rule for who an announcement is for, given
// whether the actor joined its forum (forum_members) and the forum's kind.
// A forum-bound announcement (forum set) also needs the forum readable by
// the actor (models.Actor.MayReadForum): a members-only forum's notice
// never reaches a visitor, a clinicians' forum's one never a member.
func InAudience(a models.Actor, audience string, forum *models.Forum, member bool) bool {
	if forum != nil && !a.MayReadForum(forum) {
		return false
	}
	switch audience {
	case AudienceEveryone:
		return true
	case AudienceMembers:
		return a.SignedIn()
	case AudienceForumMembers:
		return a.SignedIn() && member
	case AudienceClinicians:
		// "Verified clinician now" (models.VerifiedAt, loaded with the actor).
		return a.SignedIn() && a.Clinician
	}
	return false
}

// Audiences, scopes and priorities accepted.
var (
	Audiences  = []string{AudienceEveryone, AudienceMembers, AudienceForumMembers, AudienceClinicians}
	Scopes     = []string{ScopeSite, ScopeForum}
	Priorities = []string{PriorityCard, PriorityBanner}
)

func valid(set []string, v string) bool { return slices.Contains(set, v) }
