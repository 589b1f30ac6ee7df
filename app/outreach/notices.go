package outreach

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"html/template"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// running is an announcement not yet ended, as pages need it.
type running struct {
	ID                 int64
	Title              string
	BodyHTML           string
	Scope              string
	Audience           string
	ForumID            int64
	ForumSlug          string
	ForumName          string
	ForumSensitive     bool
	ForumClinicianOnly bool
	Priority           string
	HealthAlert        bool
	StartsAt           time.Time
	EndsAt             time.Time
	CampaignID         int64
}

func (r *running) shown(t time.Time) bool { return !t.Before(r.StartsAt) && t.Before(r.EndsAt) }

func (r *running) forum() *models.Forum {
	if r.ForumID == 0 {
		return nil
	}
	return &models.Forum{ID: r.ForumID, Slug: r.ForumSlug, Sensitive: r.ForumSensitive, ClinicianOnly: r.ForumClinicianOnly}
}

type linkRow struct {
	ID         int64
	CampaignID int64
	Title      string
}

// What one page shows at most; the rest are listed on /announcements.
const (
	MaxBannersShown = 2
	MaxCardsShown   = 3
)

// maxRunning bounds what one instance keeps: far more than a site runs
// (running ones first, should it ever be reached).
const maxRunning = 200

// lookAhead: the cached list also holds announcements starting this soon,
// so a start needs no query of its own.
const lookAhead = 10 * time.Minute

// running returns the announcements not ended (scheduled ones too, so a
// start on the clock needs no new query), from the cache when it is
// fresh: one indexed query per instance every CacheTTL at most.
func (s *Service) running(ctx context.Context) ([]running, map[int64][]linkRow, error) {
	s.cache.mu.Lock()
	now := s.now()
	if !s.cache.fetched.IsZero() && time.Since(s.cache.fetched) < s.opts.CacheTTL && s.cache.list != nil && now.Before(s.cache.clockAt.Add(lookAhead)) {
		list, links := s.cache.list, s.cache.links
		s.cache.mu.Unlock()
		return list, links, nil
	}
	gen := s.cache.gen
	s.cache.mu.Unlock()
	// Running, and starting within lookAhead: an announcement that starts
	// or ends while cached shows or drops out by its own times.
	var list []running
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT a.id, a.title, a.body_html, a.scope, a.audience, coalesce(a.forum_id, 0) AS forum_id,
		coalesce(f.slug, '') AS forum_slug, coalesce(f.name, '') AS forum_name, coalesce(f.sensitive, false) AS forum_sensitive,
		coalesce(f.clinician_only, false) AS forum_clinician_only, a.priority, a.health_alert, a.starts_at, a.ends_at, coalesce(a.campaign_id, 0) AS campaign_id
		FROM announcements a LEFT JOIN forums f ON f.id = a.forum_id
		WHERE a.ends_at > ? AND a.starts_at <= ?
		ORDER BY (a.starts_at <= ?) DESC, (a.priority = 'banner') DESC, a.health_alert DESC, a.starts_at DESC, a.id DESC LIMIT ?`,
		now.UTC(), now.Add(lookAhead).UTC(), now.UTC(), maxRunning).Scan(&list).Error
	if err != nil {
		return nil, nil, err
	}
	if list == nil {
		list = []running{}
	}
	links := map[int64][]linkRow{}
	var campaigns []int64
	for _, r := range list {
		if r.CampaignID != 0 {
			campaigns = append(campaigns, r.CampaignID)
		}
	}
	if len(campaigns) > 0 {
		var rows []linkRow
		if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, campaign_id, title FROM campaign_links WHERE campaign_id IN ? ORDER BY position, id`, campaigns).Scan(&rows).Error; err != nil {
			return nil, nil, err
		}
		for _, l := range rows {
			links[l.CampaignID] = append(links[l.CampaignID], l)
		}
	}
	s.cache.mu.Lock()
	if s.cache.gen == gen { // no change on this instance while reading
		s.cache.list, s.cache.links, s.cache.fetched, s.cache.clockAt = list, links, time.Now(), now
	}
	s.cache.mu.Unlock()
	return list, links, nil
}

// memberInfo is what one page needs to know of a member: the dismissed
// cards among ids, the forums among forums they joined, and the forum of
// the thread (when threadID is not 0).
type memberInfo struct {
	dismissed   map[int64]bool
	memberOf    map[int64]bool
	threadForum int64
}

