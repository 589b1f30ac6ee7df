package notify

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// InApp stores and lists in-app notifications. Writers pass their own
// transaction so a notification commits with the post that caused it.
type InApp struct {
	db  *gorm.DB
	now func() time.Time
}

// NewInApp builds the service.
func NewInApp(db *gorm.DB, now func() time.Time) *InApp { return &InApp{db: db, now: now} }

// Event describes what happened, for fan-out to followers.
type Event = models.NotificationEvent

// NotifyThreadFollowers notifies everyone following the thread of a reply,
// inside the reply's transaction: at once when the thread has few
// followers, through a FanOutArgs job inserted in the same transaction
// when it has more (fan.go), so the writer's cost does not grow with them.
func (n *InApp) NotifyThreadFollowers(ctx context.Context, tx *database.Tx, e Event) error {
	return n.notifyFollowers(ctx, tx, e, fanThread)
}

// NotifyForumFollowers notifies everyone following the forum of a new
// thread, like NotifyThreadFollowers.
func (n *InApp) NotifyForumFollowers(ctx context.Context, tx *database.Tx, e Event) error {
	return n.notifyFollowers(ctx, tx, e, fanForum)
}

func (n *InApp) notifyFollowers(ctx context.Context, tx *database.Tx, e Event, to fanTarget) error {
	q, target := to.followers(e)
	var many bool
	// Bounded: at most InlineFollowers+1 index entries are read.
	if err := tx.WithContext(ctx).Raw(`SELECT count(*) > ? FROM (`+q+` LIMIT ?) f`, InlineFollowers, target, e.Exclude, InlineFollowers+1).Scan(&many).Error; err != nil {
		return fmt.Errorf("notify: %s: %w", e.Kind, err)
	}
	if many {
		return tx.Enqueue(ctx, fanOutArgs(e, to), nil)
	}
	return n.fanOut(ctx, tx.DB, e, to, n.now().UTC())
}

// fanOut writes the followers' notifications in a single statement. A
// reply updates the member's unread reply row of the thread if they have
// one (notifications_reply_group_idx): it then stands for one more reply,
// its latest post, actor and time are this one's when it is newer (the
// time moves it to the top of List; its id stays, and the update touches
// no indexed column, so PostgreSQL can make it a HOT update), and it
// waits for the mail sweep again. Running it twice for a post changes
// nothing the second time (see the WHERE of the update and fan.go).
func (n *InApp) fanOut(ctx context.Context, tx *gorm.DB, e Event, to fanTarget, at time.Time) error {
	followers, target := to.followers(e)
	// Members who muted the author hear nothing of them (e.Exclude is the
	// author, even of an anonymous post: the mute works without revealing).
	// The post must still exist and not have been hidden or removed since
	// (a held post's notification waits, unseen, for its approval).
	// A follower who has read the thread up to this post since (the job
	// ran late) has nothing to be told.
	args := []any{e.Kind, e.ActorID, e.ForumID, e.ThreadID, e.PostID, at, e.PostID, target, e.Exclude, e.PostID, e.Exclude, e.ThreadID, e.PostID}
	told := ``
	if len(e.Told) > 0 { // mentioned in this post: already told
		told = ` AND f.user_id NOT IN ?`
		args = append(args, e.Told)
	}
	err := tx.WithContext(ctx).Exec(`INSERT INTO notifications (user_id, kind, actor_id, forum_id, thread_id, post_id, created_at, first_post_id)
		SELECT f.user_id, ?, ?, ?, ?, ?, ?, ? FROM (`+followers+`) f
		JOIN users u ON u.id = f.user_id AND u.status = 'active'
		WHERE EXISTS (SELECT 1 FROM posts p WHERE p.id = ? AND p.deleted_at IS NULL AND p.visibility IN ('visible', 'pending'))
		AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = f.user_id AND m.muted_id = ?)
		AND NOT EXISTS (SELECT 1 FROM thread_reads r WHERE r.user_id = f.user_id AND r.thread_id = ? AND r.last_read_post_id >= ?)`+told+`
		ORDER BY f.user_id
		ON CONFLICT (user_id, thread_id) WHERE read_at IS NULL AND kind = 'reply' DO UPDATE SET
			actor_id = CASE WHEN excluded.post_id > notifications.post_id THEN excluded.actor_id ELSE notifications.actor_id END,
			created_at = CASE WHEN excluded.post_id > notifications.post_id THEN excluded.created_at ELSE notifications.created_at END,
			post_id = greatest(notifications.post_id, excluded.post_id),
			first_post_id = least(coalesce(notifications.first_post_id, notifications.post_id), excluded.post_id),
			reply_count = notifications.reply_count + 1,
			mail_pending = true,
			read_at = NULL
		WHERE excluded.post_id > notifications.post_id OR excluded.post_id < coalesce(notifications.first_post_id, notifications.post_id)`, args...).Error
	if err != nil {
		return fmt.Errorf("notify: %s: %w", e.Kind, err)
	}
	return nil
}

