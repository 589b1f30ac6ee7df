package forums

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kindred-health/kindred/models"
)

// ThreadRow is one line of a forum page.
type ThreadRow struct {
	ID           int64  `json:"id"`
	ForumID      int64  `json:"forum_id"`
	Title        string `json:"title"`
	Anonymous    bool   `json:"anonymous"`
	AuthorHandle string `json:"author_handle"` // "" when anonymous
	Pinned       bool   `json:"pinned"`
	// PinnedGlobally: an admin pinned it on the home page.
	PinnedGlobally     bool               `json:"pinned_globally"`
	State              models.ThreadState `json:"state"`
	Visibility         models.Visibility  `json:"-"`
	ReplyCount         int                `json:"reply_count"`
	HasClinicianAnswer bool               `json:"has_clinician_answer"`
	Tags               []string           `json:"tags"`
	CreatedAt          time.Time          `json:"created_at"`
	LastPostAt         time.Time          `json:"last_post_at"`
	// ForumSlug and ForumName are set in lists across forums (Latest).
	ForumSlug string `json:"forum,omitempty"`
	ForumName string `json:"forum_name,omitempty"`
	// Unread counts the posts after the member's last visit, for a
	// thread they opened; New marks a recent thread they never opened.
	// Both stay zero for visitors.
	Unread int  `json:"unread_replies"`
	New    bool `json:"new"`
	// profileLink: the viewer may open the author's profile.
	profileLink bool
	authorID    int64
}

// threadCursor is the keyset position (pinned, last_post_at, id).
type threadCursor struct {
	Pinned bool
	At     time.Time
	ID     int64
}

func (c threadCursor) encode() string {
	p := "0"
	if c.Pinned {
		p = "1"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(p + "." + strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)))
}

func decodeThreadCursor(s string) (*threadCursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := func() error {
		v := models.NewValidationError()
		v.Message = "That page link is not valid. Go back to the first page."
		v.Add("cursor", "Not a valid page cursor.")
		return v
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad()
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 3 || (parts[0] != "0" && parts[0] != "1") {
		return nil, bad()
	}
	us, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return nil, bad()
	}
	return &threadCursor{Pinned: parts[0] == "1", At: time.UnixMicro(us).UTC(), ID: id}, nil
}

