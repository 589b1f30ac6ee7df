package models

import "time"

// ReportReason is why something was reported.
type ReportReason string

// Report reasons, in the order the form shows them.
const (
	ReasonMisinformation ReportReason = "misinformation"
	ReasonHarassment     ReportReason = "harassment"
	ReasonSpam           ReportReason = "spam"
	ReasonSelfHarm       ReportReason = "self_harm"
	ReasonPrivacy        ReportReason = "privacy"
	ReasonOffTopic       ReportReason = "off_topic"
	ReasonOther          ReportReason = "other"
)

// ReportReasons lists every reason in form order.
var ReportReasons = []ReportReason{ReasonSelfHarm, ReasonMisinformation, ReasonHarassment, ReasonSpam, ReasonPrivacy, ReasonOffTopic, ReasonOther}

// Label is the reason as members read it.
func (r ReportReason) Label() string {
	switch r {
	case ReasonMisinformation:
		return "Medical misinformation"
	case ReasonHarassment:
		return "Harassment or abuse"
	case ReasonSpam:
		return "Spam or advertising"
	case ReasonSelfHarm:
		return "Someone may be at risk of harming themselves"
	case ReasonPrivacy:
		return "Shares someone's private information"
	case ReasonOffTopic:
		return "Off-topic"
	case ReasonOther:
		return "Something else"
	}
	return string(r)
}

// Valid reports whether r is a known reason.
func (r ReportReason) Valid() bool {
	for _, x := range ReportReasons {
		if x == r {
			return true
		}
	}
	return false
}

// Report target kinds.
const (
	TargetPost            = "post"
	TargetThread          = "thread"
	TargetUser            = "user"
	TargetQuestionMessage = "question_message"
)

// Report statuses.
const (
	ReportOpen      = "open"
	ReportUpheld    = "upheld"
	ReportDismissed = "dismissed"
)

// Report is one member's report.
type Report struct {
	ID         int64
	ReporterID *int64 // nil: Kindred itself
	TargetKind string
	TargetID   int64
	ForumID    *int64
	Reason     ReportReason
	Note       string
	Weight     float64
	Status     string
	HandlerID  *int64
	Resolution string
	ResolvedAt *time.Time
	CreatedAt  time.Time
	// Priority puts a report above the others in the queue (2: someone may
	// be in imminent danger).
	Priority int
}

// ModerationAction is one append-only record of a moderation step.
type ModerationAction struct {
	ID          int64
	ModeratorID *int64
	Action      string
	TargetKind  string
	TargetID    int64
	AuthorID    *int64
	Reason      string
	Outcome     string
	CreatedAt   time.Time
}

// Notification kinds about reports.
const (
	NotifyReportResolved = "report_resolved" // to the reporter: decided
	NotifyReportUrgent   = "report_urgent"   // to moderators: someone may be at risk
	// NotifyCrisisUnacknowledged tells admins that nobody acknowledged a
	// crisis item in time.
	NotifyCrisisUnacknowledged = "crisis_unacknowledged"
	// NotifyModerationWarning carries a moderator's words to a member.
	NotifyModerationWarning = "moderation_notice"
)
