package outreach

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/models"
)

// Campaign is one row of campaigns.
type Campaign struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	CreatedBy   *int64    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// TableName is the table.
func (Campaign) TableName() string { return "campaigns" }

// Link is a campaign link.
type Link struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	URL      string `json:"url"`
	Redirect string `json:"redirect" gorm:"-"` // the counting address shown on the site
}

// CampaignThread is a thread attached to a campaign.
type CampaignThread struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// CampaignView is a campaign with its pieces.
type CampaignView struct {
	Campaign
	Links         []Link           `json:"links"`
	Threads       []CampaignThread `json:"threads"`
	Announcements []Announcement   `json:"announcements"`
}

type checkedCampaign struct {
	c       Campaign
	links   []LinkForm
	threads []int64
}

func mayRunCampaigns(a models.Actor) bool { return a.Active() && a.IsAdmin() }

func (s *Service) checkCampaign(ctx context.Context, actor models.Actor, f CampaignForm, loc *time.Location) (*checkedCampaign, error) {
	if !mayRunCampaigns(actor) {
		return nil, models.ErrForbidden
	}
	verr := models.NewValidationError()
	out := &checkedCampaign{}
	out.c.Name = checkLine(verr, "name", f.Name, MaxName, "a name")
	desc := input.NormalizeNewlines(strings.TrimSpace(f.Description))
	if msg := input.Check("description", desc); msg != "" {
		verr.Add("description", msg)
	} else if n := utf8.RuneCountInString(desc); n > MaxDescription {
		verr.Add("description", "Keep the description to "+strconv.Itoa(MaxDescription)+" characters (this has "+strconv.Itoa(n)+").")
	}
	out.c.Description = desc
	out.c.StartsAt, out.c.EndsAt = checkPeriod(verr, f.StartsAt, f.EndsAt, loc, s.now(), MaxCampaign, "campaign")
	if len(f.Links) > MaxLinks {
		verr.Add("links", "A campaign has at most "+strconv.Itoa(MaxLinks)+" links.")
	}
	seen := map[string]bool{}
	for i, l := range f.Links {
		if i >= MaxLinks {
			break
		}
		field := "links"
		n := strconv.Itoa(i + 1)
		title := strings.TrimSpace(l.Title)
		if msg := input.Check("title", title); msg != "" {
			verr.Add(field, "Link "+n+": "+msg)
			continue
		}
		if title == "" || utf8.RuneCountInString(title) > MaxTitle {
			verr.Add(field, "Link "+n+": give it a title of at most "+strconv.Itoa(MaxTitle)+" characters (write “title | https://…”).")
			continue
		}
		u, msg := CheckURL(l.URL)
		if msg != "" {
			verr.Add(field, "Link "+n+": "+msg)
			continue
		}
		if seen[u] {
			verr.Add(field, "Link "+n+": this address is listed twice.")
			continue
		}
		seen[u] = true
		out.links = append(out.links, LinkForm{Title: title, URL: u})
	}
	if len(f.Threads) > MaxThreads {
		verr.Add("threads", "A campaign has at most "+strconv.Itoa(MaxThreads)+" threads.")
	}
	have := map[int64]bool{}
	for i, ref := range f.Threads {
		if i >= MaxThreads {
			break
		}
		id := ThreadRef(ref)
		if id == 0 {
			verr.Add("threads", "“"+clip(ref, 60)+"” is not a thread's number or address.")
			continue
		}
		if _, err := s.threads(ctx, actor, id); err != nil {
			if errors.Is(err, models.ErrNotFound) || errors.Is(err, models.ErrForbidden) || errors.Is(err, models.ErrSignInRequired) {
				verr.Add("threads", "There is no thread "+strconv.FormatInt(id, 10)+" you can read.")
				continue
			}
			return nil, err
		}
		if !have[id] {
			have[id] = true
			out.threads = append(out.threads, id)
		}
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	return out, nil
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func campaignEvent(actor models.Actor, action string, id int64, ip string) models.AuditEvent {
	uid := actor.ID()
	return models.AuditEvent{ActorID: &uid, Action: action, TargetKind: "campaign", TargetID: &id, IP: ip}
}

// SaveCampaign creates (id 0) or changes a campaign with its links and
// threads. A link kept (same address) keeps its clicks.
func (s *Service) SaveCampaign(ctx context.Context, actor models.Actor, id int64, f CampaignForm, loc *time.Location, ip string) (*Campaign, error) {
	if id != 0 {
		if _, err := s.Campaign(ctx, actor, id); err != nil {
			return nil, err
		}
	}
	cc, err := s.checkCampaign(ctx, actor, f, loc)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	c := cc.c
	c.UpdatedAt = now
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		action := "campaign.update"
		if id == 0 {
			uid := actor.ID()
			c.CreatedBy, c.CreatedAt = &uid, now
			if err := tx.Omit("ID").Create(&c).Error; err != nil {
				return err
			}
			action = "campaign.create"
		} else {
			c.ID = id
			if err := tx.Exec(`UPDATE campaigns SET name = ?, description = ?, starts_at = ?, ends_at = ?, updated_at = ? WHERE id = ?`,
				c.Name, c.Description, c.StartsAt, c.EndsAt, now, id).Error; err != nil {
				return err
			}
		}
		urls := []string{""}
		for _, l := range cc.links {
			urls = append(urls, l.URL)
		}
		if err := tx.Exec(`DELETE FROM campaign_links WHERE campaign_id = ? AND url NOT IN ?`, c.ID, urls).Error; err != nil {
			return err
		}
		for i, l := range cc.links {
			res := tx.Exec(`UPDATE campaign_links SET title = ?, position = ? WHERE campaign_id = ? AND url = ?`, l.Title, i, c.ID, l.URL)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				if err := tx.Exec(`INSERT INTO campaign_links (campaign_id, title, url, position) VALUES (?, ?, ?, ?)`, c.ID, l.Title, l.URL, i).Error; err != nil {
					return err
				}
			}
		}
		if err := tx.Exec(`DELETE FROM campaign_threads WHERE campaign_id = ?`, c.ID).Error; err != nil {
			return err
		}
		if len(cc.threads) > 0 {
			if err := tx.Exec(`INSERT INTO campaign_threads (campaign_id, thread_id) SELECT ?, unnest(?::bigint[])`, c.ID, int64Array(cc.threads)).Error; err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx.DB, campaignEvent(actor, action, c.ID, ip))
	})
	if err != nil {
		return nil, fmt.Errorf("outreach: save campaign: %w", err)
	}
	s.invalidate()
	return &c, nil
}

