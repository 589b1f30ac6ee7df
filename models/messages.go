package models

import "time"

// Conversation kinds.
const (
	// ConversationMember is two members writing to each other.
	ConversationMember = "member"
	// ConversationModerators is a member and the moderation team: the
	// moderator who opened it, every global moderator and admin.
	ConversationModerators = "moderators"
)

// Who a member accepts messages from (moderators always may write).
const (
	AcceptEveryone = "everyone"
	AcceptFollowed = "followed"
	AcceptNobody   = "nobody"
)

// AcceptModes lists the choices in the order the settings page shows them.
var AcceptModes = []string{AcceptEveryone, AcceptFollowed, AcceptNobody}

// TargetMessage is a report target: one private message.
const TargetMessage = "message"

// PrivateTarget reports whether a report target is private text (a message
// of a private question or a private message): staff read it only while an
// open report by a participant names it, and every refusal is a not found.
func PrivateTarget(kind string) bool { return kind == TargetQuestionMessage || kind == TargetMessage }

// NotifyMessage tells a member a conversation has news (never its text).
const NotifyMessage = "message"

// Conversation is one private conversation.
type Conversation struct {
	ID            int64
	Kind          string
	MemberID      *int64 // the member a moderators' conversation is with
	StartedBy     *int64
	Subject       string
	PairKey       *string
	CreatedAt     time.Time
	LastMessageAt time.Time
}

// Message is one private message.
type Message struct {
	ID             int64
	ConversationID int64
	AuthorID       *int64
	AsModerator    bool
	Crisis         bool // crisis language: the reader is told what they can do
	Body           string
	BodyHTML       string `gorm:"column:body_html"`
	CreatedAt      time.Time
}
