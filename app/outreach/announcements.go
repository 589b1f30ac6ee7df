package outreach

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/models"
)

// forumRow is what the rules need of a forum.
type forumRow struct {
	ID            int64
	Slug          string
	Name          string
	Sensitive     bool
	ClinicianOnly bool
	Archived      bool
}

func (f forumRow) model() *models.Forum {
	return &models.Forum{ID: f.ID, Slug: f.Slug, Name: f.Name, Sensitive: f.Sensitive, ClinicianOnly: f.ClinicianOnly}
}

func (s *Service) forumBySlug(ctx context.Context, slug string) (*forumRow, error) {
	var f []forumRow
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, slug, name, sensitive, clinician_only, archived_at IS NOT NULL AS archived FROM forums WHERE slug = ?`, slug).Scan(&f).Error; err != nil {
		return nil, err
	}
	if len(f) == 0 {
		return nil, nil
	}
	return &f[0], nil
}

func (s *Service) forumByID(ctx context.Context, id int64) (*forumRow, error) {
	var f []forumRow
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, slug, name, sensitive, clinician_only FROM forums WHERE id = ?`, id).Scan(&f).Error; err != nil {
		return nil, err
	}
	if len(f) == 0 {
		return nil, nil
	}
	return &f[0], nil
}

// check validates a form into an announcement (not saved). loc is the
// author's time zone for page times.
func (s *Service) check(ctx context.Context, actor models.Actor, f AnnouncementForm, loc *time.Location, creating bool) (*Announcement, error) {
	if !MayAnnounce(actor) {
		return nil, models.ErrForbidden
	}
	verr := models.NewValidationError()
	a := &Announcement{}
	a.Title = checkLine(verr, "title", f.Title, MaxTitle, "a title")
	body := input.NormalizeNewlines(strings.TrimSpace(f.Body))
	switch n := utf8.RuneCountInString(body); {
	case input.Check("body", body) != "":
		verr.Add("body", input.Check("body", body))
	case n == 0:
		verr.Add("body", "Write the announcement.")
	case n > MaxBody:
		verr.Add("body", "Keep the announcement to "+strconv.Itoa(MaxBody)+" characters (this has "+strconv.Itoa(n)+").")
	default:
		if err := markdown.Check("body", body); err != nil {
			var ve *models.ValidationError
			if errors.As(err, &ve) {
				for k, v := range ve.Fields {
					verr.Add(k, v)
				}
			} else {
				verr.Add("body", "This text cannot be shown.")
			}
		} else if html, err := s.md.Render(body); err != nil {
			verr.Add("body", "This text cannot be shown.")
		} else {
			a.BodyHTML = html
		}
	}
	a.Body = body
	a.Scope, a.Audience, a.Priority = f.Scope, f.Audience, f.Priority
	if a.Scope == "" {
		a.Scope = ScopeSite
		if f.Forum != "" && a.Audience != AudienceForumMembers {
			a.Scope = ScopeForum
		}
	}
	if a.Priority == "" {
		a.Priority = PriorityCard
	}
	if !valid(Scopes, a.Scope) {
		verr.Add("scope", "Choose where it shows: the whole site or one forum.")
	}
	if !valid(Audiences, a.Audience) {
		verr.Add("audience", "Choose who it is for.")
	}
	if !valid(Priorities, a.Priority) {
		verr.Add("priority", "Choose a banner or a card.")
	}
	var forum *forumRow
	if a.Scope == ScopeSite && a.Audience != AudienceForumMembers {
		f.Forum = "" // a site-wide announcement names a forum only for its members
	}
	if slug := strings.TrimSpace(f.Forum); slug != "" {
		if msg := input.Check("slug", slug); msg != "" {
			verr.Add("forum", msg)
		} else {
			fr, err := s.forumBySlug(ctx, slug)
			if err != nil {
				return nil, err
			}
			if fr == nil {
				verr.Add("forum", "There is no forum with this address.")
			} else if fr.Archived {
				verr.Add("forum", "The forum “"+fr.Name+"” is archived: announcements are no longer posted there.")
			} else {
				forum = fr
				a.ForumID = &fr.ID
				a.ForumSlug, a.ForumName = fr.Slug, fr.Name
			}
		}
	} else if a.Scope == ScopeForum || a.Audience == AudienceForumMembers {
		verr.Add("forum", "Choose the forum it is for.")
	}
	if a.Scope == ScopeSite && !actor.IsAdmin() {
		verr.Add("scope", "Only admins announce to the whole site: choose one of the forums you moderate.")
	}
	if forum != nil && !actor.IsAdmin() && !actor.Moderates(forum.ID) {
		// Another forum's moderators decide what is said there.
		return nil, models.ErrForbidden
	}
	if a.Priority == PriorityBanner && !MayUseBanner(actor) {
		verr.Add("priority", "Only admins publish banners (they cannot be hidden); post a card instead.")
	}
	a.HealthAlert, a.Email = f.HealthAlert, f.Email
	if a.HealthAlert && !MayFlagHealthAlert(actor) {
		verr.Add("health_alert", "Only admins send urgent health alerts.")
	}
	if a.HealthAlert && !a.Email {
		verr.Add("email", "An urgent health alert is e-mailed: tick “E-mail it”.")
	}
	now := s.now().UTC()
	a.StartsAt, a.EndsAt = checkPeriod(verr, f.StartsAt, f.EndsAt, loc, now, MaxPeriod, "announcement")
	if creating && verr.Fields["ends_at"] == "" && !a.EndsAt.IsZero() && !a.EndsAt.After(now) {
		verr.Add("ends_at", "The end has already passed.")
	}
	if f.CampaignID != 0 {
		if !actor.IsAdmin() {
			verr.Add("campaign_id", "Only admins add announcements to campaigns.")
		} else {
			var n int64
			if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM campaigns WHERE id = ?`, f.CampaignID).Scan(&n).Error; err != nil {
				return nil, err
			}
			if n == 0 {
				verr.Add("campaign_id", "There is no such campaign.")
			} else {
				id := f.CampaignID
				a.CampaignID = &id
			}
		}
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	return a, nil
}

func auditEvent(actor models.Actor, action string, id int64, ip string) models.AuditEvent {
	uid := actor.ID()
	return models.AuditEvent{ActorID: &uid, Action: action, TargetKind: "announcement", TargetID: &id, IP: ip}
}

// Create saves a new announcement (and queues its e-mail for its start).
func (s *Service) Create(ctx context.Context, actor models.Actor, f AnnouncementForm, loc *time.Location, ip string) (*Announcement, error) {
	a, err := s.check(ctx, actor, f, loc, true)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	uid := actor.ID()
	a.AuthorID, a.CreatedAt, a.UpdatedAt = &uid, now, now
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Omit("ID", "MailCursor", "MailedAt").Create(a).Error; err != nil {
			return err
		}
		if err := s.queueMail(ctx, tx, a); err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, auditEvent(actor, "announcement.create", a.ID, ip))
	})
	if err != nil {
		return nil, fmt.Errorf("outreach: create announcement: %w", err)
	}
	s.invalidate()
	return a, nil
}

// queueMail queues the e-mail job for the announcement's start, when it
// is to be e-mailed and has not been. A second job (after an edit) finds
// the work done or carries on from the cursor.
func (s *Service) queueMail(ctx context.Context, tx *database.Tx, a *Announcement) error {
	if !a.Email || a.MailedAt != nil {
		return nil
	}
	at := a.StartsAt
	if now := s.now(); at.Before(now) {
		at = now
	}
	return tx.Enqueue(ctx, MailArgs{AnnouncementID: a.ID}, &river.InsertOpts{ScheduledAt: at})
}

// Manageable loads an announcement the actor may change; any other is
// not found (a moderator never learns of other forums' ones).
func (s *Service) Manageable(ctx context.Context, actor models.Actor, id int64) (*Announcement, error) {
	a, err := s.load(ctx, s.db.Gorm, id)
	if err != nil {
		return nil, err
	}
	var forum int64
	if a.ForumID != nil {
		forum = *a.ForumID
	}
	if !MayManage(actor, a.Scope, forum) {
		return nil, models.ErrNotFound
	}
	if (a.HealthAlert || a.Priority == PriorityBanner) && !MayFlagHealthAlert(actor) {
		// An admin's urgent health alert or banner in a moderator's
		// forum: the moderator reads it, only admins change it.
		return nil, adminOnlyError{}
	}
	return a, nil
}

// adminOnlyError refuses a moderator changing an admin's urgent health
// alert or banner (403 admin_only).
type adminOnlyError struct{}

func (adminOnlyError) Error() string {
	return "outreach: only admins change urgent health alerts and banners"
}

// Public explains the refusal (pages and API).
func (adminOnlyError) Public() models.PublicError {
	return models.PublicError{Status: http.StatusForbidden, Code: "admin_only", Heading: "Only admins change this announcement",
		Message: "Urgent health alerts and banners are the admins'. Ask an admin if it needs changing or ending.",
		Link:    "/moderation/announcements", LinkText: "Back to the announcements"}
}

const annColumns = `a.id, a.title, a.body, a.body_html, a.scope, a.audience, a.forum_id, a.priority, a.health_alert, a.email, a.starts_at, a.ends_at,
	a.campaign_id, a.author_id, a.created_at, a.updated_at, a.mail_cursor, a.mailed_at, coalesce(f.slug, '') AS forum_slug, coalesce(f.name, '') AS forum_name,
	coalesce(f.sensitive, false) AS forum_sensitive, coalesce(f.clinician_only, false) AS forum_clinician_only`

func (s *Service) load(ctx context.Context, db *gorm.DB, id int64) (*Announcement, error) {
	var out []Announcement
	if err := db.WithContext(ctx).Raw(`SELECT `+annColumns+` FROM announcements a LEFT JOIN forums f ON f.id = a.forum_id WHERE a.id = ?`, id).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("outreach: announcement %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, models.ErrNotFound
	}
	return &out[0], nil
}

// Update changes an announcement within the actor's scope.
func (s *Service) Update(ctx context.Context, actor models.Actor, id int64, f AnnouncementForm, loc *time.Location, ip string) (*Announcement, error) {
	old, err := s.Manageable(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if !actor.IsAdmin() && old.CampaignID != nil && f.CampaignID == *old.CampaignID {
		f.CampaignID = 0 // sent back as read: kept below, not a change
	}
	a, err := s.check(ctx, actor, f, loc, false)
	if err != nil {
		return nil, err
	}
	a.ID, a.AuthorID, a.CreatedAt, a.MailedAt, a.MailCursor = old.ID, old.AuthorID, old.CreatedAt, old.MailedAt, old.MailCursor
	a.UpdatedAt = s.now().UTC()
	if a.CampaignID == nil && !actor.IsAdmin() {
		a.CampaignID = old.CampaignID // moderators cannot see or change it
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Model(&Announcement{}).Where("id = ?", id).Updates(map[string]any{
			"title": a.Title, "body": a.Body, "body_html": a.BodyHTML, "scope": a.Scope, "audience": a.Audience, "forum_id": a.ForumID,
			"priority": a.Priority, "health_alert": a.HealthAlert, "email": a.Email, "starts_at": a.StartsAt, "ends_at": a.EndsAt,
			"campaign_id": a.CampaignID, "updated_at": a.UpdatedAt}).Error; err != nil {
			return err
		}
		// Newly e-mailed, or moved: a job for the (new) start. One queued
		// before finds the work done, or waits for the new start itself.
		if a.Email && (!old.Email || !a.StartsAt.Equal(old.StartsAt)) {
			if err := s.queueMail(ctx, tx, a); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx.DB, auditEvent(actor, "announcement.update", id, ip))
	})
	if err != nil {
		return nil, fmt.Errorf("outreach: update announcement %d: %w", id, err)
	}
	s.invalidate()
	return a, nil
}

// End takes an announcement off the site now (a scheduled one never
// shows).
func (s *Service) End(ctx context.Context, actor models.Actor, id int64, ip string) error {
	a, err := s.Manageable(ctx, actor, id)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	if !a.EndsAt.After(now) {
		return nil
	}
	start := a.StartsAt
	if !start.Before(now) {
		start = now.Add(-time.Second)
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Exec(`UPDATE announcements SET ends_at = ?, starts_at = ?, updated_at = ? WHERE id = ?`, now, start, now, id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, auditEvent(actor, "announcement.end", id, ip))
	})
	if err != nil {
		return fmt.Errorf("outreach: end announcement %d: %w", id, err)
	}
	s.invalidate()
	return nil
}

// Delete removes an announcement (with its dismissals and unsent
// e-mail).
func (s *Service) Delete(ctx context.Context, actor models.Actor, id int64, ip string) error {
	if _, err := s.Manageable(ctx, actor, id); err != nil {
		return err
	}
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Exec(`DELETE FROM announcements WHERE id = ?`, id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, auditEvent(actor, "announcement.delete", id, ip))
	})
	if err != nil {
		return fmt.Errorf("outreach: delete announcement %d: %w", id, err)
	}
	s.invalidate()
	return nil
}

// Managed lists the announcements the actor may manage, newest end first.
func (s *Service) Managed(ctx context.Context, actor models.Actor) ([]Announcement, error) {
	if !MayAnnounce(actor) {
		return nil, models.ErrForbidden
	}
	q := `SELECT ` + annColumns + ` FROM announcements a LEFT JOIN forums f ON f.id = a.forum_id`
	var args []any
	switch {
	case actor.IsAdmin():
	case actor.IsStaff():
		q += ` WHERE a.scope = 'forum'`
	default:
		ids := make([]int64, 0, len(actor.ModeratedForums))
		for id, ok := range actor.ModeratedForums {
			if ok {
				ids = append(ids, id)
			}
		}
		q += ` WHERE a.scope = 'forum' AND a.forum_id IN ?`
		args = append(args, ids)
	}
	q += ` ORDER BY a.ends_at DESC, a.id DESC LIMIT 200`
	var out []Announcement
	if err := s.db.Gorm.WithContext(ctx).Raw(q, args...).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("outreach: announcements: %w", err)
	}
	return out, nil
}

// ModeratedForums are the forums the actor may announce in (all for staff).
func (s *Service) ModeratedForums(ctx context.Context, actor models.Actor) ([]forumRow, error) {
	var out []forumRow
	q := `SELECT id, slug, name, sensitive, clinician_only FROM forums WHERE archived_at IS NULL`
	var args []any
	if !actor.IsStaff() {
		ids := []int64{0}
		for id, ok := range actor.ModeratedForums {
			if ok {
				ids = append(ids, id)
			}
		}
		q += ` AND id IN ?`
		args = append(args, ids)
	}
	err := s.db.Gorm.WithContext(ctx).Raw(q+` ORDER BY name`, args...).Scan(&out).Error
	return out, err
}

// Campaigns lists campaigns for the form's choice (admins).
func (s *Service) campaignChoices(ctx context.Context) ([]Campaign, error) {
	var out []Campaign
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, name, starts_at, ends_at FROM campaigns ORDER BY ends_at DESC LIMIT 100`).Scan(&out).Error
	return out, err
}

// isMember reports whether the member joined the forum.
func (s *Service) isMember(ctx context.Context, userID, forumID int64) (bool, error) {
	if userID == 0 {
		return false, nil
	}
	var n int64
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM forum_members WHERE user_id = ? AND forum_id = ?`, userID, forumID).Scan(&n).Error
	return n > 0, err
}

// sees reports whether the actor is the announcement's audience now.
func (s *Service) sees(ctx context.Context, actor models.Actor, a *Announcement) (bool, error) {
	if !a.Shown(s.now()) {
		return false, nil
	}
	var forum *models.Forum
	member := false
	if a.ForumID != nil {
		fr, err := s.forumByID(ctx, *a.ForumID)
		if err != nil || fr == nil {
			return false, err
		}
		forum = fr.model()
		if a.Audience == AudienceForumMembers {
			if member, err = s.isMember(ctx, actor.ID(), fr.ID); err != nil {
				return false, err
			}
		}
	}
	return InAudience(actor, a.Audience, forum, member), nil
}

// Visible is an announcement the actor is the audience of, running now;
// any other is not found.
func (s *Service) Visible(ctx context.Context, actor models.Actor, id int64) (*Announcement, error) {
	a, err := s.load(ctx, s.db.Gorm, id)
	if err != nil {
		return nil, err
	}
	ok, err := s.sees(ctx, actor, a)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, models.ErrNotFound
	}
	return a, nil
}

// Dismiss hides a card for the member for good. Banners cannot be
// hidden (409); one the member cannot see is not found.
func (s *Service) Dismiss(ctx context.Context, actor models.Actor, id int64) error {
	if !actor.SignedIn() {
		return models.ErrSignInRequired
	}
	a, err := s.Visible(ctx, actor, id)
	if err != nil {
		return err
	}
	if a.Priority == PriorityBanner {
		return &models.ConflictError{Message: "Urgent announcements stay until they end: they cannot be hidden."}
	}
	if !a.Dismissible() {
		return &models.ConflictError{Message: "Urgent health alerts stay until they end: they cannot be hidden."}
	}
	err = s.db.Gorm.WithContext(ctx).Exec(`INSERT INTO announcement_dismissals (user_id, announcement_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, actor.ID(), id, s.now().UTC()).Error
	if err != nil {
		return fmt.Errorf("outreach: dismiss %d: %w", id, err)
	}
	return nil
}

// Undismiss shows a hidden card again on the member's pages (what they
// hid stays listed on /announcements while it runs).
func (s *Service) Undismiss(ctx context.Context, actor models.Actor, id int64) error {
	if !actor.SignedIn() {
		return models.ErrSignInRequired
	}
	if _, err := s.Visible(ctx, actor, id); err != nil {
		return err
	}
	if err := s.db.Gorm.WithContext(ctx).Exec(`DELETE FROM announcement_dismissals WHERE user_id = ? AND announcement_id = ?`, actor.ID(), id).Error; err != nil {
		return fmt.Errorf("outreach: undismiss %d: %w", id, err)
	}
	return nil
}

// ListedOne is one announcement the actor is the audience of, in the
// same shape as ForActor lists them.
func (s *Service) ListedOne(ctx context.Context, actor models.Actor, id int64) (*Listed, error) {
	a, err := s.Visible(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	links, err := s.publicLinks(ctx, a.CampaignID)
	if err != nil {
		return nil, err
	}
	st, err := s.memberState(ctx, actor.ID(), 0, []int64{a.ID}, nil)
	if err != nil {
		return nil, err
	}
	l := Listed{ID: a.ID, Title: a.Title, BodyHTML: a.BodyHTML, Scope: a.Scope, Audience: a.Audience, Priority: a.Priority,
		HealthAlert: a.HealthAlert, StartsAt: a.StartsAt, EndsAt: a.EndsAt, Dismissed: st.dismissed[a.ID] && a.Dismissible(),
		Dismissible: actor.SignedIn() && a.Dismissible(), Links: []ListedLink{}}
	if a.ForumID != nil {
		l.Forum = a.ForumSlug
	}
	for _, lk := range links {
		l.Links = append(l.Links, ListedLink{Title: lk.Title, URL: lk.Href})
	}
	return &l, nil
}

// ForActor lists the running announcements the actor is the audience of
// (the API: every context at once), with whether each was dismissed.
func (s *Service) ForActor(ctx context.Context, actor models.Actor) ([]Listed, error) {
	list, links, err := s.running(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var ids, forums []int64
	for _, r := range list {
		if r.shown(now) {
			ids = append(ids, r.ID)
			if r.ForumID != 0 {
				forums = append(forums, r.ForumID)
			}
		}
	}
	st, err := s.memberState(ctx, actor.ID(), 0, ids, forums)
	if err != nil {
		return nil, err
	}
	out := []Listed{}
	for _, r := range list {
		if !r.shown(now) || !InAudience(actor, r.Audience, r.forum(), st.memberOf[r.ForumID]) {
			continue
		}
		l := Listed{ID: r.ID, Title: r.Title, BodyHTML: r.BodyHTML, Scope: r.Scope, Audience: r.Audience, Priority: r.Priority,
			HealthAlert: r.HealthAlert, StartsAt: r.StartsAt, EndsAt: r.EndsAt, Dismissed: st.dismissed[r.ID] && dismissible(r.Priority, r.HealthAlert),
			Dismissible: actor.SignedIn() && dismissible(r.Priority, r.HealthAlert), Links: []ListedLink{}}
		if r.ForumID != 0 {
			l.Forum = r.ForumSlug
		}
		for _, lk := range links[r.CampaignID] {
			l.Links = append(l.Links, ListedLink{Title: lk.Title, URL: "/go/" + strconv.FormatInt(lk.ID, 10)})
		}
		out = append(out, l)
	}
	return out, nil
}

// Listed is an announcement as the API lists it to its audience.
type Listed struct {
	ID          int64        `json:"id"`
	Title       string       `json:"title"`
	BodyHTML    string       `json:"body_html"`
	Scope       string       `json:"scope"`
	Audience    string       `json:"audience"`
	Forum       string       `json:"forum,omitempty"`
	Priority    string       `json:"priority"`
	HealthAlert bool         `json:"health_alert"`
	StartsAt    time.Time    `json:"starts_at"`
	EndsAt      time.Time    `json:"ends_at"`
	Dismissible bool         `json:"dismissible"`
	Dismissed   bool         `json:"dismissed"`
	Links       []ListedLink `json:"links"`
}

// ListedLink is a campaign link, through the counting redirect.
type ListedLink struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}