// int64Array spells ids as a PostgreSQL array literal.
func int64Array(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// DeleteCampaign removes a campaign, its links, counts and thread list;
// its announcements stay, without a campaign.
func (s *Service) DeleteCampaign(ctx context.Context, actor models.Actor, id int64, ip string) error {
	if _, err := s.Campaign(ctx, actor, id); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Exec(`DELETE FROM campaigns WHERE id = ?`, id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, campaignEvent(actor, "campaign.delete", id, ip))
	})
	if err != nil {
		return fmt.Errorf("outreach: delete campaign %d: %w", id, err)
	}
	s.invalidate()
	return nil
}

// Campaigns lists campaigns (admins).
func (s *Service) Campaigns(ctx context.Context, actor models.Actor) ([]Campaign, error) {
	if !mayRunCampaigns(actor) {
		return nil, models.ErrForbidden
	}
	out := []Campaign{}
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT * FROM campaigns ORDER BY ends_at DESC, id DESC LIMIT 200`).Scan(&out).Error
	return out, err
}

// Campaign loads one campaign with its links, threads and announcements.
func (s *Service) Campaign(ctx context.Context, actor models.Actor, id int64) (*CampaignView, error) {
	if !mayRunCampaigns(actor) {
		return nil, models.ErrForbidden
	}
	var cs []Campaign
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT * FROM campaigns WHERE id = ?`, id).Scan(&cs).Error; err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, models.ErrNotFound
	}
	v := &CampaignView{Campaign: cs[0], Links: []Link{}, Threads: []CampaignThread{}, Announcements: []Announcement{}}
	db := s.db.Gorm.WithContext(ctx)
	if err := db.Raw(`SELECT id, title, url FROM campaign_links WHERE campaign_id = ? ORDER BY position, id`, id).Scan(&v.Links).Error; err != nil {
		return nil, err
	}
	for i := range v.Links {
		v.Links[i].Redirect = "/go/" + strconv.FormatInt(v.Links[i].ID, 10)
	}
	if err := db.Raw(`SELECT t.id, t.title FROM campaign_threads ct JOIN threads t ON t.id = ct.thread_id WHERE ct.campaign_id = ? ORDER BY t.id`, id).Scan(&v.Threads).Error; err != nil {
		return nil, err
	}
	if err := db.Raw(`SELECT `+annColumns+` FROM announcements a LEFT JOIN forums f ON f.id = a.forum_id WHERE a.campaign_id = ? ORDER BY a.starts_at, a.id`, id).Scan(&v.Announcements).Error; err != nil {
		return nil, err
	}
	return v, nil
}

