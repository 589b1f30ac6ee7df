package forums

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lib/pq"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/app/ratelimit"
	"github.com/kindred-health/kindred/models"
)

// Page sizes. The queries below write these plus one into their SQL
// ("LIMIT 31"); the array sizes stop the build if the two ever disagree.
const (
	ThreadsPerPage = 30
	PostsPerPage   = 30
)

var (
	_ [ThreadsPerPage + 1 - 31]struct{}
	_ [31 - ThreadsPerPage - 1]struct{}
	_ [PostsPerPage + 1 - 31]struct{}
	_ [31 - PostsPerPage - 1]struct{}
)

// Notifier fans a new post out to followers inside the post's transaction.
type Notifier interface {
	NotifyThreadFollowers(ctx context.Context, tx *gorm.DB, e models.NotificationEvent) error
	NotifyForumFollowers(ctx context.Context, tx *gorm.DB, e models.NotificationEvent) error
}

// Service implements forums, threads and posts.
type Service struct {
	// Documents are the threads' search documents (searchdoc.go).
	*Documents
	db        *database.DB
	now       func() time.Time
	md        *markdown.Renderer
	notifier  Notifier
	log       *slog.Logger
	checker   TextChecker // nil only when unchecked
	unchecked bool        // the demo seeder's own texts: saved without checks
	reporter  Reporter
	newMember int // first posts of a member that wait for approval
	// guidance and urgentTerms: the emergency guidance after urgent posts (urgent.go).
	guidance    Guidance
	urgentTerms []string
	limiter     *ratelimit.Limiter
}

// New builds the service. It fails when a collaborator is missing, so
// Kindred never starts with posts saved unchecked.
func New(db *database.DB, now func() time.Time, md *markdown.Renderer, n Notifier, log *slog.Logger, checks Checks) (*Service, error) {
	missing := checks.missing()
	if db == nil || now == nil || md == nil || n == nil || log == nil {
		missing = append(missing, "database, clock, Markdown renderer, notifier and logger")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("forums: New needs %s", strings.Join(missing, ", "))
	}
	return &Service{Documents: NewDocuments(db, now), db: db, now: now, md: md, notifier: n, log: log, limiter: ratelimit.New(db.Gorm, now),
		checker: checks.Text, reporter: checks.Reporter, guidance: checks.Guidance, newMember: checks.NewMemberApprovals,
		urgentTerms: checks.UrgentTerms, unchecked: checks.Unchecked}, nil
}

// PreviewLimit is how many previews a member may ask for: rendering costs
// CPU that every other request shares, and a preview writes nothing that
// would slow a script down otherwise.
var PreviewLimit = ratelimit.Rule{Max: 30, Window: time.Minute}

// Render turns markdown into sanitised HTML (for previews).
func (s *Service) Render(body string) (string, error) { return s.md.Render(body) }

// Preview renders body for u under PreviewLimit (pages and API share the
// count): past it, a *models.RateLimitedError (429 with Retry-After).
func (s *Service) Preview(ctx context.Context, u *models.User, body string) (string, error) {
	if u == nil {
		return "", models.ErrSignInRequired
	}
	if msg := input.Check("body", body); msg != "" {
		v := models.NewValidationError()
		v.Code = "invalid_text"
		v.Add("body", msg)
		return "", v
	}
	if err := s.limiter.Hit(ctx, "preview:user:"+strconv.FormatInt(u.ID, 10), PreviewLimit); err != nil {
		return "", err
	}
	return s.md.Render(body)
}

func wrapNotFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("forums: %s: %w", what, models.ErrNotFound)
	}
	return fmt.Errorf("forums: %s: %w", what, err)
}

// readError is the answer when v may not read a forum: exactly what a
// forum, thread or post that does not exist answers, so that nothing
// confirms a members-only or clinician-only place is there (every 404 page
// offers a signed-out visitor to sign in, whatever was asked for).
func readError(Viewer) error { return models.ErrNotFound }

// actError is the answer when v may not act in f (join, follow, post): as
// missing when v may not read it, else sign in first, else refused.
func actError(v Viewer, f *models.Forum) error {
	switch {
	case !CanReadForum(v, f):
		return models.ErrNotFound
	case !v.SignedIn():
		return models.ErrSignInRequired
	}
	return models.ErrForbidden
}

// ForumItem is a forum with the viewer's relation to it.
type ForumItem struct {
	models.Forum
	Joined    bool `json:"joined"`
	Following bool `json:"following"`
}

