package moderation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// CrisisResource is one version of the crisis resources: a Markdown text
// for a language and, optionally, a region (a country such as CA, or a
// subdivision such as CA-QC). Exactly one version is the default.
type CrisisResource struct {
	ID        int64     `json:"id"`
	Language  string    `json:"language"`
	Region    string    `json:"region"`
	IsDefault bool      `json:"default"`
	Body      string    `json:"text"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Locale names the version, such as "fr-CA-QC" or "en".
func (r CrisisResource) Locale() string {
	if r.Region == "" {
		return r.Language
	}
	return r.Language + "-" + r.Region
}

// CrisisResourceForm is what an admin writes.
type CrisisResourceForm struct {
	Language  string `json:"language"`
	Region    string `json:"region"`
	IsDefault bool   `json:"default"`
	Body      string `json:"text"`
}

// MatchCrisisResource picks the version for a member's language and region:
// the exact language and region, then the language with the region's
// country (CA for CA-QC), then the language alone, then the default. An
// empty language means the default's language. Nil only for an empty list.
func MatchCrisisResource(list []CrisisResource, language, region string) *CrisisResource {
	var def *CrisisResource
	for i := range list {
		if list[i].IsDefault {
			def = &list[i]
		}
	}
	if def == nil && len(list) > 0 {
		def = &list[0]
	}
	if def == nil {
		return nil
	}
	if language == "" {
		language = def.Language
	}
	country, _, _ := strings.Cut(region, "-")
	for _, want := range []string{region, country, ""} {
		for i := range list {
			if list[i].Language == language && list[i].Region == want {
				return &list[i]
			}
		}
	}
	return def
}

// CrisisResourceList lists every version, the default first.
func (s *Safety) CrisisResourceList(ctx context.Context) ([]CrisisResource, error) {
	var out []CrisisResource
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, language, region, is_default, body, updated_at FROM crisis_resources
		ORDER BY is_default DESC, language, region`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("moderation: crisis resources: %w", err)
	}
	return out, nil
}