// Follow counts a click on a campaign link and returns its stored
// address: the only place /go/{id} ever sends anyone. Nothing about the
// person is kept, only the day's count.
func (s *Service) Follow(ctx context.Context, id int64) (string, error) {
	var urls []string
	day := s.now().UTC().Format(time.DateOnly)
	err := s.db.Gorm.WithContext(ctx).Raw(`WITH l AS (SELECT id, url FROM campaign_links WHERE id = ?),
		c AS (INSERT INTO campaign_link_clicks (link_id, day, clicks) SELECT id, ?, 1 FROM l
			ON CONFLICT (link_id, day) DO UPDATE SET clicks = campaign_link_clicks.clicks + 1)
		SELECT url FROM l`, id, day).Scan(&urls).Error
	if err != nil {
		return "", fmt.Errorf("outreach: link %d: %w", id, err)
	}
	if len(urls) == 0 {
		return "", models.ErrNotFound
	}
	return urls[0], nil
}

// Stats are a campaign's figures per day (UTC) and in total. Counts
// only: no member is named anywhere.
type Stats struct {
	Days          []string      `json:"days"`
	Reach         []int64       `json:"reach"`         // members counted for the first time that day
	VisitorViews  []int64       `json:"visitor_views"` // visitors' impressions
	Dismissals    []int64       `json:"dismissals"`    // cards of the campaign hidden that day
	Clicks        []int64       `json:"clicks"`        // on the campaign's links
	Replies       []int64       `json:"replies"`       // in the campaign's threads
	Totals        StatTotals    `json:"totals"`
	LinkClicks    []LinkCount   `json:"links"`
	ThreadReplies []ThreadCount `json:"threads"`
}

// StatTotals sum a campaign's figures (reach: members counted once).
type StatTotals struct {
	Reach        int64 `json:"reach"`
	VisitorViews int64 `json:"visitor_views"`
	Dismissals   int64 `json:"dismissals"`
	Clicks       int64 `json:"clicks"`
	Replies      int64 `json:"replies"`
}

// LinkCount is one link's clicks in the period.
type LinkCount struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	URL    string `json:"url"`
	Clicks int64  `json:"clicks"`
}

// ThreadCount is one thread's replies in the period.
type ThreadCount struct {
	ID      int64  `json:"id"`
	Title   string `json:"title"`
	Replies int64  `json:"replies"`
}

// maxStatDays bounds a chart.
const maxStatDays = 370

