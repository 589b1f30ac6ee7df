package outreach

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
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
		out.links = append(out.links, LinkForm{ID: l.ID, Title: title, URL: u})
	}
	if len(f.Threads) > MaxThreads {
		verr.Add("threads", "A campaign has at most "+strconv.Itoa(MaxThreads)+" threads.")
	}
	have := map[int64]bool{}
	for i, ref := range f.Threads {
		if i >= MaxThreads {
			break
		}
		id, foreign := ThreadRef(ref, s.opts.BaseURL)
		if foreign {
			verr.Add("threads", "“"+clip(ref, 60)+"” is on another site: give a thread's number, or its address on this site ("+s.siteHost()+").")
			continue
		}
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

// siteHost is this site's host, for messages.
func (s *Service) siteHost() string {
	if u, err := url.Parse(s.opts.BaseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return "its own address"
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
// threads. A link kept (same id, address or title) keeps its id and clicks.
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
		if err := saveLinks(tx, c.ID, cc.links, now); err != nil {
			return err
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

// saveLinks makes the campaign's links the given ones, keeping each old
// link's id (so its /go/{id} address and its click history) when it is
// matched: first the id the API sent, then the same address, then the
// same title (the address changed). A link matched by nothing is new; an
// old link left unmatched is removed, and /go/{id} answers 410 Gone.
func saveLinks(tx *database.Tx, campaignID int64, links []LinkForm, now time.Time) error {
	type oldLink struct {
		ID         int64
		Title, URL string
	}
	var old []oldLink
	if err := tx.Raw(`SELECT id, title, url FROM campaign_links WHERE campaign_id = ? ORDER BY position, id FOR UPDATE`, campaignID).Scan(&old).Error; err != nil {
		return err
	}
	used := map[int64]bool{}
	ids := make([]int64, len(links))
	match := func(same func(o oldLink, l LinkForm) bool) {
		for i, l := range links {
			if ids[i] != 0 {
				continue
			}
			for _, o := range old {
				if !used[o.ID] && same(o, l) {
					ids[i], used[o.ID] = o.ID, true
					break
				}
			}
		}
	}
	match(func(o oldLink, l LinkForm) bool { return l.ID != 0 && o.ID == l.ID })
	match(func(o oldLink, l LinkForm) bool { return o.URL == l.URL })
	match(func(o oldLink, l LinkForm) bool { return o.Title == l.Title })
	for _, o := range old {
		if used[o.ID] {
			continue
		}
		if err := tx.Exec(`INSERT INTO campaign_links_gone (link_id, removed_at) VALUES (?, ?) ON CONFLICT DO NOTHING`, o.ID, now).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM campaign_links WHERE id = ?`, o.ID).Error; err != nil {
			return err
		}
	}
	for i, l := range links {
		if ids[i] != 0 {
			if err := tx.Exec(`UPDATE campaign_links SET title = ?, url = ?, position = ? WHERE id = ?`, l.Title, l.URL, i, ids[i]).Error; err != nil {
				return err
			}
			continue
		}
		if err := tx.Exec(`INSERT INTO campaign_links (campaign_id, title, url, position) VALUES (?, ?, ?, ?)`, campaignID, l.Title, l.URL, i).Error; err != nil {
			return err
		}
	}
	return nil
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
		// Its links' /go addresses (perhaps in e-mails already sent) then
		// answer 410 Gone, not 404.
		if err := tx.Exec(`INSERT INTO campaign_links_gone (link_id, removed_at) SELECT id, ? FROM campaign_links WHERE campaign_id = ?
			ON CONFLICT DO NOTHING`, s.now().UTC(), id).Error; err != nil {
			return err
		}
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

// ErrLinkGone is a campaign link that was removed (with its campaign or
// from its form): /go/{id} answers 410 Gone.
var ErrLinkGone = errors.New("outreach: campaign link removed")

// Follow returns a campaign link's stored address, the only place
// /go/{id} ever sends anyone, and counts the click when count is true and
// the client (its address and browser, only ever held as an HMAC in this
// instance's memory) did not follow the same link within the last ten
// minutes or so. Nothing about the person is written: only the day's count.
func (s *Service) Follow(ctx context.Context, id int64, clientIP, userAgent string, count bool) (string, error) {
	db := s.db.Gorm.WithContext(ctx)
	var urls []string
	if err := db.Raw(`SELECT url FROM campaign_links WHERE id = ?`, id).Scan(&urls).Error; err != nil {
		return "", fmt.Errorf("outreach: link %d: %w", id, err)
	}
	if len(urls) == 0 {
		var gone int64
		if err := db.Raw(`SELECT count(*) FROM campaign_links_gone WHERE link_id = ?`, id).Scan(&gone).Error; err != nil {
			return "", fmt.Errorf("outreach: link %d: %w", id, err)
		}
		if gone > 0 {
			return "", ErrLinkGone
		}
		return "", models.ErrNotFound
	}
	if count && !IsBot(userAgent) && s.clicks.first(s.opts.Secret, id, clientIP, userAgent, s.now()) {
		day := s.now().UTC().Format(time.DateOnly)
		if err := db.Exec(`INSERT INTO campaign_link_clicks (link_id, day, clicks) SELECT id, ?, 1 FROM campaign_links WHERE id = ?
			ON CONFLICT (link_id, day) DO UPDATE SET clicks = campaign_link_clicks.clicks + 1`, day, id).Error; err != nil {
			return "", fmt.Errorf("outreach: link %d: %w", id, err)
		}
	}
	return urls[0], nil
}

// IsBot reports a User-Agent that announces a robot or a link preview (or
// none at all): such requests are redirected but not counted.
func IsBot(ua string) bool {
	ua = strings.ToLower(strings.TrimSpace(ua))
	if ua == "" {
		return true
	}
	for _, w := range []string{"bot", "crawler", "spider", "preview"} {
		if strings.Contains(ua, w) {
			return true
		}
	}
	return false
}

// clickWindow is how long a client's click on a link counts once: the
// window is a fixed 10-minute bucket of the clock, so two clicks either
// side of a bucket's edge both count.
const clickWindow = 10 * time.Minute

// maxClickKeys bounds the remembered clicks; past it the set starts again.
const maxClickKeys = 200_000

// clickGuard remembers, per instance and in memory only, an HMAC of (link,
// client address, browser, 10-minute bucket) for each counted click. The
// key cannot be turned back into an address without the server key, it is
// never written anywhere, and entries of past buckets are dropped.
type clickGuard struct {
	mu     sync.Mutex
	seen   map[[16]byte]int64 // marker -> bucket
	bucket int64              // the latest bucket seen: older entries are swept
}

func (g *clickGuard) first(secret []byte, link int64, ip, ua string, now time.Time) bool {
	bucket := now.Unix() / int64(clickWindow/time.Second)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("kindred-link-click\x00" + strconv.FormatInt(link, 10) + "\x00" + ip + "\x00" + ua + "\x00" + strconv.FormatInt(bucket, 10)))
	var k [16]byte
	copy(k[:], m.Sum(nil))
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil || len(g.seen) >= maxClickKeys {
		g.seen = map[[16]byte]int64{}
	}
	if bucket != g.bucket {
		for key, b := range g.seen {
			if b < bucket {
				delete(g.seen, key)
			}
		}
		g.bucket = bucket
	}
	if _, ok := g.seen[k]; ok {
		return false
	}
	g.seen[k] = bucket
	return true
}

// Stats are a campaign's figures per day (UTC) and in total. Counts
// only: no member is named anywhere. In a campaign that touches a
// restricted forum (Restricted), figures of 1 to 4 are hidden: see
// family.counts and the README ("Announcements and campaigns").
type Stats struct {
	Restricted    bool          `json:"restricted"` // touches a sensitive or clinician-only forum
	Days          []string      `json:"days"`
	Reach         []Count       `json:"reach"`         // members counted for the first time that day
	VisitorViews  []Count       `json:"visitor_views"` // visitors' impressions
	Dismissals    []Count       `json:"dismissals"`    // cards of the campaign hidden that day
	Clicks        []Count       `json:"clicks"`        // on the campaign's links
	Replies       []Count       `json:"replies"`       // in the campaign's threads
	Totals        StatTotals    `json:"totals"`
	LinkClicks    []LinkCount   `json:"links"`
	ThreadReplies []ThreadCount `json:"threads"`
}

// StatTotals sum a campaign's figures (reach: members counted once).
type StatTotals struct {
	Reach        Count `json:"reach"`
	VisitorViews Count `json:"visitor_views"`
	Dismissals   Count `json:"dismissals"`
	Clicks       Count `json:"clicks"`
	Replies      Count `json:"replies"`
}

// LinkCount is one link's clicks in the period.
type LinkCount struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	URL    string `json:"url"`
	Clicks Count  `json:"clicks"`
}

// ThreadCount is one thread's replies in the period.
type ThreadCount struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	Restricted bool   `json:"restricted"` // in a sensitive or clinician-only forum
	Replies    Count  `json:"replies"`
}

// maxStatDays bounds a chart.
const maxStatDays = 370

// restrictedAnnouncement: scoped to, or for the members of, a sensitive or
// clinician-only forum.
func restrictedAnnouncement(a Announcement) bool {
	return a.ForumID != nil && (a.ForumSensitive || a.ForumClinicianOnly)
}

// Stats computes a campaign's figures, from its start to its end (or
// today, if sooner), hiding small ones when it touches a restricted forum.
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
	st := &Stats{Days: []string{}}
	index := map[string]int{}
	for d := from; !d.After(to) && len(st.Days) < maxStatDays; d = d.AddDate(0, 0, 1) {
		index[d.Format(time.DateOnly)] = len(st.Days)
		st.Days = append(st.Days, d.Format(time.DateOnly))
	}
	n := len(st.Days)
	var reach, views, dismissals, clicks, replies family
	for _, f := range []*family{&reach, &views, &dismissals, &clicks, &replies} {
		f.days = make([]int64, n)
	}
	type dayCount struct {
		Day string
		N   int64
	}
	db := s.db.Gorm.WithContext(ctx)
	fill := func(into *family, q string, args ...any) error {
		var rows []dayCount
		if err := db.Raw(q, args...).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			into.total += r.N
			if i, ok := index[r.Day]; ok {
				into.days[i] += r.N
			}
		}
		return nil
	}
	steps := []struct {
		into *family
		q    string
	}{
		{&reach, `SELECT to_char(first_day, 'YYYY-MM-DD') AS day, count(*) AS n FROM campaign_reach WHERE campaign_id = ? GROUP BY first_day`},
		{&views, `SELECT to_char(day, 'YYYY-MM-DD') AS day, views AS n FROM campaign_visitor_views WHERE campaign_id = ?`},
		{&dismissals, `SELECT to_char((d.created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, count(*) AS n
			FROM announcement_dismissals d JOIN announcements a ON a.id = d.announcement_id WHERE a.campaign_id = ? GROUP BY 1`},
		{&clicks, `SELECT to_char(k.day, 'YYYY-MM-DD') AS day, sum(k.clicks) AS n FROM campaign_link_clicks k
			JOIN campaign_links l ON l.id = k.link_id WHERE l.campaign_id = ? GROUP BY k.day`},
	}
	for _, step := range steps {
		if err := fill(step.into, step.q, id); err != nil {
			return nil, nil, fmt.Errorf("outreach: stats %d: %w", id, err)
		}
	}
	// Replies in the attached threads during the period (first posts and
	// anything not visible left out).
	repliesFrom := `FROM campaign_threads ct JOIN posts p ON p.thread_id = ct.thread_id
		WHERE ct.campaign_id = ? AND p.visibility = 'visible' AND p.deleted_at IS NULL AND p.created_at >= ? AND p.created_at < ?
		AND p.id <> (SELECT min(p0.id) FROM posts p0 WHERE p0.thread_id = ct.thread_id)`
	if err := fill(&replies, `SELECT to_char((p.created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, count(*) AS n `+repliesFrom+` GROUP BY 1`,
		id, v.StartsAt, v.EndsAt); err != nil {
		return nil, nil, fmt.Errorf("outreach: stats %d: %w", id, err)
	}
	type threadRow struct {
		ID         int64
		Title      string
		Restricted bool
		Replies    int64
	}
	var threads []threadRow
	if err := db.Raw(`SELECT ct.thread_id AS id, t.title, bool_or(coalesce(f.sensitive OR f.clinician_only, false)) AS restricted, count(p.id) AS replies
		FROM campaign_threads ct JOIN threads t ON t.id = ct.thread_id LEFT JOIN forums f ON f.id = t.forum_id
		LEFT JOIN posts p ON p.thread_id = ct.thread_id AND p.visibility = 'visible' AND p.deleted_at IS NULL AND p.created_at >= ? AND p.created_at < ?
			AND p.id <> (SELECT min(p0.id) FROM posts p0 WHERE p0.thread_id = ct.thread_id)
		WHERE ct.campaign_id = ? GROUP BY ct.thread_id, t.title ORDER BY ct.thread_id`, v.StartsAt, v.EndsAt, id).Scan(&threads).Error; err != nil {
		return nil, nil, fmt.Errorf("outreach: stats %d: %w", id, err)
	}
	type linkRow struct {
		ID         int64
		Title, URL string
		Clicks     int64
	}
	var links []linkRow
	if err := db.Raw(`SELECT l.id, l.title, l.url, coalesce(sum(k.clicks), 0) AS clicks FROM campaign_links l LEFT JOIN campaign_link_clicks k ON k.link_id = l.id
		WHERE l.campaign_id = ? GROUP BY l.id ORDER BY l.position, l.id`, id).Scan(&links).Error; err != nil {
		return nil, nil, fmt.Errorf("outreach: stats %d: %w", id, err)
	}

	// Does it touch a restricted forum? Its links show only under its
	// announcements (never in a restricted one's e-mail): when every one of
	// them is restricted, so are the clicks.
	restrictedAnns := 0
	for _, a := range v.Announcements {
		if restrictedAnnouncement(a) {
			restrictedAnns++
		}
	}
	st.Restricted = restrictedAnns > 0
	for _, t := range threads {
		st.Restricted = st.Restricted || t.Restricted
		replies.items = append(replies.items, t.Replies)
	}
	for _, l := range links {
		clicks.items = append(clicks.items, l.Clicks)
	}
	// Visitors' views are never hidden: visitors see no restricted forum
	// or its announcements, so they count nobody in one.
	st.VisitorViews, st.Totals.VisitorViews, _ = views.counts(false)
	st.Reach, st.Totals.Reach, _ = reach.counts(st.Restricted)
	st.Dismissals, st.Totals.Dismissals, _ = dismissals.counts(st.Restricted)
	var linkCounts, threadCounts []Count
	st.Clicks, st.Totals.Clicks, linkCounts = clicks.counts(st.Restricted && restrictedAnns == len(v.Announcements))
	st.Replies, st.Totals.Replies, threadCounts = replies.counts(st.Restricted)
	st.LinkClicks = make([]LinkCount, len(links))
	for i, l := range links {
		st.LinkClicks[i] = LinkCount{ID: l.ID, Title: l.Title, URL: l.URL, Clicks: linkCounts[i]}
	}
	st.ThreadReplies = make([]ThreadCount, len(threads))
	for i, t := range threads {
		st.ThreadReplies[i] = ThreadCount{ID: t.ID, Title: t.Title, Restricted: t.Restricted, Replies: threadCounts[i]}
	}
	return v, st, nil
}
