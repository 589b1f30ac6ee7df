// Package outreach is announcements and campaigns: staff write
// announcements for an audience and a period (banners on every page,
// cards on the home and forum pages, optionally e-mailed); admins group
// announcements, threads and links into campaigns and see how far they
// reached, counted without keeping who.
package outreach

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/models"
)

// Audiences of an announcement.
const (
	AudienceEveryone     = "everyone"      // visitors too
	AudienceMembers      = "members"       // signed in
	AudienceForumMembers = "forum_members" // members who joined the forum
	AudienceClinicians   = "clinicians"    // verified clinicians now
)

// Scopes: where an announcement is shown.
const (
	ScopeSite  = "site"  // every page (banner) or the home and forum pages (card)
	ScopeForum = "forum" // its forum's page and its threads' pages only
)

// Priorities.
const (
	PriorityBanner = "banner" // urgent: every page, cannot be dismissed
	PriorityCard   = "card"   // home and forum pages, members may hide it
)

// Limits of what staff write.
const (
	MaxTitle       = 120
	MaxBody        = 5000
	MaxPeriod      = 92 * 24 * time.Hour // an announcement runs at most about three months
	MaxAhead       = 366 * 24 * time.Hour
	MaxCampaign    = 366 * 24 * time.Hour
	MaxName        = 120
	MaxDescription = 2000
	MaxLinks       = 20
	MaxThreads     = 50
	MaxURL         = 2000
)

// Announcement is one row of announcements.
type Announcement struct {
	ID          int64      `json:"id"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	BodyHTML    string     `json:"body_html"`
	Scope       string     `json:"scope"`
	Audience    string     `json:"audience"`
	ForumID     *int64     `json:"forum_id"`
	Priority    string     `json:"priority"`
	HealthAlert bool       `json:"health_alert"`
	Email       bool       `json:"email"`
	StartsAt    time.Time  `json:"starts_at"`
	EndsAt      time.Time  `json:"ends_at"`
	CampaignID  *int64     `json:"campaign_id"`
	AuthorID    *int64     `json:"-"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	MailCursor  int64      `json:"-"`
	MailedAt    *time.Time `json:"mailed_at"`
	// Read with it, never written.
	ForumSlug          string `json:"forum,omitempty" gorm:"->;-:migration"`
	ForumName          string `json:"-" gorm:"->;-:migration"`
	ForumSensitive     bool   `json:"-" gorm:"->;-:migration"`
	ForumClinicianOnly bool   `json:"-" gorm:"->;-:migration"`
}

// Reaches describes who actually sees it, for staff: its audience narrowed
// by who may read its forum (a sensitive forum's notice never reaches a
// visitor, a clinicians' forum's one only verified clinicians).
func (a Announcement) Reaches() string {
	forum := a.ForumID != nil
	switch {
	case forum && a.ForumClinicianOnly && a.Audience == AudienceForumMembers:
		return "members of " + a.ForumName + " who are verified clinicians (clinicians' forum)"
	case forum && a.ForumClinicianOnly:
		return "verified clinicians (clinicians' forum)"
	}
	switch a.Audience {
	case AudienceEveryone:
		if forum && a.ForumSensitive {
			return "signed-in members (sensitive forum: never visitors)"
		}
		return "everyone, visitors too"
	case AudienceMembers:
		return "signed-in members"
	case AudienceForumMembers:
		return "members of " + a.ForumName
	}
	return "verified clinicians"
}

// TableName is the table.
func (Announcement) TableName() string { return "announcements" }

// Shown reports whether it is on the site at t.
func (a *Announcement) Shown(t time.Time) bool { return !t.Before(a.StartsAt) && t.Before(a.EndsAt) }

// Dismissible reports whether a member may hide it: cards only, and
// never an urgent health alert (nor a banner).
func (a *Announcement) Dismissible() bool { return dismissible(a.Priority, a.HealthAlert) }

func dismissible(priority string, healthAlert bool) bool {
	return priority == PriorityCard && !healthAlert
}

// State says where it stands at t: "scheduled", "running" or "ended".
func (a *Announcement) State(t time.Time) string {
	switch {
	case t.Before(a.StartsAt):
		return "scheduled"
	case t.Before(a.EndsAt):
		return "running"
	}
	return "ended"
}

// ThreadReader tells whether the actor may read a thread, and its title
// (app/forums' rule, plugged in by app/server).
type ThreadReader func(ctx context.Context, actor models.Actor, id int64) (title string, err error)

// Options tune the service.
type Options struct {
	Secret []byte // the server key: reach markers are HMACs with it
	// BaseURL is the site's public address (KINDRED_BASE_URL): a campaign
	// thread given as a full address must be on its host.
	BaseURL string
	// CacheTTL is how long an instance keeps the running announcements
	// (other instances see a change within it). At most 5 s.
	CacheTTL time.Duration
	Log      *slog.Logger
}

// Notifier tells members of an e-mailed announcement (app/notify).
type Notifier interface {
	NotifyAnnouncement(ctx context.Context, tx *gorm.DB, userIDs []int64, kind string, announcementID int64, title string, forumID int64) (int64, error)
}

// Service is announcements and campaigns.
type Service struct {
	db      *database.DB
	now     func() time.Time
	md      *markdown.Renderer
	threads ThreadReader
	notify  Notifier
	opts    Options
	log     *slog.Logger

	cache  noticeCache
	reach  reachCounter
	visits visitorCounter
	clicks clickGuard
}

// New builds the service; every collaborator is required.
func New(db *database.DB, now func() time.Time, md *markdown.Renderer, threads ThreadReader, notifier Notifier, o Options) (*Service, error) {
	switch {
	case db == nil:
		return nil, errors.New("outreach: no database")
	case md == nil:
		return nil, errors.New("outreach: no markdown renderer")
	case threads == nil:
		return nil, errors.New("outreach: no thread reader")
	case notifier == nil:
		return nil, errors.New("outreach: no notifier")
	case len(o.Secret) < 16:
		return nil, errors.New("outreach: no server secret")
	}
	if now == nil {
		now = time.Now
	}
	if o.CacheTTL <= 0 || o.CacheTTL > 5*time.Second {
		o.CacheTTL = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	s := &Service{db: db, now: now, md: md, threads: threads, notify: notifier, opts: o, log: o.Log}
	s.reach.seen = map[reachKey]struct{}{}
	s.visits.counts = map[visitKey]int64{}
	return s, nil
}

// noticeCache keeps the announcements not yet ended, briefly.
type noticeCache struct {
	mu      sync.Mutex
	list    []running
	links   map[int64][]linkRow
	fetched time.Time // wall clock: the TTL is real time, whatever the app's clock says
	clockAt time.Time // the app's clock at the fetch: the list holds what starts within lookAhead of it
	gen     uint64
}

// invalidate drops the cached list (after any change on this instance).
func (s *Service) invalidate() {
	s.cache.mu.Lock()
	s.cache.list, s.cache.links, s.cache.fetched = nil, nil, time.Time{}
	s.cache.gen++
	s.cache.mu.Unlock()
}