// memberState reads it in one round trip; nothing for a visitor on a
// page that is not a thread.
func (s *Service) memberState(ctx context.Context, userID, threadID int64, ids, forums []int64) (memberInfo, error) {
	st := memberInfo{dismissed: map[int64]bool{}, memberOf: map[int64]bool{}}
	if (userID == 0 || len(ids) == 0) && threadID == 0 {
		return st, nil
	}
	if ids == nil {
		ids = []int64{}
	}
	if forums == nil {
		forums = []int64{}
	}
	var threadForum *int64
	var dismissed, memberOf []int64
	err := s.db.Pool.QueryRow(ctx, `SELECT (SELECT forum_id FROM threads WHERE id = $1),
		coalesce((SELECT array_agg(announcement_id) FROM announcement_dismissals WHERE user_id = $2 AND announcement_id = ANY($3)), '{}'),
		coalesce((SELECT array_agg(forum_id) FROM forum_members WHERE user_id = $2 AND forum_id = ANY($4)), '{}')`,
		threadID, userID, ids, forums).Scan(&threadForum, &dismissed, &memberOf)
	if err != nil {
		return st, err
	}
	if threadForum != nil {
		st.threadForum = *threadForum
	}
	for _, id := range dismissed {
		st.dismissed[id] = true
	}
	for _, id := range memberOf {
		st.memberOf[id] = true
	}
	return st, nil
}

// Notices implements web.NoticeSource: the page's banners (site-wide ones
// on every page) and cards (site-wide ones on the home and forum pages);
// a forum's own announcements only on its forum and thread pages. All for the
// actor's audience, without the cards they hid. A failure shows none and
// is logged: announcements never break a page.
func (s *Service) Notices(c echo.Context) web.Notices {
	ctx := c.Request().Context()
	actor := web.Actor(c)
	list, links, err := s.running(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "outreach: announcements", "error", err.Error())
		return web.Notices{}
	}
	if len(list) == 0 {
		return web.Notices{}
	}
	now := s.now()
	route := c.Path()
	home := route == "/"
	forumPage := route == "/f/:slug"
	var threadID int64
	if route == "/t/:id" {
		threadID, _ = strconv.ParseInt(c.Param("id"), 10, 64)
	}
	// Which are candidates here, before what only the database knows.
	var cands []*running
	var ids, forums []int64
	needThread := false
	for i := range list {
		r := &list[i]
		if !r.shown(now) {
			continue
		}
		if r.Scope == ScopeForum {
			switch {
			case forumPage && r.ForumSlug == c.Param("slug"):
			case threadID != 0:
				needThread = true
			default:
				continue
			}
		} else if r.Priority == PriorityCard && !home && !forumPage {
			continue
		}
		cands = append(cands, r)
		ids = append(ids, r.ID)
		if r.ForumID != 0 {
			forums = append(forums, r.ForumID)
		}
	}
	if len(cands) == 0 {
		return web.Notices{}
	}
	if !needThread {
		threadID = 0
	}
	st, err := s.memberState(ctx, actor.ID(), threadID, ids, forums)
	if err != nil {
		s.log.WarnContext(ctx, "outreach: announcements", "error", err.Error())
		return web.Notices{}
	}
	var out web.Notices
	for _, r := range cands {
		if r.Scope == ScopeForum && !forumPage && r.ForumID != st.threadForum {
			continue
		}
		if !InAudience(actor, r.Audience, r.forum(), st.memberOf[r.ForumID]) {
			continue
		}
		if r.Priority == PriorityCard && st.dismissed[r.ID] && dismissible(r.Priority, r.HealthAlert) {
			out.Hidden++
			continue
		}
		n := web.Notice{ID: r.ID, Title: r.Title, BodyHTML: template.HTML(r.BodyHTML), // rendered by app/markdown at write time
			Banner: r.Priority == PriorityBanner, HealthAlert: r.HealthAlert, Dismissible: dismissible(r.Priority, r.HealthAlert) && actor.SignedIn(), Ends: r.EndsAt}
		if r.Scope == ScopeForum {
			n.Forum = r.ForumName
		}
		for _, l := range links[r.CampaignID] {
			n.Links = append(n.Links, web.NoticeLink{Title: l.Title, Href: "/go/" + strconv.FormatInt(l.ID, 10)})
		}
		// A page shows a few (the list is in order: health alerts, then
		// the latest); the rest are on /announcements.
		if n.Banner {
			if len(out.Banners) >= MaxBannersShown {
				out.MoreBanners++
				continue
			}
			out.Banners = append(out.Banners, n)
		} else {
			if len(out.Cards) >= MaxCardsShown {
				out.MoreCards++
				continue
			}
			out.Cards = append(out.Cards, n)
		}
		if r.CampaignID != 0 {
			s.countImpression(ctx, r.CampaignID, actor.ID())
		}
	}
	return out
}

