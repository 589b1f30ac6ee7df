package moderation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
)

// Why an alert e-mail is sent.
const (
	AlertUrgent         = "urgent"         // to moderators on duty: someone may be in imminent danger
	AlertUnacknowledged = "unacknowledged" // to admins: nobody acknowledged a crisis item in time
)

// Mailer sends one plain-text message (app/notify implements it).
type Mailer interface {
	Send(ctx context.Context, to, subject, text string) error
}

// AlertEmailArgs asks for one alert e-mail. It carries ids only: the
// e-mail says that an urgent item waits, with a link, and never the text,
// the author or the forum.
type AlertEmailArgs struct {
	UserID   int64  `json:"user_id"`
	ReportID int64  `json:"report_id"`
	Why      string `json:"why"`
}

// Kind names the job.
func (AlertEmailArgs) Kind() string { return "moderation_alert_email" }

// InsertOpts retries for about an hour: a late alert is still worth sending
// while the item waits, and the worker checks that it does.
func (AlertEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 8, Queue: river.QueueDefault}
}

// AlertEmailWorker sends the alert e-mails.
type AlertEmailWorker struct {
	river.WorkerDefaults[AlertEmailArgs]
	Svc     *Service
	Mailer  Mailer
	BaseURL string
}

// Timeout bounds one attempt.
func (w *AlertEmailWorker) Timeout(*river.Job[AlertEmailArgs]) time.Duration { return time.Minute }

// Work sends the e-mail unless the item was closed meanwhile or the
// address is gone.
func (w *AlertEmailWorker) Work(ctx context.Context, job *river.Job[AlertEmailArgs]) error {
	var st struct {
		Email      string
		TargetKind string
		TargetID   int64
		Open       bool
	}
	err := w.Svc.db.Gorm.WithContext(ctx).Raw(`SELECT coalesce(u.email, '') AS email, r.target_kind, r.target_id, r.status = 'open' AS open
		FROM users u, reports r WHERE u.id = ? AND r.id = ? AND u.email_verified_at IS NOT NULL`, job.Args.UserID, job.Args.ReportID).Scan(&st).Error
	if err != nil {
		return err
	}
	if st.Email == "" || !st.Open {
		return nil
	}
	link := strings.TrimRight(w.BaseURL, "/") + "/moderation/" + st.TargetKind + "/" + strconv.FormatInt(st.TargetID, 10)
	subject, body := alertText(job.Args.Why, link)
	if subject == "" {
		return river.JobCancel(errors.New("moderation: unknown alert"))
	}
	if err := w.Mailer.Send(ctx, st.Email, subject, body); err != nil {
		return fmt.Errorf("moderation: alert e-mail: %w", err)
	}
	return nil
}

// alertText is the whole e-mail: by design it names no member, forum or
// words, because e-mail leaves Kindred's protection.
func alertText(why, link string) (subject, body string) {
	switch why {
	case AlertUrgent:
		return "Kindred: an urgent item waits in the review queue",
			"Someone may be at risk, and an urgent item waits for a moderator in Kindred's review queue.\n\n" +
				"Please sign in and acknowledge it as soon as you can:\n\n" + link + "\n\n" +
				"You receive this because you are on duty. You can go off duty from the review queue.\n\n— Kindred\n"
	case AlertUnacknowledged:
		return "Kindred: an urgent item has not been acknowledged",
			"An urgent item in Kindred's review queue has waited longer than it should, and no moderator has acknowledged it yet.\n\n" +
				"Please sign in and make sure someone takes it:\n\n" + link + "\n\n— Kindred\n"
	}
	return "", ""
}

// SweepArgs is the periodic job that escalates crisis items nobody
// acknowledged in time.
type SweepArgs struct{}

// Kind names the job.
func (SweepArgs) Kind() string { return "moderation_crisis_sweep" }

// SweepWorker runs Service.SweepCrisis.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Svc *Service
}

// Work runs one sweep.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	n, err := w.Svc.SweepCrisis(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		w.Svc.log.InfoContext(ctx, "moderation: crisis items escalated to admins", "count", n)
	}
	return nil
}
