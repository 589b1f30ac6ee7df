package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kindred-health/kindred/models"
)

// How a member wants e-mail about a category of notification.
const (
	ModeImmediately = "immediately"
	ModeDaily       = "daily"
	ModeWeekly      = "weekly"
	ModeNever       = "never"
)

// Modes in the order the settings offer them.
var Modes = []string{ModeImmediately, ModeDaily, ModeWeekly, ModeNever}

// Category groups notification kinds for e-mail preferences.
type Category struct {
	Key     string
	Label   string // what the settings page calls it
	Subject string // the e-mail's subject: never a title, a forum or a condition
	Default string
	// For says who sees the setting: "" everyone, "clinician" members who
	// have applied for or hold a clinician badge, "staff" admins and
	// reviewers. The API accepts every category.
	For string
}

// Categories of e-mail, in the order the settings page shows them.
// Crisis alerts to moderators are mailed by app/moderation as soon as they
// happen and are not listed: nobody can turn them off here.
var Categories = []Category{
	{Key: "my_threads", Label: "Replies to threads you started", Subject: "You have a new reply to your thread", Default: ModeImmediately},
	{Key: "mentions", Label: "Someone mentions you (@your-handle)", Subject: "Someone mentioned you on Kindred", Default: ModeImmediately},
	{Key: "followed", Label: "Replies in threads you follow, and new threads in forums you follow", Subject: "New activity in what you follow", Default: ModeDaily},
	{Key: "messages", Label: "Private messages to you (the e-mail never contains them)", Subject: "You have a new message on Kindred", Default: ModeImmediately},
	{Key: "moderation", Label: "Moderators' decisions about you or your posts, and the outcome of your reports", Subject: "A message from the Kindred moderators", Default: ModeImmediately},
	{Key: "questions", Label: "Your private questions: answers, messages and changes", Subject: "News about your private question", Default: ModeImmediately},
	{Key: "announcements", Label: "Announcements from the Kindred team and your forums' moderators (urgent health alerts come at once even if you chose a summary)", Subject: "An announcement from Kindred", Default: ModeImmediately},
	{Key: "reminders", Label: "Reminders you set on bookmarks", Subject: "Your bookmark reminder", Default: ModeImmediately},
	{Key: "clinician_questions", Label: "As a clinician: questions offered to you, waiting in the pool, messages and deadlines", Subject: "A private question needs you", Default: ModeImmediately, For: "clinician"},
	{Key: "credentials", Label: "Your clinician verification: decisions and expiry", Subject: "News about your clinician verification", Default: ModeImmediately, For: "clinician"},
	{Key: "staff", Label: "Staff work: applications to review, questions waiting too long", Subject: "Kindred staff work is waiting", Default: ModeImmediately, For: "staff"},
}

// CategoryByKey finds a category.
func CategoryByKey(key string) (Category, bool) {
	for _, c := range Categories {
		if c.Key == key {
			return c, true
		}
	}
	return Category{}, false
}

// ValidMode reports whether m is a mode.
func ValidMode(m string) bool {
	for _, x := range Modes {
		if x == m {
			return true
		}
	}
	return false
}

// categoryOf says which category a notification belongs to for its
// recipient; "" means it is never e-mailed by the notification mail (urgent
// moderation alerts have their own e-mail).
func categoryOf(kind string, recipient, threadAuthor, asker int64) string {
	switch kind {
	case models.NotifyReply:
		if threadAuthor == recipient {
			return "my_threads"
		}
		return "followed"
	case models.NotifyNewThread:
		return "followed"
	case models.NotifyMention:
		return "mentions"
	case models.NotifyModerationWarning, models.NotifyReportResolved:
		return "moderation"
	case models.NotifyMessage:
		return "messages"
	case models.NotifyBookmarkReminder:
		return "reminders"
	case models.NotifyQuestionStatus, models.NotifyQuestionConsent:
		return "questions"
	case models.NotifyQuestionMessage:
		if asker == recipient {
			return "questions"
		}
		return "clinician_questions"
	case models.NotifyQuestionOffered, models.NotifyQuestionClosed, models.NotifyQuestionPool, models.NotifyQuestionUrgent,
		models.NotifyQuestionRemind, models.NotifyQuestionMoved, models.NotifyQuestionReopened, models.NotifyQuestionsPaused:
		return "clinician_questions"
	case models.NotifyCredentialApproved, models.NotifyCredentialRejected, models.NotifyCredentialRevoked,
		models.NotifyCredentialExpired, models.NotifyCredentialExpiring:
		return "credentials"
	case models.NotifyCredentialSubmitted, models.NotifyQuestionWaiting:
		return "staff"
	case models.NotifyAnnouncement, models.NotifyAnnouncementUrgent:
		return "announcements"
	}
	return ""
}

// Preference is one category's setting for a member.
type Preference struct {
	Category Category
	Mode     string
}

// Preferences returns the member's mode for every category.
func (m *Mail) Preferences(ctx context.Context, userID int64) (map[string]string, error) {
	out, err := m.modes(m.db.Gorm.WithContext(ctx), []int64{userID})
	if err != nil {
		return nil, err
	}
	return out[userID], nil
}

