package forums

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kindred-health/kindred/models"
)

// NewThreadWindow is how long a thread the member never opened counts as
// "new" (threads started before they joined never do).
const NewThreadWindow = 7 * 24 * time.Hour

// LatestPerPage is how many threads the Latest page shows at a time.
const LatestPerPage = ThreadsPerPage

// MarkRead records that v was shown thread threadID up to postID and
// returns the mark before (0: the thread was never opened). A mark never
// goes back: reading an earlier page leaves it.
func (s *Service) MarkRead(ctx context.Context, v Viewer, threadID, postID int64) (prev int64, err error) {
	if v.User == nil || postID <= 0 {
		return 0, nil
	}
	// Seeing nothing new writes nothing: the INSERT gets no row, so no
	// conflict is handled and no row is locked (a page view stays a read).
	err = s.db.Pool.QueryRow(ctx, `WITH old AS (SELECT last_read_post_id FROM thread_reads WHERE user_id = $1 AND thread_id = $2),
		up AS (INSERT INTO thread_reads (user_id, thread_id, last_read_post_id, read_at)
			SELECT $1, $2, $3, $4 WHERE coalesce((SELECT last_read_post_id FROM old), 0) < $3
			ON CONFLICT (user_id, thread_id) DO UPDATE SET last_read_post_id = excluded.last_read_post_id, read_at = excluded.read_at
			WHERE thread_reads.last_read_post_id < excluded.last_read_post_id)
		SELECT coalesce((SELECT last_read_post_id FROM old), 0)`, v.User.ID, threadID, postID, s.now().UTC()).Scan(&prev)
	if err != nil {
		return 0, fmt.Errorf("forums: mark thread %d read: %w", threadID, err)
	}
	return prev, nil
}

// MarkReadTo is MarkRead for the API: postID must be a post of the
// thread that v can see.
func (s *Service) MarkReadTo(ctx context.Context, v Viewer, tv *ThreadView, postID int64) error {
	var ok bool
	err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM posts WHERE id = $1 AND thread_id = $2 AND visibility = 'visible' AND deleted_at IS NULL)`,
		postID, tv.Thread.ID).Scan(&ok)
	if err != nil {
		return fmt.Errorf("forums: mark read: %w", err)
	}
	if !ok {
		verr := models.NewValidationError()
		verr.Add("post_id", "Give the id of a post of this thread.")
		return verr
	}
	_, err = s.MarkRead(ctx, v, tv.Thread.ID, postID)
	return err
}

// LastRead is v's mark in a thread (0: never opened).
func (s *Service) LastRead(ctx context.Context, v Viewer, threadID int64) (int64, error) {
	if v.User == nil {
		return 0, nil
	}
	var id int64
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce((SELECT last_read_post_id FROM thread_reads WHERE user_id = $1 AND thread_id = $2), 0)`,
		v.User.ID, threadID).Scan(&id)
	return id, err
}

// FirstUnread is the first visible post after v's mark, 0 when none.
func (s *Service) FirstUnread(ctx context.Context, v Viewer, threadID int64) (int64, error) {
	if v.User == nil {
		return 0, nil
	}
	var id int64
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce((SELECT min(p.id) FROM posts p WHERE p.thread_id = $2 AND p.visibility = 'visible' AND p.deleted_at IS NULL
		AND p.id > coalesce((SELECT last_read_post_id FROM thread_reads WHERE user_id = $1 AND thread_id = $2), 0)), 0)`, v.User.ID, threadID).Scan(&id)
	return id, err
}

// newSince is when threads v never opened stop counting as new.
func newSince(v Viewer) time.Time {
	since := v.Now.Add(-NewThreadWindow)
	if v.User != nil && v.User.CreatedAt.After(since) {
		since = v.User.CreatedAt
	}
	return since
}

// markUnread sets Unread (visible posts after the member's mark, for
// threads they opened) and New (threads started lately by someone else
// that they never opened) on rows.
func (s *Service) markUnread(ctx context.Context, v Viewer, rows []ThreadRow) error {
	if v.User == nil || len(rows) == 0 {
		return nil
	}
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	dbRows, err := s.db.Pool.Query(ctx, `SELECT r.thread_id, (SELECT count(*) FROM posts p WHERE p.thread_id = r.thread_id AND p.id > r.last_read_post_id
		AND p.visibility = 'visible' AND p.deleted_at IS NULL) FROM thread_reads r WHERE r.user_id = $1 AND r.thread_id = ANY($2)`, v.User.ID, ids)
	if err != nil {
		return fmt.Errorf("forums: unread: %w", err)
	}
	defer dbRows.Close()
	unread := map[int64]int{}
	for dbRows.Next() {
		var id int64
		var n int
		if err := dbRows.Scan(&id, &n); err != nil {
			return fmt.Errorf("forums: unread: %w", err)
		}
		unread[id] = n
	}
	if err := dbRows.Err(); err != nil {
		return fmt.Errorf("forums: unread: %w", err)
	}
	since := newSince(v)
	for i := range rows {
		r := &rows[i]
		if n, opened := unread[r.ID]; opened {
			r.Unread = n
		} else {
			r.New = r.authorID != v.User.ID && r.CreatedAt.After(since)
		}
	}
	return nil
}

// unreadByForum counts, per forum, the threads with posts v has not read
// (of those they opened) and the new ones they never opened.
func (s *Service) unreadByForum(ctx context.Context, v Viewer) (map[int64]int, error) {
	out := map[int64]int{}
	if v.User == nil {
		return out, nil
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT forum_id, count(*) FROM (
		SELECT t.forum_id FROM thread_reads r JOIN threads t ON t.id = r.thread_id
		WHERE r.user_id = $1 AND t.visibility = 'visible' AND EXISTS (SELECT 1 FROM posts p WHERE p.thread_id = t.id
			AND p.id > r.last_read_post_id AND p.visibility = 'visible' AND p.deleted_at IS NULL)
		UNION ALL
		SELECT t.forum_id FROM threads t WHERE t.visibility = 'visible' AND t.created_at > $2 AND t.author_id <> $1
			AND NOT EXISTS (SELECT 1 FROM thread_reads r WHERE r.user_id = $1 AND r.thread_id = t.id)
		) x GROUP BY forum_id`, v.User.ID, newSince(v))
	if err != nil {
		return nil, fmt.Errorf("forums: unread by forum: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f int64
		var n int
		if err := rows.Scan(&f, &n); err != nil {
			return nil, fmt.Errorf("forums: unread by forum: %w", err)
		}
		out[f] = n
	}
	return out, rows.Err()
}

