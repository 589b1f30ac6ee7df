package analytics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/riverqueue/river"

	"github.com/kindred-health/kindred/app/charts"
	"github.com/kindred-health/kindred/models"
)

// The weekly summary: staff who ask for it get, each Monday, the last
// week's community and moderation figures by e-mail, scoped as their
// pages are (a forum's moderators: their forums), with the same
// suppression, and the charts drawn into the mail (SVG with a table in the
// HTML part, a text table in the plain part). Private questions, clinicians
// and search stay on the pages: no per-clinician load and no query text
// ever goes into a mailbox.

// Mail is one e-mail; app/server hands it to the mailer.
type Mail struct {
	To, Subject, Text, HTML string
	Headers                 map[string]string
}

// MailSender sends a Mail.
type MailSender interface {
	SendMail(ctx context.Context, m Mail) error
}

// ActorFunc loads who a member is now, so a summary follows their role
// on the day it is sent.
type ActorFunc func(ctx context.Context, userID int64) (models.Actor, error)

// WeeklyAreas are the areas the summary carries.
var WeeklyAreas = []string{AreaCommunity, AreaModeration}

// Weekly sends the weekly summaries.
type Weekly struct {
	svc     *Service
	mail    MailSender
	actor   ActorFunc
	baseURL string
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// NewWeekly builds the sender; files holds email/analytics_weekly.{txt,html}.
func NewWeekly(svc *Service, mail MailSender, actor ActorFunc, files fs.FS, baseURL string) (*Weekly, error) {
	if svc == nil || mail == nil || actor == nil {
		return nil, errors.New("analytics: weekly summary needs the service, a mailer and the actor loader")
	}
	text, err := texttemplate.New("analytics_weekly.txt").ParseFS(files, "email/analytics_weekly.txt")
	if err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	html, err := htmltemplate.New("analytics_weekly.html").ParseFS(files, "email/analytics_weekly.html")
	if err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	return &Weekly{svc: svc, mail: mail, actor: actor, baseURL: strings.TrimRight(baseURL, "/"), text: text, html: html}, nil
}

// WeeklySubscribed tells whether the member asked for the summary.
func (s *Service) WeeklySubscribed(ctx context.Context, userID int64) (bool, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM analytics_weekly_subscribers WHERE user_id = ?`, userID).Scan(&n).Error
	return n > 0, err
}

// SetWeekly turns the summary on or off for the actor, who must be able
// to open analytics (404 otherwise, as the pages).
func (s *Service) SetWeekly(ctx context.Context, actor models.Actor, on bool) error {
	if _, err := ScopeOf(actor); err != nil {
		return err
	}
	db := s.db.Gorm.WithContext(ctx)
	if !on {
		return db.Exec(`DELETE FROM analytics_weekly_subscribers WHERE user_id = ?`, actor.ID()).Error
	}
	return db.Exec(`INSERT INTO analytics_weekly_subscribers (user_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		actor.ID(), s.now().UTC()).Error
}

// WeekOf is the last whole week (Monday to Sunday, UTC days) before t.
func WeekOf(t time.Time) Period {
	today := Day(t)
	back := (int(today.Weekday()) + 6) % 7 // days since Monday
	monday := today.AddDate(0, 0, -back-7)
	return Period{From: monday, To: monday.AddDate(0, 0, 6)}
}

type weeklyFigure struct{ Label, Value, Previous, Change string }

type weeklyChart struct {
	SVG   htmltemplate.HTML
	Table htmltemplate.HTML
	Text  string
}

type weeklyRow struct {
	Label string
	Cells []string
}

type weeklyTable struct {
	Title   string
	Columns []string // the first heads the row labels
	Rows    []weeklyRow
}

// Line is a row for the plain-text part: "label: column value, …".
func (r weeklyRow) Line(columns []string) string {
	parts := make([]string, 0, len(r.Cells))
	for i, c := range r.Cells {
		name := ""
		if i+1 < len(columns) {
			name = columns[i+1] + " "
		}
		parts = append(parts, name+c)
	}
	return r.Label + ": " + strings.Join(parts, ", ")
}

type weeklySection struct {
	Title   string
	URL     string
	Note    string // why there are no totals (sensitive forums only)
	Figures []weeklyFigure
	Tables  []weeklyTable
	Charts  []weeklyChart
}

type weeklyView struct {
	Handle, From, To, Scope, SettingsURL string
	Sections                             []weeklySection
}

// Send mails last week's summary to every subscriber who has not had
// it, recording each as it goes (a retry goes on where it stopped). Who
// may no longer open analytics is taken off the list instead; addresses
// that are unconfirmed or bounced get nothing.
func (w *Weekly) Send(ctx context.Context) (sent int, err error) {
	defer wrap("weekly summary", &err)
	week := WeekOf(w.svc.now())
	var subs []struct {
		UserID int64
		Handle string
		Email  string
	}
	if err := w.svc.db.Gorm.WithContext(ctx).Raw(`SELECT s.user_id, u.handle, u.email FROM analytics_weekly_subscribers s
		JOIN users u ON u.id = s.user_id
		WHERE (s.last_week IS NULL OR s.last_week < ?) AND u.status = 'active' AND u.email IS NOT NULL AND u.email_verified_at IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM email_suppressions x WHERE x.address = lower(u.email))
		ORDER BY s.user_id`, week.From.Format(time.DateOnly)).Scan(&subs).Error; err != nil {
		return 0, err
	}
	for _, sub := range subs {
		actor, err := w.actor(ctx, sub.UserID)
		if err != nil {
			return sent, err
		}
		scope, err := ScopeOf(actor)
		if errors.Is(err, models.ErrNotFound) {
			if err := w.svc.SetWeeklyOff(ctx, sub.UserID); err != nil {
				return sent, err
			}
			continue
		}
		if err != nil {
			return sent, err
		}
		m, err := w.compose(ctx, scope, week, sub.Handle)
		if err != nil {
			return sent, err
		}
		m.To = sub.Email
		if err := w.mail.SendMail(ctx, m); err != nil {
			return sent, err
		}
		sent++
		if err := w.svc.db.Gorm.WithContext(ctx).Exec(`UPDATE analytics_weekly_subscribers SET last_week = ? WHERE user_id = ?`,
			week.From.Format(time.DateOnly), sub.UserID).Error; err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// weeklyOnlyRestricted stands for the totals of a moderator whose forums
// are all sensitive or clinician-only (see OnlyRestrictedNote).
const weeklyOnlyRestricted = "Your forums are all sensitive or clinician-only: they are never added into totals or drawn per day, so their figures are in the per-forum table, where a count of 1 to 4 reads “fewer than 5”."

// SetWeeklyOff takes a member off the list.
func (s *Service) SetWeeklyOff(ctx context.Context, userID int64) error {
	return s.db.Gorm.WithContext(ctx).Exec(`DELETE FROM analytics_weekly_subscribers WHERE user_id = ?`, userID).Error
}

func (w *Weekly) compose(ctx context.Context, scope Scope, week Period, handle string) (Mail, error) {
	v := weeklyView{Handle: handle, From: week.From.Format("Mon 2 Jan"), To: week.To.Format("Mon 2 Jan 2006"),
		SettingsURL: w.baseURL + "/admin/analytics#weekly"}
	if !scope.All {
		v.Scope = "the forums you moderate"
	}
	for _, area := range WeeklyAreas {
		if !scope.MayOpen(area) {
			continue
		}
		r, err := w.svc.Report(ctx, scope, area, week)
		if err != nil {
			return Mail{}, err
		}
		sec := weeklySection{Title: r.Title, URL: w.baseURL + "/admin/analytics/" + area + "?" + week.Query()}
		if r.OnlyRestricted {
			sec.Note = weeklyOnlyRestricted
		}
		for _, f := range r.Figures {
			fv := textOf(f)
			sec.Figures = append(sec.Figures, weeklyFigure(fv))
		}
		for _, t := range r.Tables {
			tv := tableOf(t)
			wt := weeklyTable{Title: tv.Title, Columns: tv.Columns}
			for i, cells := range tv.Rows {
				wt.Rows = append(wt.Rows, weeklyRow{Label: tv.Label[i], Cells: cells})
			}
			if len(wt.Rows) > 0 {
				sec.Tables = append(sec.Tables, wt)
			}
		}
		for _, s := range r.Charts {
			c := chartOf("mail-"+area, s)
			sec.Charts = append(sec.Charts, weeklyChart{SVG: charts.Inline(c), Table: charts.Table(c), Text: charts.Text(c)})
		}
		v.Sections = append(v.Sections, sec)
	}
	var text, html bytes.Buffer
	if err := w.text.Execute(&text, v); err != nil {
		return Mail{}, err
	}
	if err := w.html.Execute(&html, v); err != nil {
		return Mail{}, err
	}
	return Mail{Subject: "Kindred weekly summary: " + v.From + " to " + v.To, Text: text.String(), HTML: html.String(),
		Headers: map[string]string{"Auto-Submitted": "auto-generated"}}, nil
}

// WeeklyArgs asks for the weekly summaries.
type WeeklyArgs struct{}

// Kind names the job.
func (WeeklyArgs) Kind() string { return "analytics_weekly" }

// InsertOpts: retried; each summary sent is recorded, so a retry sends
// only the rest.
func (WeeklyArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// WeeklyWorker runs Weekly.Send.
type WeeklyWorker struct {
	river.WorkerDefaults[WeeklyArgs]
	Weekly *Weekly
}

// Work sends.
func (w *WeeklyWorker) Work(ctx context.Context, _ *river.Job[WeeklyArgs]) error {
	_, err := w.Weekly.Send(ctx)
	return err
}

// Mondays is the summary's schedule: Mondays at 07:00 UTC, after the
// night's rollup has counted Sunday.
type Mondays struct{}

// Next is the next Monday 07:00 UTC after t.
func (Mondays) Next(t time.Time) time.Time {
	d := Day(t)
	next := d.AddDate(0, 0, (8-int(d.Weekday()))%7).Add(7 * time.Hour)
	if !next.After(t) {
		next = next.AddDate(0, 0, 7)
	}
	return next
}

// WeeklyJob is the Monday summary (not run at start: a restart on a
// Tuesday sends nothing new, and a missed Monday is caught up by the next
// run, which sends any summary not yet sent for the last week).
func WeeklyJob() *river.PeriodicJob {
	return river.NewPeriodicJob(Mondays{}, func() (river.JobArgs, *river.InsertOpts) { return WeeklyArgs{}, nil }, nil)
}