// modes loads the modes of many members at once, defaults filled in,
// through db: the mail sweep passes its transaction, which holds locks
// that writers wait for, so it must not wait for a second connection.
func (m *Mail) modes(db *gorm.DB, userIDs []int64) (map[int64]map[string]string, error) {
	var rows []struct {
		UserID   int64
		Category string
		Mode     string
	}
	if err := db.Raw(`SELECT user_id, category, mode FROM email_preferences WHERE user_id IN ?`, userIDs).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("notify: preferences: %w", err)
	}
	out := make(map[int64]map[string]string, len(userIDs))
	for _, id := range userIDs {
		p := make(map[string]string, len(Categories))
		for _, c := range Categories {
			p[c.Key] = c.Default
		}
		out[id] = p
	}
	for _, r := range rows {
		if _, ok := CategoryByKey(r.Category); ok {
			out[r.UserID][r.Category] = r.Mode
		}
	}
	return out, nil
}

// SetPreferences stores the modes given (category → mode); the others stay.
// Nothing is stored when any key or mode is unknown.
func (m *Mail) SetPreferences(ctx context.Context, userID int64, modes map[string]string) error {
	verr := models.NewValidationError()
	for k, v := range modes {
		if _, ok := CategoryByKey(k); !ok {
			verr.Add(k, "This is not an e-mail category.")
		} else if !ValidMode(v) {
			verr.Add(k, "Choose one of: "+strings.Join(Modes, ", ")+".")
		}
	}
	if err := verr.OrNil(); err != nil {
		return err
	}
	if len(modes) == 0 {
		return nil
	}
	now := m.now().UTC()
	rows := make([]map[string]any, 0, len(modes))
	for k, v := range modes {
		rows = append(rows, map[string]any{"user_id": userID, "category": k, "mode": v, "updated_at": now})
	}
	return m.db.Gorm.WithContext(ctx).Table("email_preferences").Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}, {Name: "category"}},
		DoUpdates: clause.AssignmentColumns([]string{"mode", "updated_at"}),
	}).Create(rows).Error
}

// Suppression says why mail to an address stopped.
type Suppression struct {
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"since"`
}

// SuppressionOf returns the suppression of the member's address, if any.
func (m *Mail) SuppressionOf(ctx context.Context, userID int64) (*Suppression, error) {
	var s []Suppression
	err := m.db.Gorm.WithContext(ctx).Raw(`SELECT s.reason, s.created_at FROM email_suppressions s JOIN users u ON lower(u.email) = s.address WHERE u.id = ?`, userID).Scan(&s).Error
	if err != nil || len(s) == 0 {
		return nil, err
	}
	return &s[0], nil
}

// Suppress stops notification mail to an address (a bounce, a complaint,
// or an operator's decision). It reports whether an account uses it.
func (m *Mail) Suppress(ctx context.Context, address, reason string) (bool, error) {
	return SuppressAddress(ctx, m.db.Gorm, m.now(), address, reason)
}

// SuppressAddress is Suppress for the command line. A complaint is never
// downgraded to a bounce.
func SuppressAddress(ctx context.Context, db *gorm.DB, at time.Time, address, reason string) (bool, error) {
	address = strings.ToLower(strings.TrimSpace(address))
	if !strings.Contains(address, "@") {
		return false, fmt.Errorf("notify: %q is not an e-mail address: %w", MaskEmail(address), ErrInvalid)
	}
	switch reason {
	case "bounce", "complaint", "manual":
	default:
		return false, fmt.Errorf("notify: reason %q: %w", reason, ErrInvalid)
	}
	err := db.WithContext(ctx).Exec(`INSERT INTO email_suppressions (address, reason, created_at) VALUES (?, ?, ?)
		ON CONFLICT (address) DO UPDATE SET reason = CASE WHEN email_suppressions.reason = 'complaint' THEN 'complaint' ELSE excluded.reason END`,
		address, reason, at.UTC()).Error
	if err != nil {
		return false, fmt.Errorf("notify: suppress: %w", err)
	}
	var n int64
	err = db.WithContext(ctx).Raw(`SELECT count(*) FROM users WHERE lower(email) = ?`, address).Scan(&n).Error
	return n > 0, err
}

// UnsuppressAddress lets mail go to an address again. It reports whether
// the address was suppressed.
func UnsuppressAddress(ctx context.Context, db *gorm.DB, address string) (bool, error) {
	res := db.WithContext(ctx).Exec(`DELETE FROM email_suppressions WHERE address = ?`, strings.ToLower(strings.TrimSpace(address)))
	return res.RowsAffected > 0, res.Error
}

// ResumeFor lets mail go to the member's own address again.
func (m *Mail) ResumeFor(ctx context.Context, userID int64) error {
	return m.db.Gorm.WithContext(ctx).Exec(`DELETE FROM email_suppressions s USING users u WHERE u.id = ? AND lower(u.email) = s.address`, userID).Error
}
