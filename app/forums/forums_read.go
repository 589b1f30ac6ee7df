package forums

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kindred-health/kindred/models"
)

// ForumItem is a forum with the viewer's relation to it.
type ForumItem struct {
	models.Forum
	Joined    bool `json:"joined"`
	Following bool `json:"following"`
	// Unread counts threads with posts the member has not read, and new
	// threads they never opened (0 for visitors).
	Unread int `json:"unread_threads"`
	// hasResources: the forum lists resources (resources.go), so its page
	// asks for them; the others cost no extra statement.
	hasResources bool
}

// Forums lists the forums v may read: active ones first by position, then archived.
func (s *Service) Forums(ctx context.Context, v Viewer, onlyJoined bool) (_ []ForumItem, err error) {
	defer wrap(&err, "forums: list forums")
	uid := int64(0)
	if v.User != nil {
		uid = v.User.ID
	}
	q := `SELECT f.*, (fm.user_id IS NOT NULL) AS joined, (ff.user_id IS NOT NULL) AS following
		FROM forums f
		LEFT JOIN forum_members fm ON fm.forum_id = f.id AND fm.user_id = ?
		LEFT JOIN forum_follows ff ON ff.forum_id = f.id AND ff.user_id = ?`
	if onlyJoined {
		q += ` WHERE fm.user_id IS NOT NULL`
	}
	q += ` ORDER BY f.archived_at IS NOT NULL, f.position, f.name`
	var rows []ForumItem
	if err := s.db.Gorm.WithContext(ctx).Raw(q, uid, uid).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("forums: list: %w", err)
	}
	unread, err := s.unreadByForum(ctx, v)
	if err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, r := range rows {
		if CanReadForum(v, &r.Forum) {
			r.Unread = unread[r.ID]
			out = append(out, r)
		}
	}
	return out, nil
}

// Forum finds a forum by slug that v may read (pgx directly: every forum
// page starts here).
func (s *Service) Forum(ctx context.Context, v Viewer, slug string) (_ *ForumItem, err error) {
	defer wrap(&err, "forums: forum %q", slug)
	if !slugPattern.MatchString(slug) {
		return nil, fmt.Errorf("forums: forum %q: %w", slug, models.ErrNotFound)
	}
	uid := int64(0)
	if v.User != nil {
		uid = v.User.ID
	}
	fi := &ForumItem{}
	f := &fi.Forum
	var specs []string
	err = s.read(ctx, v, func(pool *pgxpool.Pool) error {
		return pool.QueryRow(ctx, `SELECT f.id, f.slug, f.name, f.description, f.guidelines, f.guidelines_html, f.sensitive, f.clinician_only,
		f.specialties, f.position, f.thread_count, f.archived_at, f.created_at, f.updated_at,
		EXISTS (SELECT 1 FROM forum_members fm WHERE fm.forum_id = f.id AND fm.user_id = $1),
		EXISTS (SELECT 1 FROM forum_follows ff WHERE ff.forum_id = f.id AND ff.user_id = $1),
		EXISTS (SELECT 1 FROM forum_resources fr WHERE fr.forum_id = f.id AND fr.shown_title IS NOT NULL)
		FROM forums f WHERE f.slug = $2`, uid, slug).Scan(&f.ID, &f.Slug, &f.Name, &f.Description, &f.Guidelines, &f.GuidelinesHTML,
			&f.Sensitive, &f.ClinicianOnly, &specs, &f.Position, &f.ThreadCount, &f.ArchivedAt, &f.CreatedAt, &f.UpdatedAt, &fi.Joined, &fi.Following, &fi.hasResources)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("forums: forum %q: %w", slug, models.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("forums: forum %q: %w", slug, err)
	}
	f.Specialties = specs
	if !CanReadForum(v, f) {
		return nil, readError(v)
	}
	return fi, nil
}
