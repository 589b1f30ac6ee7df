package forums

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/search"
	"github.com/kindred-health/kindred/models"
)

// RemovedByAuthor replaces the text of an erased member's posts and the
// title of their threads in mode delete.
const RemovedByAuthor = "Removed by its author, who left Kindred."

// EraseMember erases what forums holds of a member, inside the erasure's
// transaction: their memberships, follows (of forums, threads and
// members, both ways), reactions, bookmarks, drafts, read marks, mutes
// (both ways), idempotency keys and moderator seats are deleted. In mode
// delete their posts lose their text and revisions and are marked
// deleted, and their threads lose title and tags (replies by others stay,
// under a thread with no words of theirs; a thread with nothing but their
// posts is removed); in mode anonymise their posts stay, under the
// tombstone shown as "a former member". Every thread touched is indexed
// again, so search holds nothing of theirs either.
func (s *Service) EraseMember(ctx context.Context, tx *database.Tx, e models.Erasure) error {
	db := tx.WithContext(ctx)
	var threads []int64
	if err := db.Raw(`SELECT DISTINCT thread_id FROM posts WHERE author_id = ? UNION SELECT id FROM threads WHERE author_id = ?`, e.UserID, e.UserID).Scan(&threads).Error; err != nil {
		return fmt.Errorf("forums: erase %d: %w", e.UserID, err)
	}
	for _, q := range []string{
		`DELETE FROM forum_members WHERE user_id = @u`,
		`DELETE FROM forum_follows WHERE user_id = @u`,
		`DELETE FROM forum_moderators WHERE user_id = @u`,
		`DELETE FROM thread_follows WHERE user_id = @u`,
		`DELETE FROM reactions WHERE user_id = @u`,
		`DELETE FROM bookmarks WHERE user_id = @u`,
		`DELETE FROM drafts WHERE user_id = @u`,
		`DELETE FROM thread_reads WHERE user_id = @u`,
		`DELETE FROM mutes WHERE user_id = @u OR muted_id = @u`,
		`DELETE FROM member_follows WHERE user_id = @u OR followed_id = @u`,
		`DELETE FROM idempotency_keys WHERE user_id = @u`,
	} {
		if err := db.Exec(q, map[string]any{"u": e.UserID}).Error; err != nil {
			return fmt.Errorf("forums: erase %d: %w", e.UserID, err)
		}
	}
	if err := eraseResources(db, e.UserID); err != nil {
		return fmt.Errorf("forums: erase %d: %w", e.UserID, err)
	}
	if e.Mode == models.EraseDelete {
		now := s.now().UTC()
		html, err := s.md.Render(RemovedByAuthor)
		if err != nil {
			return err
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM post_revisions WHERE post_id IN (SELECT id FROM posts WHERE author_id = ?)`, []any{e.UserID}},
			{`UPDATE posts SET body = ?, body_html = ?, deleted_at = coalesce(deleted_at, ?) WHERE author_id = ?`, []any{RemovedByAuthor, html, now, e.UserID}},
			{`UPDATE threads SET title = ?, tags = ? WHERE author_id = ?`, []any{RemovedByAuthor, pq.StringArray{}, e.UserID}},
			// A thread nobody else wrote in has nothing left to read.
			{`UPDATE threads t SET visibility = 'removed' WHERE t.author_id = ? AND NOT EXISTS (
				SELECT 1 FROM posts p WHERE p.thread_id = t.id AND p.author_id <> t.author_id AND p.deleted_at IS NULL)`, []any{e.UserID}},
		} {
			if err := db.Exec(q.sql, q.args...).Error; err != nil {
				return fmt.Errorf("forums: erase %d: %w", e.UserID, err)
			}
		}
	}
	return search.Enqueue(ctx, tx, threads...)
}
