package models

import (
	"slices"
	"time"
)

// Actor is the person acting in a request, loaded once per request by the
// web middleware (web.LoadActor) and handed to every feature: forums,
// moderation and private questions decide with it, never by querying
// roles, credentials or moderator lists themselves. A visitor is an Actor
// with a nil User.
//
// This file is also the one place that says who may read a forum: the
// audiences below. To change who may read a sensitive forum, change
// Audiences; pages, the JSON API, search and the moderation queue all ask
// MayReadForum or Audiences.
type Actor struct {
	User *User
	// ModeratedForums are the forums the user moderates (staff moderate
	// every forum without being listed).
	ModeratedForums map[int64]bool
	// Clinician is true while the user holds a verified credential
	// (models.VerifiedAt, the SQL function clinician_verified).
	Clinician bool
	// Professions are the verified credentials' profession codes.
	Professions []string
	// Muted are the members the user chose not to see.
	Muted map[int64]bool
	// Now is the request's time, for suspensions and expiries.
	Now time.Time
	// MFA is true when the user has a confirmed second factor.
	MFA bool
}

// MFARequired is the one rule for who must sign in with a second factor:
// admins, global and forum moderators, credential reviewers and verified
// clinicians. They may use no staff page or API until they enrol.
func (a Actor) MFARequired() bool {
	u := a.User
	return u != nil && (u.Role.IsStaff() || u.Reviewer || len(a.ModeratedForums) > 0 || a.Clinician)
}

// SignedIn reports whether the actor has an account.
func (a Actor) SignedIn() bool { return a.User != nil }

// ID is the user's id, 0 for a visitor.
func (a Actor) ID() int64 {
	if a.User == nil {
		return 0
	}
	return a.User.ID
}

// IsStaff is a global moderator or an admin.
func (a Actor) IsStaff() bool { return a.User != nil && a.User.Role.IsStaff() }

// IsAdmin reports whether the actor is an admin.
func (a Actor) IsAdmin() bool { return a.User != nil && a.User.Role == RoleAdmin }

// Active is a signed-in user who may act now (not suspended or banned).
func (a Actor) Active() bool { return a.User != nil && a.User.CanSignIn(a.Now) }

// Moderates is true for staff and for the forum's own moderators.
func (a Actor) Moderates(forumID int64) bool {
	return a.IsStaff() || (a.User != nil && a.ModeratedForums[forumID])
}

// ModeratesForum is Moderates for a loaded forum.
func (a Actor) ModeratesForum(f *Forum) bool { return a.Moderates(f.ID) }

// IsModerator is staff or the moderator of at least one forum.
func (a Actor) IsModerator() bool {
	return a.IsStaff() || (a.User != nil && len(a.ModeratedForums) > 0)
}

// HasMuted reports whether the actor muted the member.
func (a Actor) HasMuted(memberID int64) bool { return a.Muted[memberID] }

// ForumAudience is who a forum is written for: clinician-only forums for
// clinicians, sensitive forums for members, the others for everyone.
func ForumAudience(sensitive, clinicianOnly bool) string {
	switch {
	case clinicianOnly:
		return AudienceClinicians
	case sensitive:
		return AudienceMembers
	}
	return AudiencePublic
}

// Audience is ForumAudience for a loaded forum.
func (f *Forum) Audience() string { return ForumAudience(f.Sensitive, f.ClinicianOnly) }

// ForumAudienceSQL spells ForumAudience in SQL for a forums row aliased
// alias, for queries that filter by audience.
func ForumAudienceSQL(alias string) string {
	return "(CASE WHEN " + alias + ".clinician_only THEN '" + AudienceClinicians + "' WHEN " + alias +
		".sensitive THEN '" + AudienceMembers + "' ELSE '" + AudiencePublic + "' END)"
}

// Audiences are the audiences whose forums the actor may read: everyone
// reads public forums, members sensitive ones, verified clinicians and
// staff clinician-only ones. Search adds them to every query.
func (a Actor) Audiences() []string {
	out := []string{AudiencePublic}
	if a.SignedIn() {
		out = append(out, AudienceMembers)
	}
	if a.SignedIn() && (a.Clinician || a.IsStaff()) {
		out = append(out, AudienceClinicians)
	}
	return out
}

// MayReadForum is the one rule for who may read a forum: its audience, or
// its moderators.
func (a Actor) MayReadForum(f *Forum) bool {
	return a.Moderates(f.ID) || slices.Contains(a.Audiences(), f.Audience())
}

// AudienceWider reports whether audience to reaches more people than from
// (clinicians < members < everyone): moving a thread so takes an admin.
func AudienceWider(to, from string) bool { return audienceRank(to) > audienceRank(from) }

func audienceRank(aud string) int {
	switch aud {
	case AudienceClinicians:
		return 0
	case AudienceMembers:
		return 1
	}
	return 2
}
