package forums

// The forums' named queries, and how a read reaches the database. Writes
// run their statements inside the service's transactions (posts_write.go,
// follows.go, reactions.go, content.go); the two hottest reads (a thread
// and its posts, measured in docs/performance.md) scan with pgx directly;
// the rest goes through GORM.

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kindred-health/kindred/models"
)

// threadCols and threadFrom make up threadSQL: a thread with its forum
// and author, and whether $1 follows it.
const (
	threadCols = `SELECT t.id, t.forum_id, t.author_id, t.title, t.anonymous, t.state, t.visibility, t.pinned,
	t.reply_count, t.has_clinician_answer, t.tags, t.created_at, t.last_post_at,
	f.slug, f.name, f.description, f.guidelines_html, f.sensitive, f.clinician_only, f.archived_at,
	CASE WHEN t.anonymous THEN '' ELSE u.handle END,
	EXISTS (SELECT 1 FROM thread_follows tf WHERE tf.thread_id = t.id AND tf.user_id = $1),
	CASE WHEN t.anonymous THEN '' ELSE u.profile_visibility END,
	t.pinned_globally_at IS NOT NULL`
	threadFrom = `
	FROM threads t JOIN forums f ON f.id = t.forum_id JOIN users u ON u.id = t.author_id
	WHERE t.id = $2`
	threadSQL = threadCols + threadFrom
)

// threadMarksSQL is threadSQL for a member's thread page, with their read
// mark in the thread and whether notifications about it wait unread (the
// notifier's SQL, SetThreadUnread; false without one): a member opening a
// thread they have read writes nothing.
func (s *Service) threadMarksSQL() string {
	if s.threadMarks == "" {
		return threadMarks("false")
	}
	return s.threadMarks
}

func threadMarks(unread string) string {
	return threadCols + `,
	coalesce((SELECT last_read_post_id FROM thread_reads WHERE user_id = $1 AND thread_id = t.id), 0), ` + unread + threadFrom
}

// SetThreadUnread gives the SQL (over $1, the member, and t, the thread)
// that says notifications about the thread wait unread for the member:
// the thread page marks them read only then.
func (s *Service) SetThreadUnread(expr string) { s.threadMarks = threadMarks(expr) }

// read runs a page's read: for a signed-out visitor on the replica when
// there is one (database.DB.Visitor: the primary when it is down), for a
// member always on the primary, which holds their own latest writes.
// A thread or forum the replica does not have yet (it lags) is read again
// on the primary: a link to a brand-new thread must not answer 404.
func (s *Service) read(ctx context.Context, v Viewer, fn func(*pgxpool.Pool) error) error {
	if v.User == nil {
		err := s.db.Visitor(ctx, fn)
		if s.db.Replica != nil && (errors.Is(err, models.ErrNotFound) || errors.Is(err, pgx.ErrNoRows)) {
			return fn(s.db.Pool)
		}
		return err
	}
	return fn(s.db.Pool)
}

// badgeSQL is a clinician's badge text, "Registered nurse · Cardiology",
// from a credentials row c joined with its profession pr.
const badgeSQL = `pr.label || coalesce(' · ' || (SELECT string_agg(sp.label, ', ' ORDER BY array_position(c.specialties, sp.code))
	FROM specialties sp WHERE sp.code = ANY(c.specialties)), '')`

// postsSQL reads one page of posts; %s is the page condition and order.
// A member's own reactions and bookmarks come with each post (two index
// probes per post), not in a round trip of their own.
// The page is cut in a subquery before authors are joined.
const postsSQL = `SELECT p.id, p.thread_id, p.anonymous, (p.author_id = $1) AS mine,
	CASE WHEN p.anonymous THEN '' ELSE u.handle END,
	CASE WHEN p.anonymous THEN '' ELSE u.role END,
	CASE WHEN p.author_id = $1 AND p.deleted_at IS NULL THEN p.body ELSE '' END,
	CASE WHEN p.deleted_at IS NULL THEN p.body_html ELSE '' END,
	p.author_was_clinician, p.support_count, p.hug_count, p.me_too_count, p.helpful_count,
	p.created_at, p.edited_at, p.deleted_at, p.visibility,
	(NOT p.anonymous AND EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = $1 AND m.muted_id = p.author_id)) AS muted,
	CASE WHEN c.id IS NULL THEN '' ELSE ` + badgeSQL + ` END,
	CASE WHEN p.anonymous THEN '' ELSE u.profile_visibility END,
	CASE WHEN $1 = 0 THEN '{}'::text[] ELSE ARRAY(SELECT r.kind FROM reactions r WHERE r.post_id = p.id AND r.user_id = $1) END,
	($1 <> 0 AND EXISTS (SELECT 1 FROM bookmarks b WHERE b.user_id = $1 AND b.post_id = p.id))
	FROM (SELECT * FROM posts p WHERE p.thread_id = $2
	        AND (p.visibility = 'visible' OR $3 OR (SELECT forum_id FROM threads WHERE id = $2) = ANY($5::bigint[])
	             OR (p.visibility = 'pending' AND p.author_id = $1))
	        AND %s LIMIT 31) p
	JOIN users u ON u.id = p.author_id
	LEFT JOIN credentials c ON c.user_id = p.author_id AND clinician_verified(c.status, c.verified_until, $6) AND NOT p.anonymous
	LEFT JOIN professions pr ON pr.code = c.profession %s`

var (
	postsAfterSQL  = fmt.Sprintf(postsSQL, `p.id > $4 ORDER BY p.id`, `ORDER BY p.id`)
	postsBeforeSQL = fmt.Sprintf(postsSQL, `p.id < $4 ORDER BY p.id DESC`, `ORDER BY p.id DESC`)
)