// NotifyCredential tells a member about their clinician verification.
func (n *InApp) NotifyCredential(ctx context.Context, tx *gorm.DB, userID int64, kind string, credentialID int64) error {
	err := tx.WithContext(ctx).Exec(`INSERT INTO notifications (user_id, kind, credential_id, created_at) VALUES (?, ?, ?, ?)`,
		userID, kind, credentialID, n.now().UTC()).Error
	if err != nil {
		return fmt.Errorf("notify: %s: %w", kind, err)
	}
	return nil
}

// NotifyQuestion tells a participant that something happened to a private
// question; the notification carries no title or text of it.
func (n *InApp) NotifyQuestion(ctx context.Context, tx *gorm.DB, userID int64, kind string, questionID int64) error {
	err := tx.WithContext(ctx).Exec(`INSERT INTO notifications (user_id, kind, question_id, created_at) VALUES (?, ?, ?, ?)`,
		userID, kind, questionID, n.now().UTC()).Error
	if err != nil {
		return fmt.Errorf("notify: %s: %w", kind, err)
	}
	return nil
}

// NotifyReport tells a reporter their report was decided.
func (n *InApp) NotifyReport(ctx context.Context, tx *gorm.DB, userID int64, reportID int64) error {
	err := tx.WithContext(ctx).Exec(`INSERT INTO notifications (user_id, kind, report_id, created_at) VALUES (?, ?, ?, ?)`,
		userID, models.NotifyReportResolved, reportID, n.now().UTC()).Error
	if err != nil {
		return fmt.Errorf("notify: report: %w", err)
	}
	return nil
}

// NotifyReportTo tells moderators or admins that a report needs them
// (kind says why: an urgent report, a crisis nobody acknowledged).
func (n *InApp) NotifyReportTo(ctx context.Context, tx *gorm.DB, userIDs []int64, kind string, reportID int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	err := tx.WithContext(ctx).Exec(`INSERT INTO notifications (user_id, kind, report_id, created_at)
		SELECT id, ?, ?, ? FROM users WHERE id IN ?`, kind, reportID, n.now().UTC(), userIDs).Error
	if err != nil {
		return fmt.Errorf("notify: %s: %w", kind, err)
	}
	return nil
}

// NotifyMember sends a member a moderator's words (a warning, a reason).
func (n *InApp) NotifyMember(ctx context.Context, tx *gorm.DB, userID int64, kind, message string) error {
	err := tx.WithContext(ctx).Exec(`INSERT INTO notifications (user_id, kind, message, created_at) VALUES (?, ?, ?, ?)`,
		userID, kind, message, n.now().UTC()).Error
	if err != nil {
		return fmt.Errorf("notify: %s: %w", kind, err)
	}
	return nil
}