// CrisisResource loads one version.
func (s *Service) CrisisResource(ctx context.Context, id int64) (*CrisisResource, error) {
	var r CrisisResource
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, language, region, is_default, body, updated_at FROM crisis_resources WHERE id = ?`, id).Scan(&r).Error
	if err != nil {
		return nil, fmt.Errorf("moderation: crisis resource %d: %w", id, err)
	}
	if r.ID == 0 {
		return nil, fmt.Errorf("moderation: crisis resource %d: %w", id, models.ErrNotFound)
	}
	return &r, nil
}

// CrisisResources is the default version of the crisis resources
// (Markdown), for when nothing is known of the reader.
func (s *Safety) CrisisResources(ctx context.Context) (string, error) {
	return s.CrisisResourcesIn(ctx, "", "")
}

// CrisisResourcesFor is the version of the crisis resources for a member's
// language and region settings (the default for visitors and members who
// chose none).
func (s *Safety) CrisisResourcesFor(ctx context.Context, u *models.User) (string, error) {
	if u == nil {
		return s.CrisisResources(ctx)
	}
	return s.CrisisResourcesIn(ctx, u.Language, u.Region)
}

// CrisisResourcesIn is the version for a language and region (see
// MatchCrisisResource).
func (s *Safety) CrisisResourcesIn(ctx context.Context, language, region string) (string, error) {
	list, err := s.CrisisResourceList(ctx)
	if err != nil {
		return "", err
	}
	language, region, _ = web.NormalizeLocale(language, region)
	if r := MatchCrisisResource(list, language, region); r != nil {
		return r.Body, nil
	}
	return "", nil
}

func (f *CrisisResourceForm) validate() error {
	v := models.NewValidationError()
	var ok bool
	f.Body = strings.TrimSpace(f.Body)
	f.Language, f.Region, ok = web.NormalizeLocale(f.Language, f.Region)
	if !ok || f.Language == "" {
		if !web.ValidLanguage(f.Language) || f.Language == "" {
			v.Add("language", "Enter a two-letter language code, such as en or fr.")
		}
		if !web.ValidRegion(f.Region) {
			v.Add("region", "Enter a country code such as CA or GB, a subdivision such as CA-QC, or leave it empty.")
		}
	}
	if n := utf8.RuneCountInString(f.Body); !utf8.ValidString(f.Body) || n < 20 || n > 10000 {
		v.Add("text", "Write 20 to 10,000 characters: at least an emergency number.")
	}
	return v.OrNil()
}

// SaveCrisisResource adds a version (id 0) or changes one (admins). Making
// a version the default takes the mark from the previous default; the
// default cannot give it up except to another version.
func (s *Service) SaveCrisisResource(ctx context.Context, actor models.Actor, id int64, f CrisisResourceForm) (*CrisisResource, error) {
	admin := actor.User
	if err := adminOnly(actor); err != nil {
		return nil, err
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	var out CrisisResource
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		var cur CrisisResource
		if id != 0 {
			if err := tx.Raw(`SELECT id, is_default FROM crisis_resources WHERE id = ? FOR UPDATE`, id).Scan(&cur).Error; err != nil {
				return err
			}
			if cur.ID == 0 {
				return models.ErrNotFound
			}
			if cur.IsDefault && !f.IsDefault {
				v := models.NewValidationError()
				v.Message = "There must always be a default version."
				v.Add("default", "This is the default version: make another version the default instead.")
				return v
			}
		}
		var clash int64
		if err := tx.Raw(`SELECT id FROM crisis_resources WHERE language = ? AND region = ? AND id <> ?`, f.Language, f.Region, id).Scan(&clash).Error; err != nil {
			return err
		}
		if clash != 0 {
			v := models.NewValidationError()
			v.Add("region", "There is already a version for this language and region: edit that one instead.")
			return v
		}
		if f.IsDefault {
			if err := tx.Exec(`UPDATE crisis_resources SET is_default = false WHERE is_default AND id <> ?`, id).Error; err != nil {
				return err
			}
		}
		now := s.now().UTC()
		var err error
		if id == 0 {
			err = tx.Raw(`INSERT INTO crisis_resources (language, region, is_default, body, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)
				RETURNING id, language, region, is_default, body, updated_at`, f.Language, f.Region, f.IsDefault, f.Body, admin.ID, now).Scan(&out).Error
		} else {
			err = tx.Raw(`UPDATE crisis_resources SET language = ?, region = ?, is_default = ?, body = ?, updated_by = ?, updated_at = ? WHERE id = ?
				RETURNING id, language, region, is_default, body, updated_at`, f.Language, f.Region, f.IsDefault, f.Body, admin.ID, now, id).Scan(&out).Error
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin.ID, Action: "crisis_resources.save", TargetKind: "crisis_resources", TargetID: &out.ID, Reason: out.Locale()})
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// Lost a race with another admin adding the same version.
		v := models.NewValidationError()
		v.Add("region", "There is already a version for this language and region: edit that one instead.")
		return nil, v
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ErrDeleteDefault refuses to delete the default version.
var ErrDeleteDefault = &models.ConflictError{Message: "The default version cannot be deleted: make another version the default first."}

// DeleteCrisisResource removes a version that is not the default (admins).
func (s *Service) DeleteCrisisResource(ctx context.Context, actor models.Actor, id int64) error {
	admin := actor.User
	if err := adminOnly(actor); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var cur CrisisResource
		if err := tx.Raw(`SELECT id, language, region, is_default FROM crisis_resources WHERE id = ? FOR UPDATE`, id).Scan(&cur).Error; err != nil {
			return err
		}
		if cur.ID == 0 {
			return models.ErrNotFound
		}
		if cur.IsDefault {
			return ErrDeleteDefault
		}
		if err := tx.Exec(`DELETE FROM crisis_resources WHERE id = ?`, id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin.ID, Action: "crisis_resources.delete", TargetKind: "crisis_resources", TargetID: &id, Reason: cur.Locale()})
	})
}
