package outreach

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// MailArgs asks for an announcement to be e-mailed to its audience. The
// job carries the id only; the audience is read batch by batch when it
// runs.
type MailArgs struct {
	AnnouncementID int64 `json:"announcement_id"`
}

// Kind names the job.
func (MailArgs) Kind() string { return "announcement_email" }

// InsertOpts retry for a few hours.
func (MailArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// MailWorker runs Service.MailAudience.
type MailWorker struct {
	river.WorkerDefaults[MailArgs]
	Svc *Service
}

// Timeout: a large audience takes many batches.
func (w *MailWorker) Timeout(*river.Job[MailArgs]) time.Duration { return 15 * time.Minute }

// Work e-mails the next batches.
func (w *MailWorker) Work(ctx context.Context, job *river.Job[MailArgs]) error {
	_, err := w.Svc.MailAudience(ctx, job.Args.AnnouncementID)
	return err
}

// MailBatch is how many members one transaction tells.
var MailBatch = 500

// MailAudience tells the announcement's audience, MailBatch members per
// transaction in id order, keeping its place in announcements.mail_cursor
// in the same transaction: a retry carries on where the last batch
// committed, and notify's unique (announcement, member) row means nobody
// is told twice even so. Who is told: active accounts with a confirmed
// address that is not suppressed, who did not turn announcement e-mail
// off, in the audience now (a forum's members only while they may read
// it). notify's mail sweep then sends at once or in the member's summary
// (an urgent health alert at once). It returns how many were told.
func (s *Service) MailAudience(ctx context.Context, id int64) (int64, error) {
	var told int64
	for {
		done := false
		err := s.db.InTx(ctx, func(tx *database.Tx) error {
			var rows []Announcement
			if err := tx.Raw(`SELECT * FROM announcements WHERE id = ? FOR UPDATE`, id).Scan(&rows).Error; err != nil {
				return err
			}
			if len(rows) == 0 || !rows[0].Email || rows[0].MailedAt != nil {
				done = true // deleted, no longer to be mailed, or finished
				return nil
			}
			a := rows[0]
			now := s.now().UTC()
			if !now.Before(a.EndsAt) {
				done = true // ended before it could be sent: nothing to say
				return nil
			}
			if now.Before(a.StartsAt) {
				// Moved later since the job was queued: a job waits for the new start.
				done = true
				return tx.Enqueue(ctx, MailArgs{AnnouncementID: id}, &river.InsertOpts{ScheduledAt: a.StartsAt})
			}
			q, args := audienceSQL(&a, now)
			var ids []int64
			if err := tx.Raw(q+` ORDER BY u.id LIMIT ?`, append(args, a.MailCursor, MailBatch)...).Scan(&ids).Error; err != nil {
				return err
			}
			kind := models.NotifyAnnouncement
			if a.HealthAlert {
				kind = models.NotifyAnnouncementUrgent
			}
			var forum int64
			if a.ForumID != nil {
				forum = *a.ForumID
			}
			n, err := s.notify.NotifyAnnouncement(ctx, tx.DB, ids, kind, id, a.Title, forum)
			if err != nil {
				return err
			}
			told += n
			cursor := a.MailCursor
			if len(ids) > 0 {
				cursor = ids[len(ids)-1]
			}
			var mailedAt *time.Time
			if len(ids) < MailBatch {
				mailedAt, done = &now, true
			}
			return tx.Exec(`UPDATE announcements SET mail_cursor = ?, mailed_at = ? WHERE id = ?`, cursor, mailedAt, id).Error
		})
		if err != nil {
			return told, fmt.Errorf("outreach: e-mail announcement %d: %w", id, err)
		}
		if done {
			return told, nil
		}
	}
}

// audienceSQL selects the ids of the members to tell, after the cursor
// (the last two arguments: cursor, limit).
func audienceSQL(a *Announcement, now time.Time) (string, []any) {
	q := `SELECT u.id FROM users u WHERE u.status = 'active' AND u.email IS NOT NULL AND u.email_verified_at IS NOT NULL
		AND (u.suspended_until IS NULL OR u.suspended_until <= ?)
		AND NOT EXISTS (SELECT 1 FROM email_suppressions es WHERE es.address = lower(u.email))
		AND NOT EXISTS (SELECT 1 FROM email_preferences ep WHERE ep.user_id = u.id AND ep.category = 'announcements' AND ep.mode = 'never')`
	args := []any{now}
	verified := `EXISTS (SELECT 1 FROM credentials c WHERE c.user_id = u.id AND clinician_verified(c.status, c.verified_until, ?))`
	if a.Audience == AudienceClinicians {
		q += ` AND ` + verified
		args = append(args, now)
	}
	if a.ForumID != nil {
		// A forum's announcement goes to its members, and only while they
		// may read it: a clinicians' forum to verified clinicians, staff
		// and its moderators (models.Actor.MayReadForum in SQL).
		q += ` AND EXISTS (SELECT 1 FROM forum_members fm WHERE fm.forum_id = ? AND fm.user_id = u.id)
			AND EXISTS (SELECT 1 FROM forums f WHERE f.id = ? AND (NOT f.clinician_only OR u.role IN ('admin', 'moderator')
				OR EXISTS (SELECT 1 FROM forum_moderators m WHERE m.forum_id = f.id AND m.user_id = u.id) OR ` + verified + `))`
		args = append(args, *a.ForumID, *a.ForumID, now)
	}
	return q + ` AND u.id > ?`, args
}