// Threads lists a forum's threads: pinned first, then latest activity,
// ThreadsPerPage at a time after cursor. next is "" on the last page.
// With answered, only threads a verified clinician replied to are listed.
func (s *Service) Threads(ctx context.Context, v Viewer, f *models.Forum, cursor string, answered bool) (rows []ThreadRow, next string, err error) {
	c, err := decodeThreadCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	// The page is cut in a subquery first, so the planner walks the listing
	// index and stops after one page instead of joining every later thread.
	// LIMIT is written into the SQL (ThreadsPerPage+1): as a parameter, a
	// cached generic plan cannot know the page is small.
	cond, args := ``, []any{f.ID}
	if answered {
		cond = ` AND t.has_clinician_answer`
	}
	if c != nil {
		cond += ` AND (t.pinned, t.last_post_at, t.id) < ($2, $3, $4)`
		args = append(args, c.Pinned, c.At, c.ID)
	}
	q := `SELECT t.id, t.forum_id, t.title, t.anonymous, CASE WHEN t.anonymous THEN '' ELSE u.handle END,
		t.pinned, t.state, t.visibility, t.reply_count, t.has_clinician_answer, t.tags, t.created_at, t.last_post_at,
		CASE WHEN t.anonymous THEN '' ELSE u.profile_visibility END, t.author_id, t.pinned_globally_at IS NOT NULL
		FROM (SELECT * FROM threads t WHERE t.forum_id = $1 AND t.visibility = 'visible'` + cond + `
		      ORDER BY t.pinned DESC, t.last_post_at DESC, t.id DESC LIMIT 31) t
		JOIN users u ON u.id = t.author_id
		ORDER BY t.pinned DESC, t.last_post_at DESC, t.id DESC`
	err = s.read(ctx, v, func(pool *pgxpool.Pool) error {
		dbRows, err := pool.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("forums: threads: %w", err)
		}
		defer dbRows.Close()
		rows = make([]ThreadRow, 0, ThreadsPerPage+1)
		for dbRows.Next() {
			var r ThreadRow
			var state, vis, profile string
			if err := dbRows.Scan(&r.ID, &r.ForumID, &r.Title, &r.Anonymous, &r.AuthorHandle, &r.Pinned, &state, &vis,
				&r.ReplyCount, &r.HasClinicianAnswer, &r.Tags, &r.CreatedAt, &r.LastPostAt, &profile, &r.authorID, &r.PinnedGlobally); err != nil {
				return fmt.Errorf("forums: threads: %w", err)
			}
			r.profileLink = !r.Anonymous && profileVisible(v, models.ProfileVisibility(profile), v.ID() == r.authorID)
			r.State, r.Visibility = models.ThreadState(state), models.Visibility(vis)
			if r.Tags == nil {
				r.Tags = []string{}
			}
			rows = append(rows, r)
		}
		if err := dbRows.Err(); err != nil {
			return fmt.Errorf("forums: threads: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if len(rows) > ThreadsPerPage {
		rows = rows[:ThreadsPerPage]
		last := rows[len(rows)-1]
		next = threadCursor{Pinned: last.Pinned, At: last.LastPostAt, ID: last.ID}.encode()
	}
	if err := s.markUnread(ctx, v, rows); err != nil {
		return nil, "", err
	}
	return rows, next, nil
}

// ThreadView is a thread with its forum and the viewer's relation to it.
type ThreadView struct {
	Thread       models.Thread
	Forum        models.Forum
	AuthorHandle string // "" when anonymous
	Following    bool
	// ProfileLink: the viewer may open the author's profile.
	ProfileLink bool `json:"-"`
	profileVis  string
	// PinnedGlobally: an admin pinned it on the home page (shown, like
	// Thread.Pinned, only while the thread is visible).
	PinnedGlobally bool
	// draft is the member's draft reply, read with the page (ThreadPage);
	// draftRead says it was.
	draft     *Draft
	draftRead bool
	// posts counts the member's posts up to the new-member limit, read
	// with the draft (reviewedFrom).
	posts int64
	// marks says lastRead and unreadNotes were read with the thread (a
	// member's ThreadPage): the member's read mark in the thread, and
	// whether notifications about it wait unread.
	marks       bool
	lastRead    int64
	unreadNotes bool
}

// Thread loads a thread v may see, with its forum and whether v follows
// it, in one query (pgx directly: this is on every thread page).
func (s *Service) Thread(ctx context.Context, v Viewer, id int64) (_ *ThreadView, err error) {
	defer wrap(&err, "forums: thread %d", id)
	return s.checkThread(v, id, s.db.Pool.QueryRow(ctx, threadSQL, v.ID(), id), false)
}

// checkThread scans a threadSQL row and applies the policy.
// With marks, the row is threadMarksSQL's: the member's read mark and
// unread notifications follow.
func (s *Service) checkThread(v Viewer, id int64, row pgx.Row, marks bool) (*ThreadView, error) {
	tv := &ThreadView{marks: marks}
	t, f := &tv.Thread, &tv.Forum
	var state, vis string
	var tags []string
	dest := []any{&t.ID, &t.ForumID, &t.AuthorID, &t.Title, &t.Anonymous, &state, &vis, &t.Pinned,
		&t.ReplyCount, &t.HasClinicianAnswer, &tags, &t.CreatedAt, &t.LastPostAt,
		&f.Slug, &f.Name, &f.Description, &f.GuidelinesHTML, &f.Sensitive, &f.ClinicianOnly, &f.ArchivedAt,
		&tv.AuthorHandle, &tv.Following, &tv.profileVis, &tv.PinnedGlobally}
	if marks {
		dest = append(dest, &tv.lastRead, &tv.unreadNotes)
	}
	err := row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("forums: thread %d: %w", id, models.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("forums: thread %d: %w", id, err)
	}
	t.State, t.Visibility, f.ID, t.Tags = models.ThreadState(state), models.Visibility(vis), t.ForumID, tags
	if t.Visibility != models.Visible {
		// A hidden thread keeps its marks but is not shown as pinned.
		t.Pinned, tv.PinnedGlobally = false, false
	}
	if !CanReadForum(v, f) {
		return nil, readError(v)
	}
	if !CanSeeThread(v, f, t) {
		return nil, fmt.Errorf("forums: thread %d: %w", id, models.ErrNotFound)
	}
	tv.ProfileLink = !t.Anonymous && profileVisible(v, models.ProfileVisibility(tv.profileVis), v.ID() == t.AuthorID)
	return tv, nil
}

// ThreadPage loads a thread and one page of its posts in a single round
// trip (a pgx batch). Posts fetched for a viewer the policy then refuses
// are dropped unread.
func (s *Service) ThreadPage(ctx context.Context, v Viewer, id, after, before int64) (_ *ThreadView, _ *PostPage, err error) {
	defer wrap(&err, "forums: thread %d page", id)
	var tv *ThreadView
	var rows []PostRow
	err = s.read(ctx, v, func(pool *pgxpool.Pool) error {
		b := &pgx.Batch{}
		marks := v.SignedIn()
		if marks {
			b.Queue(s.threadMarksSQL(), v.ID(), id)
		} else {
			b.Queue(threadSQL, v.ID(), id)
		}
		q, args := postsQuery(v, id, after, before)
		b.Queue(q, args...)
		if v.SignedIn() {
			// The reply draft rides along, with the member's posts
			// counted up to the new-member limit (the reply form says
			// when the next post waits for a moderator): one row.
			b.Queue(`SELECT d.title, d.body, d.updated_at, (`+postsUpToSQL+`)
				FROM (SELECT) one LEFT JOIN drafts d ON d.user_id = $1 AND d.thread_id = $3`, v.User.ID, s.newPostsLimit(v), id)
		}
		br := pool.SendBatch(ctx, b)
		var err error
		tv, err = s.checkThread(v, id, br.QueryRow(), marks)
		if err != nil {
			br.Close()
			return err
		}
		dbRows, err := br.Query()
		if err != nil {
			br.Close()
			return fmt.Errorf("forums: posts: %w", err)
		}
		rows, err = scanPosts(dbRows)
		if err == nil && v.SignedIn() {
			var title, body *string
			var updated *time.Time
			if err = br.QueryRow().Scan(&title, &body, &updated, &tv.posts); err != nil {
				err = fmt.Errorf("forums: draft: %w", err)
			} else if updated != nil {
				tv.draft = &Draft{ThreadID: id, Title: deref(title), Body: deref(body), UpdatedAt: *updated}
			}
			tv.draftRead = err == nil
		}
		if cerr := br.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("forums: thread page: %w", cerr)
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	page, err := s.finishPage(ctx, v, tv, rows, after, before)
	return tv, page, err
}
