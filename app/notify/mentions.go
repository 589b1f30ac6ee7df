package notify

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/models"
)

// NotifyMentions tells the members mentioned in a post, among handles,
// that may read it: active, not the author, not muting the author, and in
// the forum's audience (or moderating it). Nobody else learns anything,
// not even that the thread exists. It returns who was told, so that the
// followers' fan-out does not tell them twice.
func (n *InApp) NotifyMentions(ctx context.Context, tx *gorm.DB, e Event, handles []string, audience string) ([]int64, error) {
	if len(handles) == 0 {
		return nil, nil
	}
	lower := make([]string, len(handles))
	for i, h := range handles {
		lower[i] = strings.ToLower(h)
	}
	may := `TRUE`
	args := []any{models.NotifyMention, e.ActorID, e.ForumID, e.ThreadID, e.PostID, n.now().UTC(), lower, e.Exclude, e.Exclude}
	if audience == models.AudienceClinicians {
		may = `(u.role IN ('admin', 'moderator') OR EXISTS (SELECT 1 FROM forum_moderators fm WHERE fm.forum_id = ? AND fm.user_id = u.id)
			OR EXISTS (SELECT 1 FROM credentials c WHERE c.user_id = u.id AND clinician_verified(c.status, c.verified_until, ?)))`
		args = append(args, e.ForumID, n.now().UTC())
	}
	var told []int64
	err := tx.WithContext(ctx).Raw(`INSERT INTO notifications (user_id, kind, actor_id, forum_id, thread_id, post_id, created_at)
		SELECT u.id, ?, ?, ?, ?, ?, ? FROM users u
		WHERE lower(u.handle) IN ? AND u.status = 'active' AND u.id <> ?
		AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = u.id AND m.muted_id = ?)
		AND `+may+` RETURNING user_id`, args...).Scan(&told).Error
	if err != nil {
		return nil, fmt.Errorf("notify: mentions: %w", err)
	}
	return told, nil
}
