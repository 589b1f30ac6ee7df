package forums

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kindred-health/kindred/models"
)

// PostRow is one post as a viewer sees it, as the posts query scans it
// and the thread page shows it: anonymous posts carry no author, deleted
// posts no text. The JSON API answers with postJSON (api.go).
type PostRow struct {
	ID                 int64
	ThreadID           int64
	AuthorHandle       string // "" when anonymous
	AuthorRole         string // "" when anonymous
	Anonymous          bool
	Mine               bool
	Body               string // markdown, only for the author
	BodyHTML           string
	AuthorWasClinician bool // verified when this post was written, and not revoked since
	// ClinicianBadge is "Registered nurse · Cardiology" while the author is
	// a verified clinician (never on anonymous posts), else "".
	ClinicianBadge string
	SupportCount   int
	HugCount       int
	MeTooCount     int
	HelpfulCount   int
	CreatedAt      time.Time
	EditedAt       *time.Time
	DeletedAt      *time.Time

	// ClinicianStatus is what the post shows of its author's verification:
	// ClinicianVerifiedNow (the live badge), ClinicianVerifiedWhenWritten
	// (a clinician's answer whose author is no longer verified, but was not
	// revoked) or "".
	ClinicianStatus string

	// Display fields, computed once in Go so the page template stays a
	// plain walk over values (template function calls are costly).
	mine       [4]bool // the viewer's reactions, in models.ReactionKinds order
	bookmarked bool    // by the viewer
	visibility string  // shown to moderators and, while pending, to the author
	muted      bool    // the viewer muted the author: the post is collapsed
	profileVis string  // the author's profile setting ("" when anonymous)
	// profileLink: the viewer may open the author's profile, so the name
	// links to it.
	profileLink bool
	PrevID      int64
	RoleLabel   string
}

// What a post shows of its author's verification (PostRow.ClinicianStatus).
const (
	ClinicianVerifiedNow         = "verified"
	ClinicianVerifiedWhenWritten = "verified_when_written"
)

// ClinicianWhenWrittenLabel is the note on a clinician's answer whose author
// is no longer verified (expired, not revoked).
const ClinicianWhenWrittenLabel = "Clinician at the time of writing"

// counts returns the reaction counts in models.ReactionKinds order.
func (r *PostRow) counts() [4]int {
	return [4]int{r.SupportCount, r.HugCount, r.MeTooCount, r.HelpfulCount}
}

// PostPage is a page of posts with links to its neighbours.
type PostPage struct {
	Posts  []PostRow
	Before int64 // the previous page ends before this post
	After  int64 // the next page starts after this post
}

