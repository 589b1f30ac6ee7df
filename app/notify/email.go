package notify

import (
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"log/slog"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/riverqueue/river"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// ErrInvalid is returned for an address or reason that cannot be used.
var ErrInvalid = errors.New("invalid")

// Message is one e-mail with a plain-text part, an optional HTML part and
// extra headers (List-Unsubscribe and the like).
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	Headers map[string]string
}

// MessageSender sends a Message; SMTPMailer and LogMailer implement it.
type MessageSender interface {
	SendMessage(ctx context.Context, m Message) error
}

// PlainSender is the older interface: one plain-text message.
type PlainSender interface {
	Send(ctx context.Context, to, subject, text string) error
}

// AsMessageSender adapts a plain mailer (a test double, say) that cannot
// send HTML or headers: it gets the text part alone.
func AsMessageSender(p PlainSender) MessageSender {
	if s, ok := p.(MessageSender); ok {
		return s
	}
	return plainAdapter{p}
}

type plainAdapter struct{ p PlainSender }

func (a plainAdapter) SendMessage(ctx context.Context, m Message) error {
	return a.p.Send(ctx, m.To, m.Subject, m.Text)
}

// ActorFunc loads who a member is now (roles, badge, moderated forums), so
// that an e-mail is checked against what its recipient may read when it
// is sent, not when the notification was written.
type ActorFunc func(ctx context.Context, userID int64) (models.Actor, error)

// Mail e-mails notifications: at once, in a daily or weekly digest, or
// never, per member and category. It reads the notifications table, so
// every writer of a notification gets e-mail without knowing of it.
type Mail struct {
	db     *database.DB
	now    func() time.Time
	sender MessageSender
	base   string
	secret []byte
	actor  ActorFunc
	log    *slog.Logger
	text   *texttemplate.Template
	html   *htmltemplate.Template
}

// MailOptions configure Mail.
type MailOptions struct {
	BaseURL string
	Secret  []byte // signs unsubscribe links
	Actor   ActorFunc
	Log     *slog.Logger
}

// NewMail parses the templates email/notification.{txt,html} from tfs.
func NewMail(db *database.DB, now func() time.Time, sender MessageSender, tfs fs.FS, o MailOptions) (*Mail, error) {
	if o.Actor == nil || len(o.Secret) == 0 {
		return nil, errors.New("notify: mail needs an actor loader and a secret")
	}
	text, err := texttemplate.ParseFS(tfs, "email/notification.txt")
	if err != nil {
		return nil, fmt.Errorf("notify: e-mail text template: %w", err)
	}
	html, err := htmltemplate.ParseFS(tfs, "email/notification.html")
	if err != nil {
		return nil, fmt.Errorf("notify: e-mail HTML template: %w", err)
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Mail{db: db, now: now, sender: sender, base: strings.TrimRight(o.BaseURL, "/"), secret: o.Secret, actor: o.Actor,
		log: o.Log, text: text, html: html}, nil
}

// MailArgs asks for one e-mail to a member: the notifications given, at
// once (Category set) or as a digest (Digest set). The job carries ids
// only; the worker reads and checks them when it sends.
type MailArgs struct {
	UserID   int64   `json:"user_id"`
	Category string  `json:"category,omitempty"`
	Digest   string  `json:"digest,omitempty"`
	IDs      []int64 `json:"ids"`
}

// Kind names the job.
func (MailArgs) Kind() string { return "notification_email" }

// InsertOpts retry for about a day, as account mail does.
func (MailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 12, Queue: river.QueueDefault}
}

// MailSweepArgs is the periodic job that routes new notifications and
// sends digests that are due.
type MailSweepArgs struct{}

// Kind names the job.
func (MailSweepArgs) Kind() string { return "notification_mail_sweep" }

// MailSweepWorker runs Mail.Sweep.
type MailSweepWorker struct {
	river.WorkerDefaults[MailSweepArgs]
	Mail *Mail
}

// Work runs one sweep.
func (w *MailSweepWorker) Work(ctx context.Context, _ *river.Job[MailSweepArgs]) error {
	_, err := w.Mail.Sweep(ctx)
	return err
}

// MailWorker sends the e-mails.
type MailWorker struct {
	river.WorkerDefaults[MailArgs]
	Mail *Mail
}

// Timeout bounds one attempt.
func (w *MailWorker) Timeout(*river.Job[MailArgs]) time.Duration { return time.Minute }

// Work sends one e-mail.
func (w *MailWorker) Work(ctx context.Context, job *river.Job[MailArgs]) error {
	return w.Mail.Send(ctx, job.Args)
}

// sweepBatch is how many new notifications one transaction routes.
const sweepBatch = 1000

// Sweep routes every notification not yet looked at by its recipient's
// preference (a job per member and category for "immediately", a mark
// for the digests), then queues the digests that are due. It returns how
// many e-mails it queued. Running it twice at once is safe: rows are
// locked and skipped.
func (m *Mail) Sweep(ctx context.Context) (int, error) {
	queued := 0
	for {
		n, q, err := m.routeBatch(ctx)
		queued += q
		if err != nil {
			return queued, err
		}
		if n < sweepBatch {
			break
		}
	}
	q, err := m.queueDigests(ctx)
	return queued + q, err
}