// Reach: a member shown any of a campaign's announcements is counted once,
// as a marker only the server key can tie to them. An instance remembers
// the markers it wrote, so a member already counted costs no write.

type reachKey struct {
	campaign int64
	marker   [16]byte
}

type reachCounter struct {
	mu   sync.Mutex
	seen map[reachKey]struct{}
}

// maxSeen bounds the remembered markers; past it the set starts again
// (the insert's ON CONFLICT keeps the count right).
const maxSeen = 200_000

func (s *Service) marker(campaignID, userID int64) [16]byte {
	m := hmac.New(sha256.New, s.opts.Secret)
	m.Write([]byte("kindred-campaign-reach\x00" + strconv.FormatInt(campaignID, 10) + "\x00" + strconv.FormatInt(userID, 10)))
	var out [16]byte
	copy(out[:], m.Sum(nil))
	return out
}

type visitKey struct {
	campaign int64
	day      string
}

type visitorCounter struct {
	mu      sync.Mutex
	counts  map[visitKey]int64
	flushed time.Time // wall clock
}

// visitorFlushEvery: visitors' impressions are written at most this
// often per instance (a number per campaign and day).
const visitorFlushEvery = 10 * time.Second

func (s *Service) countImpression(ctx context.Context, campaignID, userID int64) {
	if userID == 0 {
		day := s.now().UTC().Format(time.DateOnly)
		s.visits.mu.Lock()
		s.visits.counts[visitKey{campaignID, day}]++
		due := time.Since(s.visits.flushed) >= visitorFlushEvery
		s.visits.mu.Unlock()
		if due {
			if err := s.FlushVisitors(ctx); err != nil {
				s.log.WarnContext(ctx, "outreach: visitor impressions", "error", err.Error())
			}
		}
		return
	}
	k := reachKey{campaignID, s.marker(campaignID, userID)}
	s.reach.mu.Lock()
	_, done := s.reach.seen[k]
	s.reach.mu.Unlock()
	if done {
		return
	}
	err := s.db.Gorm.WithContext(ctx).Exec(`INSERT INTO campaign_reach (campaign_id, marker, first_day) SELECT id, ?, ? FROM campaigns WHERE id = ?
		ON CONFLICT DO NOTHING`, k.marker[:], s.now().UTC().Format(time.DateOnly), campaignID).Error
	if err != nil {
		s.log.WarnContext(ctx, "outreach: reach", "error", err.Error())
		return
	}
	s.reach.mu.Lock()
	if len(s.reach.seen) >= maxSeen {
		s.reach.seen = map[reachKey]struct{}{}
	}
	s.reach.seen[k] = struct{}{}
	s.reach.mu.Unlock()
}

// FlushVisitors writes the visitors' impressions counted so far.
func (s *Service) FlushVisitors(ctx context.Context) error {
	s.visits.mu.Lock()
	counts := s.visits.counts
	s.visits.counts = map[visitKey]int64{}
	s.visits.flushed = time.Now()
	s.visits.mu.Unlock()
	for k, n := range counts {
		// A campaign deleted meanwhile takes its counts with it.
		err := s.db.Gorm.WithContext(ctx).Exec(`INSERT INTO campaign_visitor_views (campaign_id, day, views) SELECT id, ?, ? FROM campaigns WHERE id = ?
			ON CONFLICT (campaign_id, day) DO UPDATE SET views = campaign_visitor_views.views + excluded.views`, k.day, n, k.campaign).Error
		if err != nil {
			// Put back what was not written, for the next flush.
			s.visits.mu.Lock()
			s.visits.counts[k] += n
			s.visits.mu.Unlock()
			return err
		}
	}
	return nil
}
