package models

import "time"

// QuestionStatus is where a private question stands.
type QuestionStatus string

// Question statuses.
const (
	QuestionOffered   QuestionStatus = "offered"  // waiting for one clinician to accept
	QuestionPool      QuestionStatus = "pool"     // any eligible clinician may claim it
	QuestionAssigned  QuestionStatus = "assigned" // a clinician took it
	QuestionAnswered  QuestionStatus = "answered" // the clinician replied
	QuestionClosed    QuestionStatus = "closed"
	QuestionWithdrawn QuestionStatus = "withdrawn"
)

// Label is the status as the asker reads it.
func (s QuestionStatus) Label() string {
	switch s {
	case QuestionOffered:
		return "Offered to a clinician"
	case QuestionPool:
		return "Waiting for any available clinician"
	case QuestionAssigned:
		return "A clinician is working on it"
	case QuestionAnswered:
		return "Answered"
	case QuestionClosed:
		return "Closed"
	case QuestionWithdrawn:
		return "Withdrawn"
	}
	return string(s)
}

// Open reports whether the question still takes part in routing or the
// conversation.
func (s QuestionStatus) Open() bool {
	return s == QuestionOffered || s == QuestionPool || s == QuestionAssigned || s == QuestionAnswered
}

// Question is a member's private question.
type Question struct {
	ID                int64
	AskerID           int64
	ForumID           int64
	Specialty         *string
	Title             string
	Body              string
	BodyHTML          string `gorm:"column:body_html"`
	Status            QuestionStatus
	AssigneeID        *int64
	OfferedAt         *time.Time
	RespondBy         *time.Time
	Attempts          int
	NotEmergency      bool // the asker went on past the urgent-symptom warning
	Crisis            bool // the question matched crisis words
	Rating            *string
	PublishConsent    bool
	PublishedThreadID *int64
	WaitingSince      *time.Time // asked or lost its clinician, and nobody holds it since
	PoolLevel         int
	WaitAlertedAt     *time.Time
	AcceptedAt        *time.Time
	AnswerBy          *time.Time
	AnswerRemindedAt  *time.Time
	AnsweredAt        *time.Time
	LastMessageAt     *time.Time
	ClosedAt          *time.Time
	AutoClosed        bool
	HistoryCutoff     int64
	ShareHistory      bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Urgent reports whether the question goes to every eligible clinician at
// once with shorter deadlines: the asker went on past the urgent-symptom
// warning, or the question matched crisis words.
func (q *Question) Urgent() bool { return q.NotEmergency || q.Crisis }

// QuestionOffer is one offer of a question to a clinician.
type QuestionOffer struct {
	ID          int64
	QuestionID  int64
	ClinicianID int64
	OfferedAt   time.Time
	RespondBy   time.Time
	Outcome     string
	DecidedAt   *time.Time
	Reason      string // a hand-back's reason, never shown to the asker
}

// Offer outcomes.
const (
	OfferPending   = "pending"
	OfferAccepted  = "accepted"
	OfferDeclined  = "declined"
	OfferTimedOut  = "timed_out"
	OfferWithdrawn = "withdrawn"
	// After accepting: the clinician gave the question back, did not answer
	// in time, or lost their verification or account.
	OfferHandedBack     = "handed_back"
	OfferAnswerTimedOut = "answer_timed_out"
	OfferReleased       = "released"
)

// QuestionMessage is one message of the conversation.
type QuestionMessage struct {
	ID          int64
	QuestionID  int64
	AuthorID    int64
	Body        string
	BodyHTML    string `gorm:"column:body_html"`
	InfoRequest bool
	CreatedAt   time.Time
	Crisis      bool `gorm:"-" json:"-"` // a just-sent message matched crisis words
}

// QuestionEvent is one step of the asker's timeline.
type QuestionEvent struct {
	ID         int64
	QuestionID int64
	Kind       string
	Status     QuestionStatus
	CreatedAt  time.Time
}

// Label says what happened, for the asker's timeline.
func (e QuestionEvent) Label() string {
	switch e.Kind {
	case "asked":
		return "You asked"
	case "offered":
		return "Offered to a clinician"
	case "timed out":
		return "The clinician did not respond in time"
	case "declined":
		return "The clinician could not take it"
	case "pooled":
		return "Waiting for any available clinician"
	case "accepted", "claimed":
		return "A clinician took it"
	case "more information requested":
		return "The clinician asked for more information"
	case "answered":
		return "Answered"
	case "closed":
		return "You closed it"
	case "auto-closed":
		return "Closed after a quiet week; you can reopen it for 14 days"
	case "reopened":
		return "You reopened it"
	case "withdrawn":
		return "You withdrew it"
	case "published":
		return "You published an anonymised copy"
	case "handed back":
		return "The clinician could not continue with it"
	case "answer timed out":
		return "The clinician did not answer in time"
	case "released":
		return "The clinician is no longer available to answer"
	case "pool widened":
		return "Opened to more clinicians"
	case "wait alert":
		return "Nobody has taken it yet: our team was alerted"
	case "history shared":
		return "You shared the earlier conversation with the new clinician"
	}
	return e.Kind
}

// Notification kinds about private questions.
const (
	NotifyQuestionOffered  = "question_offered"  // to the clinician
	NotifyQuestionStatus   = "question_status"   // to the asker: the status changed
	NotifyQuestionMessage  = "question_message"  // to the other participant
	NotifyQuestionClosed   = "question_closed"   // to the assignee
	NotifyQuestionConsent  = "question_consent"  // to the asker: the clinician agreed to publishing
	NotifyQuestionPool     = "question_pool"     // to eligible clinicians: a question waits in the pool
	NotifyQuestionUrgent   = "question_urgent"   // to eligible clinicians: an urgent question waits
	NotifyQuestionRemind   = "question_remind"   // to the assignee: the answer deadline is near
	NotifyQuestionMoved    = "question_moved"    // to a clinician: a question they held moved on
	NotifyQuestionWaiting  = "question_waiting"  // to admins: a question waits too long (no title)
	NotifyQuestionReopened = "question_reopened" // to the clinician: the asker reopened a question they answered
	NotifyQuestionsPaused  = "questions_paused"  // to a clinician: offers paused after time-outs
)

// PublishedAnswer is a clinician's message in a question its asker
// publishes as a public thread.
type PublishedAnswer struct {
	AuthorID int64
	Body     string
	At       time.Time
}
