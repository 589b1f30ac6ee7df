package forums

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/search"
	"github.com/kindred-health/kindred/models"
)

// threadDocsSQL reads what a set of threads' search documents share: the
// thread and its forum, its first post (the head document's), and the
// professions of the clinicians, verified now, who answered under their
// own name.
const threadDocsSQL = `SELECT t.id, t.title, t.visibility, t.reply_count, t.has_clinician_answer, t.tags, t.created_at, t.last_post_at,
	f.slug, f.name, f.sensitive, f.clinician_only,
	coalesce(fp.id, 0) AS first_id,
	coalesce(cp.professions, '{}') AS professions
	FROM threads t JOIN forums f ON f.id = t.forum_id
	LEFT JOIN LATERAL (SELECT p.id FROM posts p WHERE p.thread_id = t.id ORDER BY p.id LIMIT 1) fp ON true
	LEFT JOIN LATERAL (SELECT array_agg(DISTINCT pr.label ORDER BY pr.label) AS professions
		FROM posts p JOIN credentials c ON c.user_id = p.author_id AND clinician_verified(c.status, c.verified_until, @now)
		JOIN professions pr ON pr.code = c.profession
		WHERE p.thread_id = t.id AND p.id > fp.id AND p.author_was_clinician AND NOT p.anonymous AND p.author_id <> t.author_id
			AND p.visibility = 'visible' AND p.deleted_at IS NULL) cp ON true
	WHERE t.id IN @ids`

// postDocsSQL reads the posts the documents are made of: every post of
// the threads written whole, and the listed posts and heads of the others.
// A post that is not visible brings no text.
const postDocsSQL = `SELECT p.id, p.thread_id, p.visibility = 'visible' AND p.deleted_at IS NULL AS visible,
	CASE WHEN p.visibility = 'visible' AND p.deleted_at IS NULL THEN p.body ELSE '' END AS body
	FROM posts p
	WHERE p.thread_id = ANY(@threads) AND (p.thread_id = ANY(@whole) OR p.id = ANY(@posts))
	ORDER BY p.id`

// Documents builds search documents (search.Source): the service's
// indexer uses it, and so do the search tools of cmd/kindred, which need
// nothing else from forums.
type Documents struct {
	db  *database.DB
	now func() time.Time
}

// NewDocuments builds the search documents' source.
func NewDocuments(db *database.DB, now func() time.Time) *Documents {
	return &Documents{db: db, now: now}
}

type threadDocRow struct {
	ID                 int64
	Title              string
	Visibility         string
	ReplyCount         int
	HasClinicianAnswer bool
	Tags               pq.StringArray `gorm:"type:text[]"`
	CreatedAt          time.Time
	LastPostAt         time.Time
	Slug, Name         string
	Sensitive          bool
	ClinicianOnly      bool
	FirstID            int64
	Professions        pq.StringArray `gorm:"type:text[]"`
}

// SearchDocuments says what the index must do for the changes (search.Source).
// A visible thread always has a head document (its first post, with no
// text when that post is not visible), which carries the thread's current
// counts. Documents never name authors.
func (s *Documents) SearchDocuments(ctx context.Context, changes []search.Change) (*search.Batch, error) {
	b := &search.Batch{}
	if len(changes) == 0 {
		return b, nil
	}
	ids := make([]int64, 0, len(changes))
	for _, ch := range changes {
		ids = append(ids, ch.ThreadID)
	}
	var rows []threadDocRow
	if err := s.db.Gorm.WithContext(ctx).Raw(threadDocsSQL, map[string]any{"now": s.now().UTC(), "ids": ids}).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("forums: search documents: %w", err)
	}
	base := make(map[int64]models.PostDoc, len(rows))
	firstID := make(map[int64]int64, len(rows))
	found := make(map[int64]bool, len(rows))
	for _, r := range rows {
		found[r.ID] = true
		if r.Visibility != string(models.Visible) {
			b.GoneThreads = append(b.GoneThreads, r.ID)
			continue
		}
		base[r.ID] = models.PostDoc{ThreadID: r.ID, Title: search.Clean(r.Title), Forum: r.Slug, ForumName: r.Name, Tags: nonNil(r.Tags),
			Audience: models.ForumAudience(r.Sensitive, r.ClinicianOnly), HasClinicianAnswer: r.HasClinicianAnswer,
			ClinicianProfessions: nonNil(r.Professions), ReplyCount: r.ReplyCount, CreatedAt: r.CreatedAt.Unix(), LastActivity: r.LastPostAt.Unix()}
		firstID[r.ID] = r.FirstID
	}
	var live, whole, posts []int64
	listed := map[int64]bool{}
	for _, ch := range changes {
		if !found[ch.ThreadID] {
			b.GoneThreads = append(b.GoneThreads, ch.ThreadID)
			continue
		}
		if _, ok := base[ch.ThreadID]; !ok {
			continue
		}
		live = append(live, ch.ThreadID)
		if ch.Whole {
			whole = append(whole, ch.ThreadID)
			continue
		}
		posts = append(posts, firstID[ch.ThreadID])
		for _, p := range ch.Posts {
			posts = append(posts, p)
			listed[p] = true
		}
	}
	if len(live) == 0 {
		return b, nil
	}
	var prows []struct {
		ID, ThreadID int64
		Visible      bool
		Body         string
	}
	if err := s.db.Gorm.WithContext(ctx).Raw(postDocsSQL, map[string]any{"threads": pq.Array(live), "whole": pq.Array(whole), "posts": pq.Array(posts)}).
		Scan(&prows).Error; err != nil {
		return nil, fmt.Errorf("forums: search documents: %w", err)
	}
	for _, p := range prows {
		delete(listed, p.ID)
		d, ok := base[p.ThreadID]
		if !ok {
			continue
		}
		head := p.ID == firstID[p.ThreadID]
		if !p.Visible && !head {
			b.GonePosts = append(b.GonePosts, p.ID)
			continue
		}
		// A hidden or removed opening post keeps its thread findable by
		// title, with no text and no post id: nobody else could open it.
		postID := p.ID
		if !p.Visible {
			postID = 0
		}
		d.ID, d.PostID, d.Head, d.Body = models.PostDocID(p.ID), postID, head, search.Clean(p.Body)
		search.Seal(&d)
		b.Docs = append(b.Docs, d)
	}
	for p := range listed { // listed, but no longer there
		b.GonePosts = append(b.GonePosts, p)
	}
	return b, nil
}