func (m *Mail) routeBatch(ctx context.Context) (rows, queued int, err error) {
	err = m.db.InTx(ctx, func(tx *database.Tx) error {
		var pending []struct {
			ID           int64
			UserID       int64
			Kind         string
			ThreadAuthor int64 `gorm:"column:thread_author"`
			Asker        int64
			Mailable     bool
		}
		// Members without a confirmed address get no job at all.
		if err := tx.Raw(`SELECT n.id, n.user_id, n.kind, coalesce(t.author_id, 0) AS thread_author, coalesce(q.asker_id, 0) AS asker,
			(u.email IS NOT NULL AND u.email_verified_at IS NOT NULL) AS mailable
			FROM notifications n JOIN users u ON u.id = n.user_id
			LEFT JOIN threads t ON t.id = n.thread_id LEFT JOIN questions q ON q.id = n.question_id
			WHERE n.mail_pending
			-- About a post held for a moderator's approval: it waits, and is
			-- mailed once approved (or skipped when the post is removed).
			AND NOT EXISTS (SELECT 1 FROM posts hp WHERE hp.id = n.post_id AND hp.visibility = 'pending')
			ORDER BY n.id LIMIT ? FOR UPDATE OF n SKIP LOCKED`, sweepBatch).Scan(&pending).Error; err != nil {
			return err
		}
		rows = len(pending)
		if rows == 0 {
			return nil
		}
		users := map[int64]bool{}
		var userIDs, all []int64
		for _, p := range pending {
			all = append(all, p.ID)
			if !users[p.UserID] {
				users[p.UserID] = true
				userIDs = append(userIDs, p.UserID)
			}
		}
		modes, err := m.modes(tx.DB, userIDs)
		if err != nil {
			return err
		}
		type key struct {
			user int64
			cat  string
		}
		now := map[key][]int64{}
		var order []key
		digest := map[string][]int64{}
		for _, p := range pending {
			cat := categoryOf(p.Kind, p.UserID, p.ThreadAuthor, p.Asker)
			if cat == "" || !p.Mailable {
				continue
			}
			mode := modes[p.UserID][cat]
			if p.Kind == models.NotifyAnnouncementUrgent && (mode == ModeDaily || mode == ModeWeekly) {
				// An urgent health alert does not wait for a summary; a
				// member who chose "never" still gets no e-mail.
				mode = ModeImmediately
			}
			switch mode {
			case ModeImmediately:
				k := key{p.UserID, cat}
				if now[k] == nil {
					order = append(order, k)
				}
				now[k] = append(now[k], p.ID)
			case ModeDaily, ModeWeekly:
				digest[mode] = append(digest[mode], p.ID)
			}
		}
		if err := tx.Exec(`UPDATE notifications SET mail_pending = false WHERE id IN ?`, all).Error; err != nil {
			return err
		}
		for mode, ids := range digest {
			if err := tx.Exec(`UPDATE notifications SET digest = ? WHERE id IN ?`, mode, ids).Error; err != nil {
				return err
			}
		}
		jobs := make([]river.JobArgs, 0, len(order))
		for _, k := range order {
			jobs = append(jobs, MailArgs{UserID: k.user, Category: k.cat, IDs: now[k]})
		}
		queued = len(jobs)
		return tx.EnqueueMany(ctx, jobs)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("notify: mail sweep: %w", err)
	}
	return rows, queued, nil
}

// DigestHour is the local hour at which digests go out: daily ones every
// day, weekly ones on Mondays, in the member's time zone (UTC if none).
const DigestHour = 8

// lastSlot is the most recent digest time at or before now.
func lastSlot(now time.Time, tz, period string) time.Time {
	loc := time.UTC
	if tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	t := now.In(loc)
	slot := time.Date(t.Year(), t.Month(), t.Day(), DigestHour, 0, 0, 0, loc)
	if slot.After(t) {
		slot = slot.AddDate(0, 0, -1)
	}
	if period == ModeWeekly {
		back := (int(slot.Weekday()) - int(time.Monday) + 7) % 7
		slot = slot.AddDate(0, 0, -back)
	}
	return slot
}

// queueDigests queues one digest for each member and period whose slot
// has passed with notifications from before it waiting.
func (m *Mail) queueDigests(ctx context.Context) (int, error) {
	var waiting []struct {
		UserID     int64
		Digest     string
		Oldest     time.Time
		TimeZone   string
		LastSentAt *time.Time
	}
	if err := m.db.Gorm.WithContext(ctx).Raw(`SELECT n.user_id, n.digest, min(n.created_at) AS oldest, u.time_zone, d.last_sent_at
		FROM notifications n JOIN users u ON u.id = n.user_id
		LEFT JOIN email_digests d ON d.user_id = n.user_id AND d.period = n.digest
		WHERE n.digest IS NOT NULL GROUP BY n.user_id, n.digest, u.time_zone, d.last_sent_at`).Scan(&waiting).Error; err != nil {
		return 0, fmt.Errorf("notify: digests: %w", err)
	}
	now := m.now().UTC()
	queued := 0
	for _, w := range waiting {
		slot := lastSlot(now, w.TimeZone, w.Digest)
		if !w.Oldest.Before(slot) || (w.LastSentAt != nil && !w.LastSentAt.Before(slot)) {
			continue
		}
		err := m.db.InTx(ctx, func(tx *database.Tx) error {
			var ids []int64
			if err := tx.Raw(`UPDATE notifications SET digest = NULL WHERE user_id = ? AND digest = ? AND created_at < ? RETURNING id`,
				w.UserID, w.Digest, slot).Scan(&ids).Error; err != nil {
				return err
			}
			if len(ids) == 0 {
				return nil
			}
			if err := tx.Exec(`INSERT INTO email_digests (user_id, period, last_sent_at) VALUES (?, ?, ?)
				ON CONFLICT (user_id, period) DO UPDATE SET last_sent_at = excluded.last_sent_at`, w.UserID, w.Digest, now).Error; err != nil {
				return err
			}
			queued++
			return tx.Enqueue(ctx, MailArgs{UserID: w.UserID, Digest: w.Digest, IDs: ids}, nil)
		})
		if err != nil {
			return queued, fmt.Errorf("notify: digest: %w", err)
		}
	}
	return queued, nil
}