// NotifyMemberAbout is NotifyMember for words about content in a forum
// (they may name a thread): e-mail quotes them only when the forum is
// public.
func (n *InApp) NotifyMemberAbout(ctx context.Context, tx *gorm.DB, userID int64, kind, message string, forumID int64) error {
	var forum *int64
	if forumID != 0 {
		forum = &forumID
	}
	err := tx.WithContext(ctx).Exec(`INSERT INTO notifications (user_id, kind, message, forum_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		userID, kind, message, forum, n.now().UTC()).Error
	if err != nil {
		return fmt.Errorf("notify: %s: %w", kind, err)
	}
	return nil
}

// NotifyMessage tells each member of userIDs that a private conversation
// has news. One unread notification stands for the whole conversation:
// while one is unread, nothing more is written (so no e-mail either), and
// it never carries the text. Muted writers are skipped, as everywhere.
func (n *InApp) NotifyMessage(ctx context.Context, tx *gorm.DB, userIDs []int64, conversationID, actorID int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	err := tx.WithContext(ctx).Exec(`INSERT INTO notifications (user_id, kind, actor_id, conversation_id, created_at)
		SELECT u.id, ?, ?, ?, ? FROM users u WHERE u.id IN ?
		AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = u.id AND m.muted_id = ?)
		AND NOT EXISTS (SELECT 1 FROM notifications x WHERE x.user_id = u.id AND x.conversation_id = ? AND x.read_at IS NULL)`,
		models.NotifyMessage, actorID, conversationID, n.now().UTC(), userIDs, actorID, conversationID).Error
	if err != nil {
		return fmt.Errorf("notify: message: %w", err)
	}
	return nil
}

// MarkConversationRead marks the member's notifications about a
// conversation read: they opened it.
func (n *InApp) MarkConversationRead(ctx context.Context, userID, conversationID int64) error {
	return n.db.WithContext(ctx).Exec(`UPDATE notifications SET read_at = ? WHERE user_id = ? AND conversation_id = ? AND read_at IS NULL`,
		n.now().UTC(), userID, conversationID).Error
}

// NotifyBookmarkReminders tells each member whose bookmark reminder is
// due, for the bookmarks given (the caller's transaction marks them
// reminded). The notification names no thread: it links to the post, whose
// page checks again that the member may read it.
func (n *InApp) NotifyBookmarkReminders(ctx context.Context, tx *gorm.DB, bookmarkIDs []int64) error {
	err := tx.WithContext(ctx).Exec(`INSERT INTO notifications (user_id, kind, thread_id, post_id, created_at)
		SELECT b.user_id, ?, p.thread_id, b.post_id, ? FROM bookmarks b JOIN posts p ON p.id = b.post_id WHERE b.id IN ?`,
		models.NotifyBookmarkReminder, n.now().UTC(), bookmarkIDs).Error
	if err != nil {
		return fmt.Errorf("notify: bookmark reminders: %w", err)
	}
	return nil
}

// NotifyReviewers tells every admin and reviewer (except the applicant)
// that an application is waiting.
func (n *InApp) NotifyReviewers(ctx context.Context, tx *gorm.DB, credentialID, applicantID int64) error {
	err := tx.WithContext(ctx).Exec(`INSERT INTO notifications (user_id, kind, actor_id, credential_id, created_at)
		SELECT id, ?, ?, ?, ? FROM users WHERE (role = 'admin' OR reviewer) AND status = 'active' AND id <> ?`,
		models.NotifyCredentialSubmitted, applicantID, credentialID, n.now().UTC(), applicantID).Error
	if err != nil {
		return fmt.Errorf("notify: reviewers: %w", err)
	}
	return nil
}

// Item is a notification ready to show.
type Item struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`
	ActorHandle string `json:"actor_handle"` // "" means an anonymous member
	ForumSlug   string `json:"forum_slug"`
	ForumName   string `json:"forum_name"`
	ThreadID    int64  `json:"thread_id"`
	ThreadTitle string `json:"thread_title"`
	PostID      int64  `json:"post_id"`
	// CredentialID is set for news about the member's clinician verification.
	CredentialID int64 `json:"credential_id,omitempty"`
	// QuestionID is set for news about a private question (never its text).
	QuestionID int64 `json:"question_id,omitempty"`
	// ReportID is set when one of the member's reports was decided.
	ReportID int64 `json:"report_id,omitempty"`
	// ConversationID is set for news in a private conversation (never
	// its text).
	ConversationID int64 `json:"conversation_id,omitempty"`
	// Count is how many unread replies in the thread this item stands for
	// ("5 new replies in …"); FirstPostID the oldest of them, where
	// reading starts. 1 and PostID for everything else.
	Count       int   `json:"count"`
	FirstPostID int64 `json:"first_post_id"`
	// Message is a moderator's words to the member, if any (for an
	// announcement: its title when it was sent).
	Message string `json:"message,omitempty"`
	// AnnouncementID is set for an e-mailed announcement.
	AnnouncementID int64      `json:"announcement_id,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	ReadAt         *time.Time `json:"read_at"`
}

// Only notifications about content that is still visible are shown: hidden,
// removed or deleted posts disappear from the list and the count.
// Notifications about a credential have no thread.
const visibleNotifications = `FROM notifications n
	LEFT JOIN threads t ON t.id = n.thread_id
	LEFT JOIN forums f ON f.id = n.forum_id
	LEFT JOIN posts p ON p.id = n.post_id
	LEFT JOIN users a ON a.id = n.actor_id
	WHERE n.user_id = ? AND (n.thread_id IS NULL OR t.visibility = 'visible')
	AND (p.id IS NULL OR (p.visibility = 'visible' AND p.deleted_at IS NULL))`

// UnreadCap is where the bell stops counting: a member sees "99+" past
// 99, and counting costs the same however many notifications they have.
const UnreadCap = 100

// UnreadSQL is the bell's count (two arguments: the member, UnreadCap).
// The replies of a thread are one row (fanOut groups them when writing),
// so it reads at most UnreadCap visible unread rows: its cost does not
// grow with the member's history (docs/performance.md).
const UnreadSQL = `SELECT count(*) FROM (SELECT 1 FROM notifications n
	LEFT JOIN threads t ON t.id = n.thread_id
	LEFT JOIN posts p ON p.id = n.post_id
	WHERE n.user_id = ? AND ` + unreadRows + `
	LIMIT ?) x`

const unreadRows = `n.read_at IS NULL AND (n.thread_id IS NULL OR t.visibility = 'visible')
	AND (p.id IS NULL OR (p.visibility = 'visible' AND p.deleted_at IS NULL))`

// UnreadFigure is UnreadSQL as a figure loaded with the session
// (auth.Service.SetSessionFigures under web.FigureUnread, over the user u): the bell's count
// costs no round trip of its own.
var UnreadFigure = `(SELECT count(*) FROM (SELECT 1 FROM notifications n
	LEFT JOIN threads t ON t.id = n.thread_id
	LEFT JOIN posts p ON p.id = n.post_id
	WHERE n.user_id = u.id AND ` + unreadRows + `
	LIMIT ` + strconv.Itoa(UnreadCap) + `) x)`

// Unread counts unread notifications for the bell, at most UnreadCap.
func (n *InApp) Unread(ctx context.Context, userID int64) (int64, error) {
	var c int64
	err := n.db.WithContext(ctx).Raw(UnreadSQL, userID, UnreadCap).Scan(&c).Error
	return c, err
}

// List returns up to limit notifications, newest first, after the one
// whose id is before (0: from the newest). Newest is created_at: a reply
// row takes its latest reply's time and stands for reply_count replies of
// its thread, from first_post_id on. The sort reads all of the member's
// rows (no index holds created_at, so that the fan-out's updates stay HOT).
func (n *InApp) List(ctx context.Context, userID, before int64, limit int) ([]Item, error) {
	q := `SELECT n.id, n.kind, coalesce(a.handle, '') AS actor_handle, coalesce(f.slug, '') AS forum_slug, coalesce(f.name, '') AS forum_name,
		coalesce(t.id, 0) AS thread_id, coalesce(t.title, '') AS thread_title, coalesce(n.post_id, 0) AS post_id,
		coalesce(n.credential_id, 0) AS credential_id, coalesce(n.question_id, 0) AS question_id, coalesce(n.report_id, 0) AS report_id, coalesce(n.conversation_id, 0) AS conversation_id, n.message, coalesce(n.announcement_id, 0) AS announcement_id, n.created_at, n.read_at,
		n.reply_count AS count, coalesce(n.first_post_id, n.post_id, 0) AS first_post_id ` + visibleNotifications
	args := []any{userID}
	if before > 0 {
		// The cursor is the last row shown; the page goes on below where
		// that row is now (or the member's next older row, if it is gone).
		q += ` AND (n.created_at, n.id) < (SELECT c.created_at, c.id FROM notifications c WHERE c.user_id = ? AND c.id <= ? ORDER BY c.id DESC LIMIT 1)`
		args = append(args, userID, before)
	}
	q += ` ORDER BY n.created_at DESC, n.id DESC LIMIT ?`
	args = append(args, limit)
	var out []Item
	err := n.db.WithContext(ctx).Raw(q, args...).Scan(&out).Error
	return out, err
}

// MarkRead marks one of the user's notifications read (for replies, the
// one row of their thread).
func (n *InApp) MarkRead(ctx context.Context, userID, id int64) error {
	res := n.db.WithContext(ctx).Exec(`UPDATE notifications SET read_at = coalesce(read_at, ?) WHERE user_id = ? AND id = ?`,
		n.now().UTC(), userID, id)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("notify: notification %d: %w", id, models.ErrNotFound)
	}
	return nil
}

// ThreadUnreadFigure is SQL over $1 (a member) and t (a thread): do
// notifications about the thread wait unread for the member? The thread
// page asks with the thread (forums.Service.SetThreadUnread) and marks
// them read (MarkThreadRead) only then.
const ThreadUnreadFigure = `EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = $1 AND n.thread_id = t.id AND n.read_at IS NULL)`

// MarkThreadRead marks the user's unread notifications about a thread read:
// they opened it.
func (n *InApp) MarkThreadRead(ctx context.Context, userID, threadID int64) error {
	return n.db.WithContext(ctx).Exec(`UPDATE notifications SET read_at = ? WHERE user_id = ? AND thread_id = ? AND read_at IS NULL`,
		n.now().UTC(), userID, threadID).Error
}

// MarkAllRead marks every notification of the user read.
func (n *InApp) MarkAllRead(ctx context.Context, userID int64) error {
	return n.db.WithContext(ctx).Exec(`UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL`, n.now().UTC(), userID).Error
}