// Stats computes a campaign's figures, from its start to its end (or
// today, if sooner).
func (s *Service) Stats(ctx context.Context, actor models.Actor, id int64) (*CampaignView, *Stats, error) {
	v, err := s.Campaign(ctx, actor, id)
	if err != nil {
		return nil, nil, err
	}
	if err := s.FlushVisitors(ctx); err != nil {
		return nil, nil, err
	}
	from := v.StartsAt.UTC().Truncate(24 * time.Hour)
	to := v.EndsAt.UTC()
	if now := s.now().UTC(); now.Before(to) {
		to = now
	}
	st := &Stats{Days: []string{}, LinkClicks: []LinkCount{}, ThreadReplies: []ThreadCount{}}
	index := map[string]int{}
	for d := from; !d.After(to) && len(st.Days) < maxStatDays; d = d.AddDate(0, 0, 1) {
		index[d.Format(time.DateOnly)] = len(st.Days)
		st.Days = append(st.Days, d.Format(time.DateOnly))
	}
	n := len(st.Days)
	st.Reach, st.VisitorViews, st.Dismissals, st.Clicks, st.Replies = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	type dayCount struct {
		Day string
		N   int64
	}
	db := s.db.Gorm.WithContext(ctx)
	fill := func(into []int64, total *int64, q string, args ...any) error {
		var rows []dayCount
		if err := db.Raw(q, args...).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			*total += r.N
			if i, ok := index[r.Day]; ok {
				into[i] += r.N
			}
		}
		return nil
	}
	steps := []struct {
		into  []int64
		total *int64
		q     string
	}{
		{st.Reach, &st.Totals.Reach, `SELECT to_char(first_day, 'YYYY-MM-DD') AS day, count(*) AS n FROM campaign_reach WHERE campaign_id = ? GROUP BY first_day`},
		{st.VisitorViews, &st.Totals.VisitorViews, `SELECT to_char(day, 'YYYY-MM-DD') AS day, views AS n FROM campaign_visitor_views WHERE campaign_id = ?`},
		{st.Dismissals, &st.Totals.Dismissals, `SELECT to_char((d.created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, count(*) AS n
			FROM announcement_dismissals d JOIN announcements a ON a.id = d.announcement_id WHERE a.campaign_id = ? GROUP BY 1`},
		{st.Clicks, &st.Totals.Clicks, `SELECT to_char(k.day, 'YYYY-MM-DD') AS day, sum(k.clicks) AS n FROM campaign_link_clicks k
			JOIN campaign_links l ON l.id = k.link_id WHERE l.campaign_id = ? GROUP BY k.day`},
	}
	for _, step := range steps {
		if err := fill(step.into, step.total, step.q, id); err != nil {
			return nil, nil, fmt.Errorf("outreach: stats %d: %w", id, err)
		}
	}
	// Replies in the attached threads during the period (first posts and
	// anything not visible left out).
	replies := `FROM campaign_threads ct JOIN posts p ON p.thread_id = ct.thread_id
		WHERE ct.campaign_id = ? AND p.visibility = 'visible' AND p.deleted_at IS NULL AND p.created_at >= ? AND p.created_at < ?
		AND p.id <> (SELECT min(p0.id) FROM posts p0 WHERE p0.thread_id = ct.thread_id)`
	if err := fill(st.Replies, &st.Totals.Replies, `SELECT to_char((p.created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, count(*) AS n `+replies+` GROUP BY 1`,
		id, v.StartsAt, v.EndsAt); err != nil {
		return nil, nil, fmt.Errorf("outreach: stats %d: %w", id, err)
	}
	if err := db.Raw(`SELECT ct.thread_id AS id, t.title, count(p.id) AS replies FROM campaign_threads ct JOIN threads t ON t.id = ct.thread_id
		LEFT JOIN posts p ON p.thread_id = ct.thread_id AND p.visibility = 'visible' AND p.deleted_at IS NULL AND p.created_at >= ? AND p.created_at < ?
			AND p.id <> (SELECT min(p0.id) FROM posts p0 WHERE p0.thread_id = ct.thread_id)
		WHERE ct.campaign_id = ? GROUP BY ct.thread_id, t.title ORDER BY ct.thread_id`, v.StartsAt, v.EndsAt, id).Scan(&st.ThreadReplies).Error; err != nil {
		return nil, nil, fmt.Errorf("outreach: stats %d: %w", id, err)
	}
	if err := db.Raw(`SELECT l.id, l.title, l.url, coalesce(sum(k.clicks), 0) AS clicks FROM campaign_links l LEFT JOIN campaign_link_clicks k ON k.link_id = l.id
		WHERE l.campaign_id = ? GROUP BY l.id ORDER BY l.position, l.id`, id).Scan(&st.LinkClicks).Error; err != nil {
		return nil, nil, fmt.Errorf("outreach: stats %d: %w", id, err)
	}
	return v, st, nil
}