// Posts returns one page of a thread's posts in order: the first page, the
// page after post id `after`, or the page before post id `before`. This is
// the hottest read in Kindred, so it scans with pgx directly.
func (s *Service) Posts(ctx context.Context, v Viewer, tv *ThreadView, after, before int64) (_ *PostPage, err error) {
	defer wrap(&err, "forums: posts of thread %d", tv.Thread.ID)
	q, args := postsQuery(v, tv.Thread.ID, after, before)
	var rows []PostRow
	err = s.read(ctx, v, func(pool *pgxpool.Pool) error {
		dbRows, err := pool.Query(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("forums: posts: %w", err)
		}
		rows, err = scanPosts(dbRows)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.finishPage(ctx, v, tv, rows, after, before)
}

// PageStart is where the page holding post postID starts for v (the post
// id its page comes after; 0 for the first page): pages hold
// PostsPerPage posts from the start, counting only posts v can see.
func (s *Service) PageStart(ctx context.Context, v Viewer, threadID, postID int64) (int64, error) {
	mods := make([]int64, 0, len(v.ModeratedForums))
	for id := range v.ModeratedForums {
		mods = append(mods, id)
	}
	const seen = `FROM posts p WHERE p.thread_id = $2 AND p.id < $3
		AND (p.visibility = 'visible' OR $4 OR (SELECT forum_id FROM threads WHERE id = $2) = ANY($5::bigint[])
		     OR (p.visibility = 'pending' AND p.author_id = $1))`
	args := []any{v.ID(), threadID, postID, v.IsStaff(), mods}
	var before int64
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) `+seen, args...).Scan(&before); err != nil {
		return 0, fmt.Errorf("forums: page of post %d: %w", postID, err)
	}
	start := before / PostsPerPage * PostsPerPage
	if start == 0 {
		return 0, nil
	}
	var after int64
	err := s.db.Pool.QueryRow(ctx, `SELECT p.id `+seen+` ORDER BY p.id OFFSET $6 LIMIT 1`, append(args, start-1)...).Scan(&after)
	if err != nil {
		return 0, fmt.Errorf("forums: page of post %d: %w", postID, err)
	}
	return after, nil
}

// postsQuery picks the page query and its arguments. Moderators see posts
// of every visibility in the forums they moderate.
func postsQuery(v Viewer, threadID, after, before int64) (string, []any) {
	uid := int64(0)
	mods := make([]int64, 0, len(v.ModeratedForums))
	if v.User != nil {
		uid = v.User.ID
		for id := range v.ModeratedForums {
			mods = append(mods, id)
		}
	}
	// LIMIT is written into the SQL (PostsPerPage+1): as a parameter, a cached
	// generic plan cannot know the page is small.
	now := v.Now.UTC()
	if before > 0 {
		return postsBeforeSQL, []any{uid, threadID, v.IsStaff(), before, mods, now}
	}
	return postsAfterSQL, []any{uid, threadID, v.IsStaff(), after, mods, now}
}

func scanPosts(dbRows pgx.Rows) ([]PostRow, error) {
	defer dbRows.Close()
	rows := make([]PostRow, 0, PostsPerPage+1)
	for dbRows.Next() {
		var r PostRow
		var mine []string
		if err := dbRows.Scan(&r.ID, &r.ThreadID, &r.Anonymous, &r.Mine, &r.AuthorHandle, &r.AuthorRole, &r.Body, &r.BodyHTML,
			&r.AuthorWasClinician, &r.SupportCount, &r.HugCount, &r.MeTooCount, &r.HelpfulCount, &r.CreatedAt, &r.EditedAt, &r.DeletedAt, &r.visibility, &r.muted, &r.ClinicianBadge, &r.profileVis,
			&mine, &r.bookmarked); err != nil {
			return nil, fmt.Errorf("forums: posts: %w", err)
		}
		for _, kind := range mine {
			for i, k := range models.ReactionKinds {
				if string(k) == kind {
					r.mine[i] = true
				}
			}
		}
		rows = append(rows, r)
	}
	if err := dbRows.Err(); err != nil {
		return nil, fmt.Errorf("forums: posts: %w", err)
	}
	return rows, nil
}

// finishPage trims a fetched page, works out its neighbours and adds the
// viewer's reactions.
func (s *Service) finishPage(ctx context.Context, v Viewer, tv *ThreadView, rows []PostRow, after, before int64) (*PostPage, error) {
	for i := range rows {
		r := &rows[i]
		r.profileLink = !r.Anonymous && profileVisible(v, models.ProfileVisibility(r.profileVis), r.Mine)
	}
	more := len(rows) > PostsPerPage
	if more {
		rows = rows[:PostsPerPage]
	}
	if before > 0 {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	page := &PostPage{Posts: rows}
	if len(rows) > 0 {
		if (before > 0 && more) || (before == 0 && after > 0) {
			page.Before = rows[0].ID
		}
		if (before == 0 && more) || before > 0 {
			page.After = rows[len(rows)-1].ID
			if before > 0 && !s.hasPostsAfter(ctx, v, tv, rows[len(rows)-1].ID) {
				page.After = 0
			}
		}
	}
	decorate(rows)
	return page, nil
}

func (s *Service) hasPostsAfter(ctx context.Context, v Viewer, tv *ThreadView, id int64) bool {
	var n int64
	s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM (SELECT 1 FROM posts p WHERE p.thread_id = ? AND (p.visibility = 'visible' OR ?) AND p.id > ? LIMIT 1) x`,
		tv.Thread.ID, v.ModeratesForum(&tv.Forum), id).Scan(&n)
	return n > 0
}

// decorate fills the display fields of each row.
func decorate(rows []PostRow) {
	for i := range rows {
		r := &rows[i]
		r.PrevID = r.ID - 1
		switch {
		case r.ClinicianBadge != "":
			r.ClinicianStatus = ClinicianVerifiedNow
		case r.AuthorWasClinician && !r.Anonymous:
			r.ClinicianStatus = ClinicianVerifiedWhenWritten
		}
		switch models.Role(r.AuthorRole) {
		case models.RoleAdmin:
			r.RoleLabel = "Admin"
		case models.RoleModerator:
			r.RoleLabel = "Moderator"
		}
	}
}

// ForumForPosting returns the id of the forum slug names when v may post
// there (CanPostIn): the forum an image is uploaded for. A forum v may not
// read is ErrNotFound, as everywhere.
func (s *Service) ForumForPosting(ctx context.Context, v Viewer, slug string) (int64, error) {
	fi, err := s.Forum(ctx, v, slug)
	if err != nil {
		return 0, err
	}
	if !CanPostIn(v, &fi.Forum) {
		return 0, actError(v, &fi.Forum)
	}
	return fi.ID, nil
}

// PostShown reports whether v may see post id (PostContext: the forum's
// audience, held, hidden and removed posts) and it is not deleted: an
// image a post shows is exactly as visible as the post. public is true
// when anyone may see it: a visible post of a visible thread in a public
// forum.
func (s *Service) PostShown(ctx context.Context, v Viewer, id int64) (public bool, err error) {
	pc, err := s.PostContext(ctx, v, id)
	if err != nil {
		return false, err
	}
	if pc.Post.DeletedAt != nil {
		return false, fmt.Errorf("forums: post %d: %w", id, models.ErrNotFound)
	}
	return pc.Forum.Audience() == models.AudiencePublic && pc.Post.Visibility == models.Visible && pc.Thread.Visibility == models.Visible, nil
}
