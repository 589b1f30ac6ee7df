package forums

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// ForumByID loads any forum, for admins.
func (s *Service) ForumByID(ctx context.Context, v Viewer, id int64) (*models.Forum, []string, error) {
	if !v.IsAdmin() {
		return nil, nil, models.ErrForbidden
	}
	var f models.Forum
	if err := s.db.Gorm.WithContext(ctx).First(&f, id).Error; err != nil {
		return nil, nil, wrapNotFound(err, "forum")
	}
	var mods []string
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT u.handle FROM forum_moderators m JOIN users u ON u.id = m.user_id WHERE m.forum_id = ? ORDER BY lower(u.handle)`, id).Scan(&mods).Error
	return &f, mods, err
}

// SaveForum creates (id 0) or updates a forum and its moderators. Admins only; audited.
func (s *Service) SaveForum(ctx context.Context, v Viewer, id int64, form ForumForm) (_ *models.Forum, err error) {
	defer wrap(&err, "forums: save forum %d", id)
	if !v.IsAdmin() {
		return nil, models.ErrForbidden
	}
	if err := form.Validate(); err != nil {
		return nil, err
	}
	verr := models.NewValidationError()
	CheckCrisisActions(verr, form.CrisisActions)
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	html, err := s.md.Render(form.Guidelines)
	if err != nil {
		return nil, err
	}
	var modIDs []int64
	if len(form.Moderators) > 0 {
		lower := make([]string, len(form.Moderators))
		for i, h := range form.Moderators {
			lower[i] = strings.ToLower(h)
		}
		var found []struct {
			ID     int64
			Handle string
		}
		if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, handle FROM users WHERE lower(handle) IN ?`, lower).Scan(&found).Error; err != nil {
			return nil, err
		}
		have := map[string]bool{}
		for _, u := range found {
			have[strings.ToLower(u.Handle)] = true
			modIDs = append(modIDs, u.ID)
		}
		for _, h := range form.Moderators {
			if !have[strings.ToLower(h)] {
				verr := models.NewValidationError()
				verr.Add("moderators", "No member has the handle "+h+".")
				return nil, verr
			}
		}
	}
	if err := s.resolveSpecialties(ctx, &form); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	f := models.Forum{ID: id, Slug: form.Slug, Name: form.Name, Description: form.Description, Guidelines: form.Guidelines, GuidelinesHTML: html,
		Sensitive: form.Sensitive, ClinicianOnly: form.ClinicianOnly, Specialties: pq.StringArray(form.Specialties), Position: form.Position, UpdatedAt: now}
	if f.Specialties == nil {
		f.Specialties = pq.StringArray{}
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		action := "forum.update"
		if id == 0 {
			action = "forum.create"
			f.CreatedAt = now
			if err := tx.Create(&f).Error; err != nil {
				return err
			}
		} else {
			res := tx.Model(&models.Forum{}).Where("id = ?", id).Updates(map[string]any{
				"slug": f.Slug, "name": f.Name, "description": f.Description, "guidelines": f.Guidelines, "guidelines_html": f.GuidelinesHTML,
				"sensitive": f.Sensitive, "clinician_only": f.ClinicianOnly, "specialties": f.Specialties, "position": f.Position, "updated_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return fmt.Errorf("forums: forum %d: %w", id, models.ErrNotFound)
			}
		}
		if id != 0 {
			// Audience, name and address live in every thread's document.
			if err := IndexForumLater(ctx, tx, id); err != nil {
				return err
			}
		}
		if err := tx.Exec(`DELETE FROM forum_moderators WHERE forum_id = ?`, f.ID).Error; err != nil {
			return err
		}
		for _, uid := range modIDs {
			if err := tx.Exec(`INSERT INTO forum_moderators (forum_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, f.ID, uid, now).Error; err != nil {
				return err
			}
		}
		if len(form.CrisisActions) > 0 {
			if err := saveCrisisActions(ctx, tx, f.ID, form.CrisisActions, now); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &v.User.ID, Action: "forum.crisis_actions", TargetKind: "forum", TargetID: &f.ID,
				Reason: describeCrisisActions(form.CrisisActions)}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &v.User.ID, Action: action, TargetKind: "forum", TargetID: &f.ID})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		verr := models.NewValidationError()
		verr.Add("slug", "Another forum already uses that address name.")
		return nil, verr
	}
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// SetArchived archives (read-only) or restores a forum. Admins only; audited.
func (s *Service) SetArchived(ctx context.Context, v Viewer, id int64, archived bool) (err error) {
	defer wrap(&err, "forums: archive forum %d", id)
	if !v.IsAdmin() {
		return models.ErrForbidden
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var at any
		action := "forum.restore"
		if archived {
			at, action = s.now().UTC(), "forum.archive"
		}
		res := tx.Exec(`UPDATE forums SET archived_at = ?, updated_at = ? WHERE id = ?`, at, s.now().UTC(), id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("forums: forum %d: %w", id, models.ErrNotFound)
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &v.User.ID, Action: action, TargetKind: "forum", TargetID: &id})
	})
}

// AllForums lists every forum for the admin page.
func (s *Service) AllForums(ctx context.Context, v Viewer) ([]models.Forum, error) {
	if !v.IsAdmin() {
		return nil, models.ErrForbidden
	}
	var out []models.Forum
	err := s.db.Gorm.WithContext(ctx).Order("archived_at IS NOT NULL, position, name").Find(&out).Error
	return out, err
}

// resolveSpecialties maps each specialty (code or name, any case) to its
// code in the shared list, which private-question routing matches against
// clinicians' specialties.
func (s *Service) resolveSpecialties(ctx context.Context, form *ForumForm) error {
	if len(form.Specialties) == 0 {
		return nil
	}
	var known []models.Specialty
	if err := s.db.Gorm.WithContext(ctx).Order("label").Find(&known).Error; err != nil {
		return err
	}
	byKey := map[string]string{}
	for _, k := range known {
		byKey[strings.ToLower(k.Code)] = k.Code
		byKey[strings.ToLower(k.Label)] = k.Code
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(form.Specialties))
	for _, sp := range form.Specialties {
		code, ok := byKey[strings.ToLower(strings.TrimSpace(sp))]
		if !ok {
			code, ok = byKey[strings.ReplaceAll(strings.ToLower(strings.TrimSpace(sp)), " ", "-")]
		}
		if !ok {
			verr := models.NewValidationError()
			verr.Add("specialties", "“"+sp+"” is not in the list of specialties. An admin can add it under Admin → Clinician lists.")
			return verr
		}
		if !seen[code] {
			seen[code] = true
			out = append(out, code)
		}
	}
	form.Specialties = out
	return nil
}
