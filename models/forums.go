package models

import (
	"time"

	"github.com/lib/pq"
)

// ProfileVisibility says who may open a member's profile page.
type ProfileVisibility string

// Profile visibilities; members is the default.
const (
	ProfileEveryone ProfileVisibility = "everyone"
	ProfileMembers  ProfileVisibility = "members"
	ProfileStaff    ProfileVisibility = "staff"
)

// Forum is a condition community.
type Forum struct {
	ID             int64
	Slug           string
	Name           string
	Description    string
	Guidelines     string
	GuidelinesHTML string `gorm:"column:guidelines_html"`
	Sensitive      bool
	ClinicianOnly  bool
	Specialties    pq.StringArray `gorm:"type:text[]"`
	Position       int
	ThreadCount    int
	ArchivedAt     *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Archived forums are read-only.
func (f *Forum) Archived() bool { return f.ArchivedAt != nil }

// Visibility of threads and posts.
type Visibility string

// Visibilities. Only visible content reaches anyone but staff.
const (
	Visible Visibility = "visible"
	Pending Visibility = "pending"
	Hidden  Visibility = "hidden"
	Removed Visibility = "removed"
)

// ThreadState says whether replies are open.
type ThreadState string

// Thread states.
const (
	ThreadOpen   ThreadState = "open"
	ThreadLocked ThreadState = "locked"
)

// Thread is a conversation in a forum; its first post is its opening text.
type Thread struct {
	ID                 int64
	ForumID            int64
	AuthorID           int64
	Title              string
	Anonymous          bool
	State              ThreadState
	Visibility         Visibility
	Pinned             bool
	ReplyCount         int
	HasClinicianAnswer bool
	Tags               pq.StringArray `gorm:"type:text[];default:'{}'"`
	CreatedAt          time.Time
	LastPostAt         time.Time
	// Crisis is set on a just-written thread whose text matched crisis
	// words, so the author is shown crisis resources.
	Crisis bool `gorm:"-" json:"-"`
	// CrisisLevel and CrisisPanel say what the author of a just-written
	// thread is shown: the level found and "show_resources",
	// "show_check_in" or "" (the forum's mapping decides).
	CrisisLevel string `gorm:"-" json:"-"`
	CrisisPanel string `gorm:"-" json:"-"`
	CrisisTold  bool   `gorm:"-" json:"-"` // moderators were told
}

// Post is one message in a thread. Body is markdown; BodyHTML is its
// sanitised rendering, made once at write time.
type Post struct {
	ID                 int64
	ThreadID           int64
	AuthorID           int64
	Body               string
	BodyHTML           string `gorm:"column:body_html"`
	Anonymous          bool
	Visibility         Visibility
	AuthorWasClinician bool
	SupportCount       int
	HugCount           int
	MeTooCount         int
	HelpfulCount       int
	CreatedAt          time.Time
	EditedAt           *time.Time
	DeletedAt          *time.Time
	Crisis             bool   `gorm:"-" json:"-"` // see Thread.Crisis
	CrisisLevel        string `gorm:"-" json:"-"` // see Thread.CrisisLevel
	CrisisPanel        string `gorm:"-" json:"-"`
	CrisisTold         bool   `gorm:"-" json:"-"`
	// UrgentEvidence is, on a just-written reply, what in its text calls
	// for the emergency guidance (nil: nothing), from the write's own
	// safety analysis, so the answer does not analyse the text again.
	UrgentEvidence []string `gorm:"-" json:"-"`
}

// PostRevision keeps the text an edit or deletion replaced.
type PostRevision struct {
	ID        int64
	PostID    int64
	EditorID  int64
	Body      string
	Reason    string
	CreatedAt time.Time
}

// ReactionKind is one of the four reactions.
type ReactionKind string

// Reaction kinds.
const (
	ReactSupport ReactionKind = "support"
	ReactHug     ReactionKind = "hug"
	ReactMeToo   ReactionKind = "me_too"
	ReactHelpful ReactionKind = "helpful"
)

// ReactionKinds in display order.
var ReactionKinds = []ReactionKind{ReactSupport, ReactHug, ReactMeToo, ReactHelpful}

// Valid reports whether k is a known kind.
func (k ReactionKind) Valid() bool {
	for _, x := range ReactionKinds {
		if x == k {
			return true
		}
	}
	return false
}

// Label is the button text.
func (k ReactionKind) Label() string {
	switch k {
	case ReactSupport:
		return "Support"
	case ReactHug:
		return "Hug"
	case ReactMeToo:
		return "Me too"
	case ReactHelpful:
		return "Helpful"
	}
	return string(k)
}

// Column is the counter column on posts.
func (k ReactionKind) Column() string { return string(k) + "_count" }

// Notification tells a user something happened.
type Notification struct {
	ID           int64
	UserID       int64
	Kind         string
	ActorID      *int64
	ForumID      *int64
	ThreadID     *int64
	PostID       *int64
	CredentialID *int64
	QuestionID   *int64
	CreatedAt    time.Time
	ReadAt       *time.Time
}

// Notification kinds.
const (
	NotifyReply     = "reply"
	NotifyNewThread = "new_thread"
	// NotifyBookmarkReminder is a member's own reminder on a bookmark.
	NotifyBookmarkReminder = "bookmark_reminder"
	// NotifyMention: someone mentioned the member (@handle) in a post they may read.
	NotifyMention = "mention"
)

// NotificationEvent is what a write tells the notifier, inside its transaction.
type NotificationEvent struct {
	Kind     string
	ActorID  *int64 // nil when the actor posted anonymously
	ForumID  int64
	ThreadID int64
	PostID   int64
	Exclude  int64 // the actor: nobody is notified of their own post
	// Told are members already notified of this post (mentioned): the
	// followers' fan-out skips them.
	Told []int64
}
