package forums

import (
	"context"
	"fmt"
	"time"

	"kindred/app/database"
	"kindred/app/search"
	"kindred/models"
)

// MaxIndexedReplies bounds the reply text a thread's search document holds.
const MaxIndexedReplies = 20000

// ThreadDocument builds the search document of a thread, or nil when it
// must not be in the index (not visible). Documents never name authors.
func (s *Service) ThreadDocument(ctx context.Context, id int64) (*models.ThreadDoc, error) {
	var r struct {
		ID                 int64
		Title              string
		Visibility         string
		ReplyCount         int
		HasClinicianAnswer bool
		CreatedAt          time.Time
		LastPostAt         time.Time
		Slug, Name         string
		Sensitive          bool
		ClinicianOnly      bool
		FirstPost          string
		Replies            string
	}
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT t.id, t.title, t.visibility, t.reply_count, t.has_clinician_answer, t.created_at, t.last_post_at,
		f.slug, f.name, f.sensitive, f.clinician_only,
		coalesce((SELECT p.body FROM posts p WHERE p.thread_id = t.id ORDER BY p.id LIMIT 1), '') AS first_post,
		left(coalesce((SELECT string_agg(x.body, E'\n' ORDER BY x.id) FROM (SELECT p.id, p.body FROM posts p
			WHERE p.thread_id = t.id AND p.visibility = 'visible' AND p.deleted_at IS NULL ORDER BY p.id OFFSET 1 LIMIT 200) x), ''), ?) AS replies
		FROM threads t JOIN forums f ON f.id = t.forum_id WHERE t.id = ?`, MaxIndexedReplies, id).Scan(&r).Error
	if err != nil {
		return nil, fmt.Errorf("forums: search document %d: %w", id, err)
	}
	if r.ID == 0 || r.Visibility != string(models.Visible) {
		return nil, nil
	}
	var firstVisible bool
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT coalesce((SELECT p.visibility = 'visible' AND p.deleted_at IS NULL FROM posts p WHERE p.thread_id = ? ORDER BY p.id LIMIT 1), false)`, id).Scan(&firstVisible).Error; err != nil {
		return nil, err
	}
	if !firstVisible {
		r.FirstPost = ""
	}
	aud := models.AudiencePublic
	switch {
	case r.ClinicianOnly:
		aud = models.AudienceClinicians
	case r.Sensitive:
		aud = models.AudienceMembers
	}
	return &models.ThreadDoc{ID: r.ID, Title: search.Clean(r.Title), FirstPost: search.Clean(r.FirstPost), Replies: search.Clean(r.Replies), Forum: r.Slug, ForumName: r.Name, Audience: aud,
		HasClinicianAnswer: r.HasClinicianAnswer, ReplyCount: r.ReplyCount, CreatedAt: r.CreatedAt.Unix(), LastActivity: r.LastPostAt.Unix()}, nil
}

// indexLater asks for a thread's search document to be rewritten once tx
// commits (a River job in the same transaction: the write never waits on
// Meilisearch).
func indexLater(ctx context.Context, tx *database.Tx, threadID int64) error {
	return tx.Enqueue(ctx, models.IndexThreadArgs{ThreadID: threadID}, nil)
}

// AllThreadDocuments calls add with the documents of every visible
// thread, in batches of batch, for a full reindex.
func (s *Service) AllThreadDocuments(ctx context.Context, batch int, add func([]models.ThreadDoc) error) error {
	var after int64
	for {
		var ids []int64
		if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id FROM threads WHERE visibility = 'visible' AND id > ? ORDER BY id LIMIT ?`, after, batch).Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		docs := make([]models.ThreadDoc, 0, len(ids))
		for _, id := range ids {
			d, err := s.ThreadDocument(ctx, id)
			if err != nil {
				return err
			}
			if d != nil {
				docs = append(docs, *d)
			}
		}
		if err := add(docs); err != nil {
			return err
		}
		after = ids[len(ids)-1]
	}
}

// VisibleThreads lists every visible thread's id with its last activity
// (unix seconds), for checking the search index.
func (s *Service) VisibleThreads(ctx context.Context) (map[int64]int64, error) {
	var rows []struct {
		ID         int64
		LastPostAt time.Time
	}
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, last_post_at FROM threads WHERE visibility = 'visible'`).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.ID] = r.LastPostAt.Unix()
	}
	return out, nil
}
