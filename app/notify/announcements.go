package notify

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/models"
)

// NotifyAnnouncement tells members of an announcement (app/outreach's
// e-mail job, in its batch's transaction); the mail sweep e-mails it by
// each member's "announcements" preference. A member already told of it
// is skipped, so a retried batch tells nobody twice. forumID, when not 0,
// is the forum it was written for: the e-mail then checks the member may
// still read it, and quotes nothing from a members-only forum.
func (n *InApp) NotifyAnnouncement(ctx context.Context, tx *gorm.DB, userIDs []int64, kind string, announcementID int64, title string, forumID int64) (int64, error) {
	if len(userIDs) == 0 {
		return 0, nil
	}
	if kind != models.NotifyAnnouncement && kind != models.NotifyAnnouncementUrgent {
		return 0, fmt.Errorf("notify: announcement kind %q", kind)
	}
	var forum *int64
	if forumID != 0 {
		forum = &forumID
	}
	res := tx.WithContext(ctx).Exec(`INSERT INTO notifications (user_id, kind, announcement_id, message, forum_id, created_at)
		SELECT u.id, ?, ?, ?, ?, ? FROM users u WHERE u.id IN ?
		ON CONFLICT (announcement_id, user_id) WHERE announcement_id IS NOT NULL DO NOTHING`,
		kind, announcementID, title, forum, n.now().UTC(), userIDs)
	if res.Error != nil {
		return 0, fmt.Errorf("notify: announcement %d: %w", announcementID, res.Error)
	}
	return res.RowsAffected, nil
}
