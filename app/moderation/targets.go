package moderation

import (
	"context"
	"fmt"

	"github.com/lib/pq"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/models"
)

// Target is what a report is about, as a moderator sees it.
type Target struct {
	Kind          string `json:"kind"`
	ID            int64  `json:"id"`
	ForumID       *int64 `json:"-"`
	ForumSlug     string `json:"forum,omitempty"`
	ThreadID      int64  `json:"thread_id,omitempty"`
	Title         string `json:"title,omitempty"`
	BodyHTML      string `json:"body_html,omitempty"`
	AuthorID      int64  `json:"-"`
	AuthorHandle  string `json:"author,omitempty"` // "" when anonymous
	Anonymous     bool   `json:"anonymous"`
	Visibility    string `json:"visibility,omitempty"`
	ThreadState   string `json:"thread_state,omitempty"`
	ClinicianOnly bool   `json:"-"`
	QuestionAsker int64  `json:"-"`
	QuestionHeld  int64  `json:"-"`
	// Participants are the members of a private message's conversation.
	Participants pq.Int64Array `json:"-" gorm:"type:bigint[]"`
}

// Link is where the target is shown on the site ("" for private content).
func (t *Target) Link() string {
	switch t.Kind {
	case models.TargetPost:
		return fmt.Sprintf("/t/%d?after=%d#post-%d", t.ThreadID, t.ID-1, t.ID)
	case models.TargetThread:
		return fmt.Sprintf("/t/%d", t.ID)
	case models.TargetUser:
		return "/members/" + t.AuthorHandle
	}
	return ""
}

// load finds a report target with what moderation needs. A message of a
// private question is loaded here only for its participants (reporting it);
// moderators reach one only through reportedMessage.
func (s *Service) load(ctx context.Context, db *gorm.DB, kind string, id int64) (*Target, error) {
	t := &Target{Kind: kind, ID: id}
	var err error
	switch kind {
	case models.TargetPost:
		err = db.WithContext(ctx).Raw(`SELECT t.forum_id, f.slug AS forum_slug, p.thread_id, t.title, p.body_html, p.author_id,
			CASE WHEN p.anonymous THEN '' ELSE u.handle END AS author_handle, p.anonymous,
			CASE WHEN p.deleted_at IS NOT NULL THEN 'deleted' ELSE p.visibility END AS visibility, t.state AS thread_state, f.clinician_only
			FROM posts p JOIN threads t ON t.id = p.thread_id JOIN forums f ON f.id = t.forum_id JOIN users u ON u.id = p.author_id
			WHERE p.id = ?`, id).Scan(t).Error
	case models.TargetThread:
		err = db.WithContext(ctx).Raw(`SELECT t.forum_id, f.slug AS forum_slug, t.id AS thread_id, t.title,
			(SELECT p.body_html FROM posts p WHERE p.thread_id = t.id ORDER BY p.id LIMIT 1) AS body_html, t.author_id,
			CASE WHEN t.anonymous THEN '' ELSE u.handle END AS author_handle, t.anonymous, t.visibility, t.state AS thread_state, f.clinician_only
			FROM threads t JOIN forums f ON f.id = t.forum_id JOIN users u ON u.id = t.author_id
			WHERE t.id = ?`, id).Scan(t).Error
	case models.TargetUser:
		err = db.WithContext(ctx).Raw(`SELECT id AS author_id, handle AS author_handle FROM users WHERE id = ?`, id).Scan(t).Error
	case models.TargetQuestionMessage:
		err = db.WithContext(ctx).Raw(`SELECT m.body_html, m.author_id, u.handle AS author_handle, q.asker_id AS question_asker,
			coalesce(q.assignee_id, 0) AS question_held
			FROM question_messages m JOIN questions q ON q.id = m.question_id JOIN users u ON u.id = m.author_id
			WHERE m.id = ?`, id).Scan(t).Error
	case models.TargetMessage:
		err = db.WithContext(ctx).Raw(`SELECT m.body_html, coalesce(m.author_id, 0) AS author_id, coalesce(u.handle, '') AS author_handle,
			(SELECT array_agg(cm.user_id) FROM conversation_members cm WHERE cm.conversation_id = m.conversation_id) AS participants
			FROM messages m LEFT JOIN users u ON u.id = m.author_id
			WHERE m.id = ?`, id).Scan(t).Error
	default:
		return nil, fmt.Errorf("moderation: target kind %q: %w", kind, models.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if t.AuthorID == 0 {
		return nil, fmt.Errorf("moderation: %s %d: %w", kind, id, models.ErrNotFound)
	}
	t.Kind, t.ID = kind, id
	return t, nil
}

// LoadTarget is load for handlers that show a report form: only targets u
// may see are found.
func (s *Service) LoadTarget(ctx context.Context, actor models.Actor, kind string, id int64) (*Target, error) {
	t, err := s.load(ctx, s.db.Gorm, kind, id)
	if err != nil {
		return nil, err
	}
	ok, err := s.canSee(actor, t)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, models.ErrNotFound
	}
	return t, nil
}
