package forums

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/models"
)

// Profile is what a member's page shows.
type Profile struct {
	UserID   int64       `json:"-"`
	Handle   string      `json:"handle"`
	Role     models.Role `json:"role"`
	JoinedAt time.Time   `json:"joined_at"`
	// ClinicianBadge is "Registered nurse · Cardiology" while verified.
	ClinicianBadge string           `json:"clinician_badge"`
	Muted          bool             `json:"muted"`     // by the viewer
	Following      bool             `json:"following"` // the viewer follows them
	Forums         []ProfileForum   `json:"forums"`
	RecentPosts    []ProfilePostRow `json:"recent_posts"`
}

// ProfileForum is a forum the member joined.
type ProfileForum struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// ProfilePostRow is one of the member's recent public posts.
type ProfilePostRow struct {
	PostID      int64     `json:"post_id"`
	ThreadID    int64     `json:"thread_id"`
	ThreadTitle string    `json:"thread_title"`
	ForumName   string    `json:"forum_name"`
	ForumSlug   string    `json:"forum_slug"`
	BodyHTML    string    `json:"body_html"`
	CreatedAt   time.Time `json:"created_at"`
}

// Profile loads a member's page. Sensitive and clinician-only forums, and
// anonymous posts, never appear on it: membership of a sensitive forum is
// itself health information.
func (s *Service) Profile(ctx context.Context, v Viewer, handle string) (_ *Profile, err error) {
	defer wrap(&err, "forums: profile")
	var u models.User
	err = s.db.Gorm.WithContext(ctx).Where("lower(handle) = lower(?)", handle).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("forums: member %q: %w", handle, models.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if !CanSeeProfile(v, &u) {
		if !v.SignedIn() && u.ProfileVisibility == models.ProfileMembers {
			return nil, models.ErrSignInRequired
		}
		// Whether the member exists is nobody else's business.
		return nil, fmt.Errorf("forums: member %q: %w", handle, models.ErrNotFound)
	}
	p := &Profile{UserID: u.ID, Handle: u.Handle, Role: u.Role, JoinedAt: u.CreatedAt}
	db := s.db.Gorm.WithContext(ctx)
	if v.User != nil {
		if err := db.Raw(`SELECT EXISTS (SELECT 1 FROM mutes WHERE user_id = ? AND muted_id = ?)`, v.User.ID, u.ID).Scan(&p.Muted).Error; err != nil {
			return nil, err
		}
		if err := db.Raw(`SELECT EXISTS (SELECT 1 FROM member_follows WHERE user_id = ? AND followed_id = ?)`, v.User.ID, u.ID).Scan(&p.Following).Error; err != nil {
			return nil, err
		}
	}
	if err := db.Raw(`SELECT `+badgeSQL+`
		FROM credentials c JOIN professions pr ON pr.code = c.profession
		WHERE c.user_id = ? AND clinician_verified(c.status, c.verified_until, ?)`, u.ID, v.Now.UTC()).Scan(&p.ClinicianBadge).Error; err != nil {
		return nil, err
	}
	if err := db.Raw(`SELECT f.slug, f.name FROM forum_members m JOIN forums f ON f.id = m.forum_id
		WHERE m.user_id = ? AND `+publicForumSQL+` AND f.archived_at IS NULL ORDER BY f.position, f.name`, u.ID).Scan(&p.Forums).Error; err != nil {
		return nil, err
	}
	if err := db.Raw(`SELECT p.id AS post_id, t.id AS thread_id, t.title AS thread_title, f.name AS forum_name, f.slug AS forum_slug, p.body_html, p.created_at
		FROM posts p JOIN threads t ON t.id = p.thread_id JOIN forums f ON f.id = t.forum_id
		WHERE p.author_id = ? AND NOT p.anonymous AND p.deleted_at IS NULL AND p.visibility = 'visible' AND t.visibility = 'visible'
		  AND `+publicForumSQL+`
		ORDER BY p.id DESC LIMIT 10`, u.ID).Scan(&p.RecentPosts).Error; err != nil {
		return nil, err
	}
	return p, nil
}

// publicForumSQL keeps forums f that everyone may read (models/actor.go
// decides who reads what).
var publicForumSQL = models.ForumAudienceSQL("f") + " = '" + models.AudiencePublic + "'"

// SetMute mutes (on) or unmutes another member for v. Muting is private:
// the muted member is never told.
func (s *Service) SetMute(ctx context.Context, v Viewer, handle string, on bool) (err error) {
	defer wrap(&err, "forums: mute a member")
	if !v.SignedIn() {
		return models.ErrSignInRequired
	}
	var id int64
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id FROM users WHERE lower(handle) = lower(?)`, handle).Scan(&id).Error; err != nil {
		return err
	}
	if id == 0 {
		return fmt.Errorf("forums: member %q: %w", handle, models.ErrNotFound)
	}
	if id == v.User.ID {
		verr := models.NewValidationError()
		verr.Add("mute", "You cannot mute yourself.")
		return verr
	}
	db := s.db.Gorm.WithContext(ctx)
	if on {
		return db.Exec(`INSERT INTO mutes (user_id, muted_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, v.User.ID, id, s.now().UTC()).Error
	}
	return db.Exec(`DELETE FROM mutes WHERE user_id = ? AND muted_id = ?`, v.User.ID, id).Error
}

// SetFollowMember follows or unfollows a member. Following is private (the
// member is not told) and, for now, decides who may write to a member who
// accepts messages only from people they follow.
func (s *Service) SetFollowMember(ctx context.Context, v Viewer, handle string, on bool) (err error) {
	defer wrap(&err, "forums: follow a member")
	if !v.SignedIn() {
		return models.ErrSignInRequired
	}
	var u models.User
	if err := s.db.Gorm.WithContext(ctx).Where("lower(handle) = lower(?)", handle).Limit(1).Find(&u).Error; err != nil {
		return err
	}
	if u.ID == 0 || !CanSeeProfile(v, &u) {
		return fmt.Errorf("forums: member %q: %w", handle, models.ErrNotFound)
	}
	if u.ID == v.User.ID {
		verr := models.NewValidationError()
		verr.Add("follow", "You cannot follow yourself.")
		return verr
	}
	db := s.db.Gorm.WithContext(ctx)
	if on {
		return db.Exec(`INSERT INTO member_follows (user_id, followed_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, v.User.ID, u.ID, s.now().UTC()).Error
	}
	return db.Exec(`DELETE FROM member_follows WHERE user_id = ? AND followed_id = ?`, v.User.ID, u.ID).Error
}