// Forums lists the forums v may read: active ones first by position, then archived.
func (s *Service) Forums(ctx context.Context, v Viewer, onlyJoined bool) ([]ForumItem, error) {
	uid := int64(0)
	if v.User != nil {
		uid = v.User.ID
	}
	q := `SELECT f.*, (fm.user_id IS NOT NULL) AS joined, (ff.user_id IS NOT NULL) AS following
		FROM forums f
		LEFT JOIN forum_members fm ON fm.forum_id = f.id AND fm.user_id = ?
		LEFT JOIN forum_follows ff ON ff.forum_id = f.id AND ff.user_id = ?`
	if onlyJoined {
		q += ` WHERE fm.user_id IS NOT NULL`
	}
	q += ` ORDER BY f.archived_at IS NOT NULL, f.position, f.name`
	var rows []ForumItem
	if err := s.db.Gorm.WithContext(ctx).Raw(q, uid, uid).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("forums: list: %w", err)
	}
	out := rows[:0]
	for _, r := range rows {
		if CanReadForum(v, &r.Forum) {
			out = append(out, r)
		}
	}
	return out, nil
}

// Forum finds a forum by slug that v may read (pgx directly: every forum
// page starts here).
func (s *Service) Forum(ctx context.Context, v Viewer, slug string) (*ForumItem, error) {
	if !slugPattern.MatchString(slug) {
		return nil, fmt.Errorf("forums: forum %q: %w", slug, models.ErrNotFound)
	}
	uid := int64(0)
	if v.User != nil {
		uid = v.User.ID
	}
	fi := &ForumItem{}
	f := &fi.Forum
	var specs []string
	err := s.read(ctx, v, func(pool *pgxpool.Pool) error {
		return pool.QueryRow(ctx, `SELECT f.id, f.slug, f.name, f.description, f.guidelines, f.guidelines_html, f.sensitive, f.clinician_only,
		f.specialties, f.position, f.thread_count, f.archived_at, f.created_at, f.updated_at,
		EXISTS (SELECT 1 FROM forum_members fm WHERE fm.forum_id = f.id AND fm.user_id = $1),
		EXISTS (SELECT 1 FROM forum_follows ff WHERE ff.forum_id = f.id AND ff.user_id = $1)
		FROM forums f WHERE f.slug = $2`, uid, slug).Scan(&f.ID, &f.Slug, &f.Name, &f.Description, &f.Guidelines, &f.GuidelinesHTML,
			&f.Sensitive, &f.ClinicianOnly, &specs, &f.Position, &f.ThreadCount, &f.ArchivedAt, &f.CreatedAt, &f.UpdatedAt, &fi.Joined, &fi.Following)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("forums: forum %q: %w", slug, models.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("forums: forum %q: %w", slug, err)
	}
	f.Specialties = specs
	if !CanReadForum(v, f) {
		return nil, readError(v)
	}
	return fi, nil
}

// SetMembership joins or leaves a forum.
func (s *Service) SetMembership(ctx context.Context, v Viewer, f *models.Forum, join bool) error {
	if !v.Active() || !CanReadForum(v, f) {
		return actError(v, f)
	}
	db := s.db.Gorm.WithContext(ctx)
	if join {
		if f.Archived() {
			return models.ErrForbidden
		}
		return db.Exec(`INSERT INTO forum_members (forum_id, user_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, f.ID, v.User.ID, s.now()).Error
	}
	return db.Exec(`DELETE FROM forum_members WHERE forum_id = ? AND user_id = ?`, f.ID, v.User.ID).Error
}

// SetForumFollow follows or unfollows a forum (notifications of new threads).
func (s *Service) SetForumFollow(ctx context.Context, v Viewer, f *models.Forum, follow bool) error {
	if !v.Active() || !CanReadForum(v, f) {
		return actError(v, f)
	}
	db := s.db.Gorm.WithContext(ctx)
	if follow {
		return db.Exec(`INSERT INTO forum_follows (forum_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, f.ID, v.User.ID, s.now()).Error
	}
	return db.Exec(`DELETE FROM forum_follows WHERE forum_id = ? AND user_id = ?`, f.ID, v.User.ID).Error
}

// ThreadRow is one line of a forum page.
type ThreadRow struct {
	ID                 int64              `json:"id"`
	ForumID            int64              `json:"forum_id"`
	Title              string             `json:"title"`
	Anonymous          bool               `json:"anonymous"`
	AuthorHandle       string             `json:"author_handle"` // "" when anonymous
	Pinned             bool               `json:"pinned"`
	State              models.ThreadState `json:"state"`
	Visibility         models.Visibility  `json:"-"`
	ReplyCount         int                `json:"reply_count"`
	HasClinicianAnswer bool               `json:"has_clinician_answer"`
	Tags               []string           `json:"tags"`
	CreatedAt          time.Time          `json:"created_at"`
	LastPostAt         time.Time          `json:"last_post_at"`
	// profileLink: the viewer may open the author's profile.
	profileLink bool
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
		CASE WHEN t.anonymous THEN '' ELSE u.profile_visibility END, t.author_id
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
			var authorID int64
			if err := dbRows.Scan(&r.ID, &r.ForumID, &r.Title, &r.Anonymous, &r.AuthorHandle, &r.Pinned, &state, &vis,
				&r.ReplyCount, &r.HasClinicianAnswer, &r.Tags, &r.CreatedAt, &r.LastPostAt, &profile, &authorID); err != nil {
				return fmt.Errorf("forums: threads: %w", err)
			}
			r.profileLink = !r.Anonymous && profileVisible(v, models.ProfileVisibility(profile), v.ID() == authorID)
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
}

const threadSQL = `SELECT t.id, t.forum_id, t.author_id, t.title, t.anonymous, t.state, t.visibility, t.pinned,
	t.reply_count, t.has_clinician_answer, t.tags, t.created_at, t.last_post_at,
	f.slug, f.name, f.description, f.guidelines_html, f.sensitive, f.clinician_only, f.archived_at,
	CASE WHEN t.anonymous THEN '' ELSE u.handle END,
	EXISTS (SELECT 1 FROM thread_follows tf WHERE tf.thread_id = t.id AND tf.user_id = $1),
	CASE WHEN t.anonymous THEN '' ELSE u.profile_visibility END
	FROM threads t JOIN forums f ON f.id = t.forum_id JOIN users u ON u.id = t.author_id
	WHERE t.id = $2`

// Thread loads a thread v may see, with its forum and whether v follows
// it, in one query (pgx directly: this is on every thread page).
func (s *Service) Thread(ctx context.Context, v Viewer, id int64) (*ThreadView, error) {
	return s.checkThread(v, id, s.db.Pool.QueryRow(ctx, threadSQL, v.ID(), id))
}

// checkThread scans a threadSQL row and applies the policy.
func (s *Service) checkThread(v Viewer, id int64, row pgx.Row) (*ThreadView, error) {
	tv := &ThreadView{}
	t, f := &tv.Thread, &tv.Forum
	var state, vis string
	var tags []string
	err := row.Scan(&t.ID, &t.ForumID, &t.AuthorID, &t.Title, &t.Anonymous, &state, &vis, &t.Pinned,
		&t.ReplyCount, &t.HasClinicianAnswer, &tags, &t.CreatedAt, &t.LastPostAt,
		&f.Slug, &f.Name, &f.Description, &f.GuidelinesHTML, &f.Sensitive, &f.ClinicianOnly, &f.ArchivedAt,
		&tv.AuthorHandle, &tv.Following, &tv.profileVis)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("forums: thread %d: %w", id, models.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("forums: thread %d: %w", id, err)
	}
	t.State, t.Visibility, f.ID, t.Tags = models.ThreadState(state), models.Visibility(vis), t.ForumID, tags
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
func (s *Service) ThreadPage(ctx context.Context, v Viewer, id, after, before int64) (*ThreadView, *PostPage, error) {
	var tv *ThreadView
	var rows []PostRow
	err := s.read(ctx, v, func(pool *pgxpool.Pool) error {
		b := &pgx.Batch{}
		b.Queue(threadSQL, v.ID(), id)
		q, args := postsQuery(v, id, after, before)
		b.Queue(q, args...)
		br := pool.SendBatch(ctx, b)
		var err error
		tv, err = s.checkThread(v, id, br.QueryRow())
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

// PostRow is one post as a viewer sees it: anonymous posts carry no
// author, deleted posts no text.
type PostRow struct {
	ID                 int64  `json:"id"`
	ThreadID           int64  `json:"thread_id"`
	AuthorHandle       string `json:"author_handle"` // "" when anonymous
	AuthorRole         string `json:"author_role"`   // "" when anonymous
	Anonymous          bool   `json:"anonymous"`
	Mine               bool   `json:"mine"`
	Body               string `json:"body,omitempty"` // markdown, only for the author
	BodyHTML           string `json:"body_html"`
	AuthorWasClinician bool   `json:"author_was_clinician"` // verified when this post was written, and not revoked since
	// ClinicianBadge is "Registered nurse · Cardiology" while the author is
	// a verified clinician (never on anonymous posts), else "".
	ClinicianBadge string                       `json:"clinician_badge"`
	SupportCount   int                          `json:"-"`
	HugCount       int                          `json:"-"`
	MeTooCount     int                          `json:"-"`
	HelpfulCount   int                          `json:"-"`
	Reactions      map[models.ReactionKind]int  `json:"reactions" gorm:"-"`              // filled for the API only
	MyReactions    map[models.ReactionKind]bool `json:"my_reactions,omitempty" gorm:"-"` // filled for the API only
	CreatedAt      time.Time                    `json:"created_at"`
	EditedAt       *time.Time                   `json:"edited_at"`
	DeletedAt      *time.Time                   `json:"deleted_at"`

	// ClinicianStatus is what the post shows of its author's verification:
	// ClinicianVerifiedNow (the live badge), ClinicianVerifiedWhenWritten
	// (a clinician's answer whose author is no longer verified, but was not
	// revoked) or "".
	ClinicianStatus string `json:"clinician_status"`

	// Display fields, computed once in Go so the page template stays a
	// plain walk over values (template function calls are costly).
	mine       [4]bool // the viewer's reactions, in models.ReactionKinds order
	visibility string  // shown to moderators and, while pending, to the author
	muted      bool    // the viewer muted the author: the post is collapsed
	profileVis string  // the author's profile setting ("" when anonymous)
	// profileLink: the viewer may open the author's profile, so the name
	// links to it.
	profileLink bool
	PrevID      int64  `json:"-" gorm:"-"`
	RoleLabel   string `json:"-" gorm:"-"`
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

// withMaps fills the JSON maps of reactions.
func (r *PostRow) withMaps() {
	c := r.counts()
	r.Reactions = make(map[models.ReactionKind]int, 4)
	r.MyReactions = map[models.ReactionKind]bool{}
	for i, k := range models.ReactionKinds {
		r.Reactions[k] = c[i]
		if r.mine[i] {
			r.MyReactions[k] = true
		}
	}
}

// PostPage is a page of posts with links to its neighbours.
type PostPage struct {
	Posts  []PostRow `json:"posts"`
	Before int64     `json:"before,omitempty"` // pass as ?before= for the previous page
	After  int64     `json:"after,omitempty"`  // pass as ?after= for the next page
}

// badgeSQL is a clinician's badge text, "Registered nurse · Cardiology",
// from a credentials row c joined with its profession pr.
const badgeSQL = `pr.label || coalesce(' · ' || (SELECT string_agg(sp.label, ', ' ORDER BY array_position(c.specialties, sp.code))
	FROM specialties sp WHERE sp.code = ANY(c.specialties)), '')`

// postsSQL reads one page of posts; %s is the page condition and order.
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
	CASE WHEN p.anonymous THEN '' ELSE u.profile_visibility END
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

// Posts returns one page of a thread's posts in order: the first page, the
// page after post id `after`, or the page before post id `before`. This is
// the hottest read in Kindred, so it scans with pgx directly.
func (s *Service) Posts(ctx context.Context, v Viewer, tv *ThreadView, after, before int64) (*PostPage, error) {
	q, args := postsQuery(v, tv.Thread.ID, after, before)
	var rows []PostRow
	err := s.read(ctx, v, func(pool *pgxpool.Pool) error {
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
		if err := dbRows.Scan(&r.ID, &r.ThreadID, &r.Anonymous, &r.Mine, &r.AuthorHandle, &r.AuthorRole, &r.Body, &r.BodyHTML,
			&r.AuthorWasClinician, &r.SupportCount, &r.HugCount, &r.MeTooCount, &r.HelpfulCount, &r.CreatedAt, &r.EditedAt, &r.DeletedAt, &r.visibility, &r.muted, &r.ClinicianBadge, &r.profileVis); err != nil {
			return nil, fmt.Errorf("forums: posts: %w", err)
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
	uid := int64(0)
	if v.User != nil {
		uid = v.User.ID
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
	if err := s.fillReactions(ctx, uid, rows); err != nil {
		return nil, err
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

// fillReactions sets counts and the viewer's own reactions with one query.
func (s *Service) fillReactions(ctx context.Context, uid int64, rows []PostRow) error {
	ids := make([]int64, 0, len(rows))
	for i := range rows {
		ids = append(ids, rows[i].ID)
	}
	if uid == 0 || len(ids) == 0 {
		return nil
	}
	byID := make(map[int64]*PostRow, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	mine, err := s.db.Pool.Query(ctx, `SELECT post_id, kind FROM reactions WHERE user_id = $1 AND post_id = ANY($2)`, uid, ids)
	if err != nil {
		return fmt.Errorf("forums: reactions: %w", err)
	}
	defer mine.Close()
	for mine.Next() {
		var id int64
		var kind string
		if err := mine.Scan(&id, &kind); err != nil {
			return fmt.Errorf("forums: reactions: %w", err)
		}
		if r := byID[id]; r != nil {
			for i, k := range models.ReactionKinds {
				if string(k) == kind {
					r.mine[i] = true
				}
			}
		}
	}
	return mine.Err()
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

// claimKey records an idempotency key inside tx with the fingerprint of
// the request it came with. When the key was used before for the same
// request, it returns the id of what the first request created; for a
// different request (another kind, place or text) it refuses with 422
// idempotency_key_reused rather than answering with the first result.
func claimKey(ctx context.Context, tx *gorm.DB, userID int64, key, kind, fingerprint string, now time.Time) (existing int64, err error) {
	if key == "" {
		return 0, nil
	}
	res := tx.WithContext(ctx).Exec(`INSERT INTO idempotency_keys (user_id, key, result_kind, request_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		userID, key, kind, fingerprint, now)
	if res.Error != nil {
		return 0, res.Error
	}
	if res.RowsAffected == 1 {
		return 0, nil
	}
	var row struct {
		ResultKind  string
		ResultID    *int64
		RequestHash *string
	}
	if err := tx.WithContext(ctx).Raw(`SELECT result_kind, result_id, request_hash FROM idempotency_keys WHERE user_id = ? AND key = ?`, userID, key).Scan(&row).Error; err != nil {
		return 0, err
	}
	// Keys stored before fingerprints were kept (request_hash NULL) are
	// judged by their kind alone.
	if row.ResultKind != kind || row.ResultID == nil || (row.RequestHash != nil && *row.RequestHash != fingerprint) {
		v := models.NewValidationError()
		v.Code = "idempotency_key_reused"
		v.Message = "That Idempotency-Key was already used for a different request."
		v.Add("idempotency_key", "Use a new key for a new request.")
		return 0, v
	}
	return *row.ResultID, nil
}

// requestFingerprint identifies what a write asks for: its kind, where
// (forum or thread id) and its checked form, so a key reused with
// another text is told apart from a retry.
func requestFingerprint(kind string, where int64, form any) string {
	js, err := json.Marshal(form)
	if err != nil {
		panic("forums: fingerprint: " + err.Error()) // plain structs always marshal
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", kind, where)
	h.Write(js)
	return hex.EncodeToString(h.Sum(nil))
}

func recordKey(ctx context.Context, tx *gorm.DB, userID int64, key string, id int64) error {
	if key == "" {
		return nil
	}
	return tx.WithContext(ctx).Exec(`UPDATE idempotency_keys SET result_id = ? WHERE user_id = ? AND key = ?`, id, userID, key).Error
}

func checkKey(key string) (string, error) {
	key = strings.TrimSpace(key)
	if key != "" && !validIdempotencyKey(key) {
		v := models.NewValidationError()
		v.Add("idempotency_key", "An idempotency key is 1 to 100 visible ASCII characters.")
		return "", v
	}
	return key, nil
}

// prepareWrite checks what a new thread or reply needs beyond its form
// and renders its markdown: anonymity only where allowed, a well-formed
// idempotency key.
func (s *Service) prepareWrite(f *models.Forum, anonymous bool, key, body string) (string, string, error) {
	if anonymous && !CanPostAnonymously(f) {
		v := models.NewValidationError()
		v.Add("anonymous", "Anonymous posting is only for sensitive forums.")
		return "", "", v
	}
	key, err := checkKey(key)
	if err != nil {
		return "", "", err
	}
	html, err := s.md.Render(body)
	if err != nil {
		return "", "", fmt.Errorf("forums: render: %w", err)
	}
	return key, html, nil
}

func actorOf(u *models.User, anonymous bool) *int64 {
	if anonymous {
		return nil
	}
	id := u.ID
	return &id
}

// CreateThread starts a thread with its first post. The thread, post,
// follow and notifications commit together; a repeated idempotency key
// returns the thread the first request made.
func (s *Service) CreateThread(ctx context.Context, v Viewer, f *models.Forum, form ThreadForm, key string) (*models.Thread, error) {
	if !CanPostIn(v, f) {
		return nil, actError(v, f)
	}
	if err := form.Validate(); err != nil {
		return nil, err
	}
	key, html, err := s.prepareWrite(f, form.Anonymous, key, form.Body)
	if err != nil {
		return nil, err
	}
	sc, vis, err := s.screenNew(ctx, v, form.Title+"\n"+form.Body+"\n"+strings.Join(form.Tags, " "), form.ConfirmPersonal)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var t models.Thread
	var shown CrisisShown
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		existing, err := claimKey(ctx, tx.DB, v.User.ID, key, "thread", requestFingerprint("thread", f.ID, fingerprintThread(form)), now)
		if err != nil {
			return err
		}
		if existing > 0 {
			return tx.First(&t, existing).Error
		}
		t = models.Thread{ForumID: f.ID, AuthorID: v.User.ID, Title: form.Title, Anonymous: form.Anonymous, State: models.ThreadOpen,
			Visibility: vis, Tags: pq.StringArray(form.Tags), CreatedAt: now, LastPostAt: now}
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		p := models.Post{ThreadID: t.ID, AuthorID: v.User.ID, Body: form.Body, BodyHTML: html, Anonymous: form.Anonymous, Visibility: models.Visible,
			AuthorWasClinician: v.Clinician && !form.Anonymous, CreatedAt: now}
		if err := tx.Create(&p).Error; err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE forums SET thread_count = thread_count + 1 WHERE id = ?`, f.ID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO thread_follows (thread_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, t.ID, v.User.ID, now).Error; err != nil {
			return err
		}
		if err := s.notifier.NotifyForumFollowers(ctx, tx.DB, models.NotificationEvent{Kind: models.NotifyNewThread, ActorID: actorOf(v.User, form.Anonymous),
			ForumID: f.ID, ThreadID: t.ID, PostID: p.ID, Exclude: v.User.ID}); err != nil {
			return err
		}
		if shown, err = s.afterWrite(ctx, tx, sc, models.TargetThread, t.ID, f.ID); err != nil {
			return err
		}
		if err := indexLater(ctx, tx, t.ID); err != nil {
			return err
		}
		return recordKey(ctx, tx.DB, v.User.ID, key, t.ID)
	})
	if err != nil {
		return nil, err
	}
	t.Crisis, t.CrisisLevel, t.CrisisPanel, t.CrisisTold = shown.Panel != "", shown.Level.String(), shown.Panel, shown.Told
	return &t, nil
}

// Reply adds a post to a thread. Counters are updated under the thread's
// row lock, so concurrent replies all count.
func (s *Service) Reply(ctx context.Context, v Viewer, tv *ThreadView, form PostForm, key string) (*models.Post, error) {
	if !CanReply(v, &tv.Forum, &tv.Thread) {
		if tv.Thread.State == models.ThreadLocked && CanPostIn(v, &tv.Forum) {
			v := models.NewValidationError()
			v.Message = "This thread is locked: it takes no more replies."
			v.Add("body", "The thread is locked.")
			return nil, v
		}
		if !v.SignedIn() {
			return nil, models.ErrSignInRequired
		}
		return nil, models.ErrForbidden
	}
	if err := form.Validate(); err != nil {
		return nil, err
	}
	key, html, err := s.prepareWrite(&tv.Forum, form.Anonymous, key, form.Body)
	if err != nil {
		return nil, err
	}
	sc, vis, err := s.screenNew(ctx, v, form.Body, form.ConfirmPersonal)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var p models.Post
	var shown CrisisShown
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		existing, err := claimKey(ctx, tx.DB, v.User.ID, key, "post", requestFingerprint("post", tv.Thread.ID, fingerprintPost(form)), now)
		if err != nil {
			return err
		}
		if existing > 0 {
			return tx.First(&p, existing).Error
		}
		var t models.Thread
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&t, tv.Thread.ID).Error; err != nil {
			return wrapNotFound(err, "thread")
		}
		if t.Visibility == models.Pending {
			v := models.NewValidationError()
			v.Message = "This thread is waiting for a moderator's approval: replies can be added once it is published."
			v.Add("body", "The thread awaits review.")
			return v
		}
		if t.State != models.ThreadOpen || t.Visibility != models.Visible {
			v := models.NewValidationError()
			v.Message = "This thread no longer takes replies."
			v.Add("body", "The thread is locked.")
			return v
		}
		// A verified clinician's reply, under their name, to someone else's
		// thread answers it.
		clinician := v.Clinician && !form.Anonymous
		p = models.Post{ThreadID: t.ID, AuthorID: v.User.ID, Body: form.Body, BodyHTML: html, Anonymous: form.Anonymous, Visibility: vis,
			AuthorWasClinician: clinician, CreatedAt: now}
		if err := tx.Create(&p).Error; err != nil {
			return err
		}
		// The reply count and last activity follow the post's visibility
		// (trigger posts_thread_counts): a held reply does not count yet.
		if err := tx.Exec(`UPDATE threads SET has_clinician_answer = has_clinician_answer OR ? WHERE id = ?`,
			clinician && t.AuthorID != v.User.ID && vis == models.Visible, t.ID).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO thread_follows (thread_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, t.ID, v.User.ID, now).Error; err != nil {
			return err
		}
		if err := s.notifier.NotifyThreadFollowers(ctx, tx.DB, models.NotificationEvent{Kind: models.NotifyReply, ActorID: actorOf(v.User, form.Anonymous),
			ForumID: tv.Forum.ID, ThreadID: t.ID, PostID: p.ID, Exclude: v.User.ID}); err != nil {
			return err
		}
		if shown, err = s.afterWrite(ctx, tx, sc, models.TargetPost, p.ID, tv.Forum.ID); err != nil {
			return err
		}
		if err := indexLater(ctx, tx, t.ID); err != nil {
			return err
		}
		return recordKey(ctx, tx.DB, v.User.ID, key, p.ID)
	})
	if err != nil {
		return nil, err
	}
	p.Crisis, p.CrisisLevel, p.CrisisPanel, p.CrisisTold = shown.Panel != "", shown.Level.String(), shown.Panel, shown.Told
	return &p, nil
}

// PostContext is a post with its thread and forum, for permission checks.
type PostContext struct {
	Post   models.Post
	Thread models.Thread
	Forum  models.Forum
}

// PostContext loads a post v may see.
func (s *Service) PostContext(ctx context.Context, v Viewer, id int64) (*PostContext, error) {
	var pc PostContext
	db := s.db.Gorm.WithContext(ctx)
	if err := db.First(&pc.Post, id).Error; err != nil {
		return nil, wrapNotFound(err, fmt.Sprintf("post %d", id))
	}
	if err := db.First(&pc.Thread, pc.Post.ThreadID).Error; err != nil {
		return nil, wrapNotFound(err, "thread")
	}
	if err := db.First(&pc.Forum, pc.Thread.ForumID).Error; err != nil {
		return nil, wrapNotFound(err, "forum")
	}
	if !CanReadForum(v, &pc.Forum) {
		return nil, readError(v)
	}
	ownHeld := pc.Post.Visibility == models.Pending && v.User != nil && pc.Post.AuthorID == v.User.ID
	if !CanSeeThread(v, &pc.Forum, &pc.Thread) || (pc.Post.Visibility != models.Visible && !ownHeld && !v.ModeratesForum(&pc.Forum)) {
		return nil, fmt.Errorf("forums: post %d: %w", id, models.ErrNotFound)
	}
	return &pc, nil
}

// EditPost replaces a post's text, keeping the old text as a revision.
// Edits by moderators of someone else's post are audited. It returns what
// the author is to be shown about the new text's crisis level (nothing when
// someone else edited it).
func (s *Service) EditPost(ctx context.Context, v Viewer, pc *PostContext, form PostForm) (CrisisShown, error) {
	var shown CrisisShown
	if !CanEditPost(v, &pc.Forum, pc.Post.AuthorID, &pc.Post) {
		return shown, models.ErrForbidden
	}
	if err := form.Validate(); err != nil {
		return shown, err
	}
	sc, err := s.screen(ctx, form.Body, form.ConfirmPersonal)
	if err != nil {
		return shown, err
	}
	html, err := s.md.Render(form.Body)
	if err != nil {
		return shown, err
	}
	now := s.now().UTC()
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var p models.Post
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&p, pc.Post.ID).Error; err != nil {
			return wrapNotFound(err, "post")
		}
		if p.DeletedAt != nil {
			return models.ErrForbidden
		}
		if p.Body == form.Body {
			return nil
		}
		if err := tx.Create(&models.PostRevision{PostID: p.ID, EditorID: v.User.ID, Body: p.Body, Reason: "edit", CreatedAt: now}).Error; err != nil {
			return err
		}
		cols := map[string]any{"body": form.Body, "body_html": html, "edited_at": now}
		if sc.pending && p.Visibility == models.Visible {
			cols["visibility"] = models.Pending
		}
		if err := tx.Model(&models.Post{}).Where("id = ?", p.ID).Updates(cols).Error; err != nil {
			return err
		}
		if shown, err = s.afterWrite(ctx, tx, sc, models.TargetPost, p.ID, pc.Forum.ID); err != nil {
			return err
		}
		if err := indexLater(ctx, tx, pc.Thread.ID); err != nil {
			return err
		}
		if p.AuthorID != v.User.ID {
			shown = CrisisShown{} // the author is not the one reading the answer
			return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &v.User.ID, Action: "post.edit", TargetKind: "post", TargetID: &p.ID})
		}
		return nil
	})
	return shown, err
}

// SetTags replaces a thread's tags (its author or the forum's moderators;
// a moderator's change is audited) and re-indexes it.
func (s *Service) SetTags(ctx context.Context, v Viewer, tv *ThreadView, tags []string) ([]string, error) {
	if !CanEditTags(v, &tv.Forum, &tv.Thread) {
		return nil, models.ErrForbidden
	}
	verr := models.NewValidationError()
	tags = checkTags(verr, tags)
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	sc, err := s.screen(ctx, strings.Join(tags, " "), true)
	if err != nil {
		return nil, err
	}
	if sc.pending || sc.result.Crisis || len(sc.result.Flagged) > 0 {
		verr.Add("tags", "One of these tags is on the forum's watched list. Please choose other words.")
		return nil, verr
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Exec(`UPDATE threads SET tags = ? WHERE id = ?`, pq.StringArray(tags), tv.Thread.ID).Error; err != nil {
			return err
		}
		if err := indexLater(ctx, tx, tv.Thread.ID); err != nil {
			return err
		}
		if tv.Thread.AuthorID != v.User.ID {
			return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &v.User.ID, Action: "thread.tags", TargetKind: "thread", TargetID: &tv.Thread.ID,
				Reason: strings.Join(tags, ", ")})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tags, nil
}

// DeletePost removes a post's text from view; the text stays in a revision.
func (s *Service) DeletePost(ctx context.Context, v Viewer, pc *PostContext) error {
	if !CanDeletePost(v, &pc.Forum, pc.Post.AuthorID, &pc.Post) {
		return models.ErrForbidden
	}
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var p models.Post
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&p, pc.Post.ID).Error; err != nil {
			return wrapNotFound(err, "post")
		}
		if p.DeletedAt != nil {
			return nil
		}
		if err := tx.Create(&models.PostRevision{PostID: p.ID, EditorID: v.User.ID, Body: p.Body, Reason: "delete", CreatedAt: now}).Error; err != nil {
			return err
		}
		if err := tx.Model(&models.Post{}).Where("id = ?", p.ID).Updates(map[string]any{"body": "", "body_html": "", "deleted_at": now}).Error; err != nil {
			return err
		}
		return indexLater(ctx, tx, pc.Thread.ID)
	})
}

// RevisionRow is an earlier text of a post, for moderators.
type RevisionRow struct {
	ID           int64     `json:"id"`
	EditorHandle string    `json:"editor_handle"`
	Body         string    `json:"body"`
	Reason       string    `json:"reason"`
	CreatedAt    time.Time `json:"created_at"`
}

// Revisions lists a post's earlier texts, oldest first.
func (s *Service) Revisions(ctx context.Context, v Viewer, pc *PostContext) ([]RevisionRow, error) {
	if !CanSeeRevisions(v, &pc.Forum) {
		return nil, models.ErrForbidden
	}
	var out []RevisionRow
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT r.id, u.handle AS editor_handle, r.body, r.reason, r.created_at
		FROM post_revisions r JOIN users u ON u.id = r.editor_id WHERE r.post_id = ? ORDER BY r.id`, pc.Post.ID).Scan(&out).Error
	return out, err
}

// SetReaction adds (on) or removes a reaction; repeating either is a no-op.
func (s *Service) SetReaction(ctx context.Context, v Viewer, pc *PostContext, kind models.ReactionKind, on bool) error {
	if !kind.Valid() {
		return fmt.Errorf("forums: reaction %q: %w", kind, models.ErrNotFound)
	}
	if !CanReact(v, &pc.Forum) {
		if !v.SignedIn() {
			return models.ErrSignInRequired
		}
		return models.ErrForbidden
	}
	if pc.Post.DeletedAt != nil {
		return models.ErrForbidden
	}
	col := kind.Column()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var res *gorm.DB
		delta := "+ 1"
		if on {
			res = tx.Exec(`INSERT INTO reactions (post_id, user_id, kind, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, pc.Post.ID, v.User.ID, kind, s.now().UTC())
		} else {
			res = tx.Exec(`DELETE FROM reactions WHERE post_id = ? AND user_id = ? AND kind = ?`, pc.Post.ID, v.User.ID, kind)
			delta = "- 1"
		}
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return tx.Exec(`UPDATE posts SET `+col+` = `+col+` `+delta+` WHERE id = ?`, pc.Post.ID).Error
	})
}

// HasReacted reports whether v gave kind to the post.
func (s *Service) HasReacted(ctx context.Context, v Viewer, postID int64, kind models.ReactionKind) (bool, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM reactions WHERE post_id = ? AND user_id = ? AND kind = ?`, postID, v.User.ID, kind).Scan(&n).Error
	return n > 0, err
}

// SetThreadFollow follows or unfollows a thread.
func (s *Service) SetThreadFollow(ctx context.Context, v Viewer, tv *ThreadView, follow bool) error {
	if !v.Active() {
		return models.ErrSignInRequired
	}
	db := s.db.Gorm.WithContext(ctx)
	if follow {
		return db.Exec(`INSERT INTO thread_follows (thread_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, tv.Thread.ID, v.User.ID, s.now()).Error
	}
	return db.Exec(`DELETE FROM thread_follows WHERE thread_id = ? AND user_id = ?`, tv.Thread.ID, v.User.ID).Error
}
