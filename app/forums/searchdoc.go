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

// MaxIndexedReplies bounds the reply text a thread's search document holds.
const MaxIndexedReplies = 20000

// docsSQL builds the search documents of a set of threads in one query:
// the first post (when visible), the text of up to 200 visible replies, and
// the professions of the clinicians, verified now, who answered under
// their own name.
const docsSQL = `SELECT t.id, t.title, t.visibility, t.reply_count, t.has_clinician_answer, t.tags, t.created_at, t.last_post_at,
	f.slug, f.name, f.sensitive, f.clinician_only,
	coalesce(fp.id, 0) AS first_id, CASE WHEN fp.visible THEN fp.body ELSE '' END AS first_post,
	left(coalesce(r.replies, ''), @max) AS replies,
	coalesce(cp.professions, '{}') AS professions
	FROM threads t JOIN forums f ON f.id = t.forum_id
	LEFT JOIN LATERAL (SELECT p.id, p.body, p.visibility = 'visible' AND p.deleted_at IS NULL AS visible
		FROM posts p WHERE p.thread_id = t.id ORDER BY p.id LIMIT 1) fp ON true
	LEFT JOIN LATERAL (SELECT string_agg(x.body, E'\n' ORDER BY x.id) AS replies FROM (SELECT p.id, p.body FROM posts p
		WHERE p.thread_id = t.id AND p.id > fp.id AND p.visibility = 'visible' AND p.deleted_at IS NULL ORDER BY p.id LIMIT 200) x) r ON true
	LEFT JOIN LATERAL (SELECT array_agg(DISTINCT pr.label ORDER BY pr.label) AS professions
		FROM posts p JOIN credentials c ON c.user_id = p.author_id AND clinician_verified(c.status, c.verified_until, @now)
		JOIN professions pr ON pr.code = c.profession
		WHERE p.thread_id = t.id AND p.id > fp.id AND p.author_was_clinician AND NOT p.anonymous AND p.author_id <> t.author_id
			AND p.visibility = 'visible' AND p.deleted_at IS NULL) cp ON true
	WHERE t.id IN @ids`

// Documents builds threads' search documents (search.Source): the
// service's indexer uses it, and so do the search tools of cmd/kindred,
// which need nothing else from forums.
type Documents struct {
	db  *database.DB
	now func() time.Time
}

// NewDocuments builds the search documents' source.
func NewDocuments(db *database.DB, now func() time.Time) *Documents {
	return &Documents{db: db, now: now}
}

// ThreadDocuments builds the documents of the given threads. gone lists
// the threads that must not be in the index (not visible, or no longer
// there). Documents never name authors.
func (s *Documents) ThreadDocuments(ctx context.Context, ids []int64) (docs []models.ThreadDoc, gone []int64, err error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	var rows []struct {
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
		FirstPost          string
		Replies            string
		Professions        pq.StringArray `gorm:"type:text[]"`
	}
	err = s.db.Gorm.WithContext(ctx).Raw(docsSQL, map[string]any{"max": MaxIndexedReplies, "now": s.now().UTC(), "ids": ids}).Scan(&rows).Error
	if err != nil {
		return nil, nil, fmt.Errorf("forums: search documents: %w", err)
	}
	found := make(map[int64]bool, len(rows))
	for _, r := range rows {
		found[r.ID] = true
		if r.Visibility != string(models.Visible) {
			gone = append(gone, r.ID)
			continue
		}
		aud := models.ForumAudience(r.Sensitive, r.ClinicianOnly)
		d := models.ThreadDoc{ID: r.ID, Title: search.Clean(r.Title), FirstPost: search.Clean(r.FirstPost), Replies: search.Clean(r.Replies),
			Forum: r.Slug, ForumName: r.Name, Tags: nonNil(r.Tags), Audience: aud, HasClinicianAnswer: r.HasClinicianAnswer,
			ClinicianProfessions: nonNil(r.Professions), ReplyCount: r.ReplyCount, CreatedAt: r.CreatedAt.Unix(), LastActivity: r.LastPostAt.Unix()}
		search.Seal(&d)
		docs = append(docs, d)
	}
	for _, id := range ids {
		if !found[id] {
			gone = append(gone, id)
		}
	}
	return docs, gone, nil
}

func nonNil(a []string) []string {
	if a == nil {
		return []string{}
	}
	return a
}

// indexLater asks for a thread's search document to be rewritten once tx
// commits (the search queue, in the same transaction: the write never
// waits on Meilisearch).
func indexLater(ctx context.Context, tx *database.Tx, threadID int64) error {
	return search.Enqueue(ctx, tx, threadID)
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

// AllThreadDocuments calls add with the documents of every visible
// thread, in batches of batch (one query each), for a full reindex or a
// verification.
func (s *Documents) AllThreadDocuments(ctx context.Context, batch int, add func([]models.ThreadDoc) error) error {
	var after int64
	for {
		var ids []int64
		if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id FROM threads WHERE visibility = 'visible' AND id > ? ORDER BY id LIMIT ?`, after, batch).
			Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		docs, _, err := s.ThreadDocuments(ctx, ids)
		if err != nil {
			return err
		}
		if err := add(docs); err != nil {
			return err
		}
		after = ids[len(ids)-1]
	}
}

// IndexForumLater re-indexes every thread of a forum after tx commits.
func IndexForumLater(ctx context.Context, tx *database.Tx, forumID int64) error {
	return tx.Enqueue(ctx, models.IndexThreadsArgs{ForumID: forumID}, nil)
}