func nonNil(a []string) []string {
	if a == nil {
		return []string{}
	}
	return a
}

// indexLater asks for every search document of a thread to be written
// again once tx commits (the search queue, in the same transaction: the
// write never waits on Meilisearch): what a change to the thread itself
// needs.
func indexLater(ctx context.Context, tx *database.Tx, threadID int64) error {
	return search.Enqueue(ctx, tx, threadID)
}

// indexPostLater asks for one post's search document (and its thread's
// head, which carries the counts) to be written or removed once tx
// commits: what a reply, an edit or a deletion needs. The indexer writes
// the thread whole when its own fields changed too.
func indexPostLater(ctx context.Context, tx *database.Tx, threadID, postID int64) error {
	return search.EnqueuePosts(ctx, tx, threadID, postID)
}

// ThreadIDs calls fn with batches of the ids of every thread of a forum
// or every thread a clinician replied to. After a revocation the latter
// finds nothing (the posts no longer count as a clinician's):
// VerificationEnded enqueues those threads itself.
func (s *Documents) ThreadIDs(ctx context.Context, args models.IndexThreadsArgs, batch int, fn func(ids []int64) error) error {
	var q string
	var arg int64
	switch {
	case args.ForumID != 0:
		q, arg = `SELECT id FROM threads WHERE forum_id = ? AND id > ? ORDER BY id LIMIT ?`, args.ForumID
	case args.Clinician != 0:
		q, arg = `SELECT DISTINCT thread_id FROM posts WHERE author_id = ? AND author_was_clinician AND thread_id > ?
			ORDER BY thread_id LIMIT ?`, args.Clinician
	default:
		return nil
	}
	var after int64
	for {
		var ids []int64
		if err := s.db.Gorm.WithContext(ctx).Raw(q, arg, after, batch).Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := fn(ids); err != nil {
			return err
		}
		after = ids[len(ids)-1]
	}
}

// allDocsThreads is how many threads AllDocuments reads at a time.
const allDocsThreads = 200

// AllDocuments calls add with every document the index must hold, at most
// batch at a time, for a full reindex or a verification.
func (s *Documents) AllDocuments(ctx context.Context, batch int, add func([]models.PostDoc) error) error {
	var after int64
	for {
		var ids []int64
		if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id FROM threads WHERE visibility = 'visible' AND id > ? ORDER BY id LIMIT ?`, after, allDocsThreads).
			Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		changes := make([]search.Change, len(ids))
		for i, id := range ids {
			changes[i] = search.Change{ThreadID: id, Whole: true}
		}
		b, err := s.SearchDocuments(ctx, changes)
		if err != nil {
			return err
		}
		for docs := b.Docs; len(docs) > 0; {
			n := min(len(docs), max(batch, 1))
			if err := add(docs[:n]); err != nil {
				return err
			}
			docs = docs[n:]
		}
		after = ids[len(ids)-1]
	}
}

// IndexForumLater re-indexes every thread of a forum after tx commits.
func IndexForumLater(ctx context.Context, tx *database.Tx, forumID int64) error {
	return tx.Enqueue(ctx, models.IndexThreadsArgs{ForumID: forumID}, nil)
}
