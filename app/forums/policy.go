// Package forums owns condition forums, threads, posts, reactions, follows
// and member profiles.
package forums

import (
	"github.com/kindred-health/kindred/models"
)

// Viewer is who is looking: the request's models.Actor (a visitor has a
// nil User), loaded once by the web middleware.
type Viewer = models.Actor

// CanReadForum is models.Actor.MayReadForum, the one rule for who may read
// a forum (models/actor.go).
func CanReadForum(v Viewer, f *models.Forum) bool { return v.MayReadForum(f) }

// CanPostIn is the one rule for starting threads (and, with CanReply, replying).
func CanPostIn(v Viewer, f *models.Forum) bool {
	return v.Active() && !f.Archived() && CanReadForum(v, f)
}

// CanReply adds the thread's own state: locked threads take no replies.
func CanReply(v Viewer, f *models.Forum, t *models.Thread) bool {
	return CanPostIn(v, f) && t.State == models.ThreadOpen
}

// CanReact follows posting rights: reading is not enough.
func CanReact(v Viewer, f *models.Forum) bool { return CanPostIn(v, f) }

// CanSeeThread hides pending, hidden and removed threads from all but the
// forum's moderators; authors see their own threads awaiting review.
func CanSeeThread(v Viewer, f *models.Forum, t *models.Thread) bool {
	return CanReadForum(v, f) && (t.Visibility == models.Visible || v.ModeratesForum(f) ||
		(t.Visibility == models.Pending && v.User != nil && t.AuthorID == v.User.ID))
}

// CanEditPost lets authors edit their own posts and moderators edit any
// (the revision is kept either way).
func CanEditPost(v Viewer, f *models.Forum, authorID int64, p *models.Post) bool {
	if !v.Active() || f.Archived() || p.DeletedAt != nil || !CanReadForum(v, f) {
		return false
	}
	return authorID == v.User.ID || v.ModeratesForum(f)
}

// CanEditTags lets a thread's author and the forum's moderators change its
// tags while the forum is open.
func CanEditTags(v Viewer, f *models.Forum, t *models.Thread) bool {
	if !v.Active() || f.Archived() || !CanSeeThread(v, f, t) {
		return false
	}
	return t.AuthorID == v.User.ID || v.ModeratesForum(f)
}

// CanDeletePost is for authors only; moderators remove posts through
// moderation instead.
func CanDeletePost(v Viewer, f *models.Forum, authorID int64, p *models.Post) bool {
	return v.Active() && !f.Archived() && p.DeletedAt == nil && authorID == v.User.ID && CanReadForum(v, f)
}

// CanSeeRevisions is for the forum's moderators.
func CanSeeRevisions(v Viewer, f *models.Forum) bool { return v.ModeratesForum(f) }

// CanPostAnonymously is allowed in sensitive forums only.
func CanPostAnonymously(f *models.Forum) bool { return f.Sensitive }

// CanSeeProfile applies the member's own choice; staff see every profile.
func CanSeeProfile(v Viewer, u *models.User) bool {
	return profileVisible(v, u.ProfileVisibility, v.User != nil && v.User.ID == u.ID)
}

// profileVisible is CanSeeProfile from the profile's setting and whether
// the viewer is its owner: author names link to a profile only then.
func profileVisible(v Viewer, vis models.ProfileVisibility, own bool) bool {
	if own || v.IsStaff() {
		return true
	}
	switch vis {
	case models.ProfileEveryone:
		return true
	case models.ProfileStaff:
		return false
	}
	return v.SignedIn()
}

// CanSeePost is who may open a post: readers of its thread see visible
// posts; a post held for review is seen by its author; hidden and removed
// ones by the forum's moderators. (A post its author deleted stays in the
// thread as "removed by its author".)
func CanSeePost(v Viewer, f *models.Forum, t *models.Thread, p *models.Post) bool {
	if !CanReadForum(v, f) || !CanSeeThread(v, f, t) {
		return false
	}
	ownHeld := p.Visibility == models.Pending && v.User != nil && p.AuthorID == v.User.ID
	return p.Visibility == models.Visible || ownHeld || v.ModeratesForum(f)
}