// Latest lists the threads with the latest activity in every forum v may
// read, LatestPerPage at a time after cursor (limit caps it, for the home
// page's short list), with v's unread marks.
func (s *Service) Latest(ctx context.Context, v Viewer, cursor string, limit int) (rows []ThreadRow, next string, err error) {
	c, err := decodeThreadCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > LatestPerPage {
		limit = LatestPerPage
	}
	moderated := make([]int64, 0, len(v.ModeratedForums))
	for id := range v.ModeratedForums {
		moderated = append(moderated, id)
	}
	args := []any{v.Audiences(), moderated}
	cond := ``
	if c != nil {
		cond = ` AND (t.last_post_at, t.id) < ($3, $4)`
		args = append(args, c.At, c.ID)
	}
	// Staff moderate every forum: their audiences already include all.
	q := `SELECT t.id, t.forum_id, t.title, t.anonymous, CASE WHEN t.anonymous THEN '' ELSE u.handle END,
		t.pinned, t.state, t.visibility, t.reply_count, t.has_clinician_answer, t.tags, t.created_at, t.last_post_at,
		CASE WHEN t.anonymous THEN '' ELSE u.profile_visibility END, t.author_id, f.slug, f.name, t.pinned_globally_at IS NOT NULL
		FROM (SELECT t.* FROM threads t JOIN forums f ON f.id = t.forum_id
		      WHERE t.visibility = 'visible' AND (` + models.ForumAudienceSQL("f") + ` = ANY($1) OR f.id = ANY($2))` + cond + `
		      ORDER BY t.last_post_at DESC, t.id DESC LIMIT ` + fmt.Sprint(limit+1) + `) t
		JOIN users u ON u.id = t.author_id JOIN forums f ON f.id = t.forum_id
		ORDER BY t.last_post_at DESC, t.id DESC`
	err = s.read(ctx, v, func(pool *pgxpool.Pool) error {
		dbRows, err := pool.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("forums: latest: %w", err)
		}
		defer dbRows.Close()
		for dbRows.Next() {
			var r ThreadRow
			var state, vis, profile string
			if err := dbRows.Scan(&r.ID, &r.ForumID, &r.Title, &r.Anonymous, &r.AuthorHandle, &r.Pinned, &state, &vis,
				&r.ReplyCount, &r.HasClinicianAnswer, &r.Tags, &r.CreatedAt, &r.LastPostAt, &profile, &r.authorID, &r.ForumSlug, &r.ForumName, &r.PinnedGlobally); err != nil {
				return fmt.Errorf("forums: latest: %w", err)
			}
			r.profileLink = !r.Anonymous && profileVisible(v, models.ProfileVisibility(profile), v.ID() == r.authorID)
			r.State, r.Visibility = models.ThreadState(state), models.Visibility(vis)
			if r.Tags == nil {
				r.Tags = []string{}
			}
			rows = append(rows, r)
		}
		return dbRows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = threadCursor{At: last.LastPostAt, ID: last.ID}.encode()
	}
	if err := s.markUnread(ctx, v, rows); err != nil {
		return nil, "", err
	}
	return rows, next, nil
}
