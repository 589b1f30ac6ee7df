package search

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/lib/pq"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// SynonymGroup is a group of terms an admin added.
type SynonymGroup struct {
	ID        int64          `json:"id"`
	Terms     pq.StringArray `json:"terms" gorm:"type:text[]"`
	CreatedAt time.Time      `json:"created_at"`
}

// Synonyms keeps the admins' synonym groups. Every change enqueues, in its
// own transaction, a job that applies the index settings again.
type Synonyms struct {
	db *database.DB
}

// NewSynonyms wires the service.
func NewSynonyms(db *database.DB) *Synonyms { return &Synonyms{db: db} }

// Synonym limits.
const (
	MaxSynonymGroups = 500
	maxTerms         = 10
	maxTermLen       = 60
)

// termRe is compiled on first use: its Unicode classes cost a few
// milliseconds of every start (go's inittrace).
var termRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} '’.+-]*$`) })

// Groups lists the terms of every group, for the index settings.
func (s *Synonyms) Groups(ctx context.Context) ([][]string, error) {
	list, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([][]string, len(list))
	for i, g := range list {
		out[i] = g.Terms
	}
	return out, nil
}

// List returns the groups, newest first.
func (s *Synonyms) List(ctx context.Context) ([]SynonymGroup, error) {
	var list []SynonymGroup
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, terms, created_at FROM search_synonyms ORDER BY id DESC`).Scan(&list).Error
	return list, err
}

// ParseGroup checks a comma-separated group of terms.
func ParseGroup(line string) ([]string, error) {
	terms := SplitTerms(line)
	v := models.NewValidationError()
	switch {
	case len(terms) < 2:
		v.Add("terms", "Enter at least two terms that mean the same, separated by commas.")
	case len(terms) > maxTerms:
		v.Add("terms", "A group holds at most 10 terms. Split it into smaller groups.")
	}
	for _, t := range terms {
		if utf8.RuneCountInString(t) > maxTermLen || !termRe().MatchString(t) {
			v.Add("terms", "“"+t+"” is not a term: use letters, digits, spaces, hyphens and apostrophes, at most 60 characters each.")
			break
		}
	}
	return terms, v.OrNil()
}

// Add stores a group (admins; audited).
func (s *Synonyms) Add(ctx context.Context, admin *models.User, line string) (*SynonymGroup, error) {
	if admin == nil || admin.Role != models.RoleAdmin {
		return nil, models.ErrForbidden
	}
	terms, err := ParseGroup(line)
	if err != nil {
		return nil, err
	}
	g := &SynonymGroup{Terms: terms}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM search_synonyms`).Scan(&n).Error; err != nil {
			return err
		}
		if n >= MaxSynonymGroups {
			v := models.NewValidationError()
			v.Add("terms", "There are already 500 groups. Remove some before adding more.")
			return v
		}
		if err := tx.Raw(`INSERT INTO search_synonyms (terms, created_by) VALUES (?, ?) RETURNING id, created_at`, g.Terms, admin.ID).
			Row().Scan(&g.ID, &g.CreatedAt); err != nil {
			return err
		}
		if err := tx.Enqueue(ctx, models.SearchSettingsArgs{}, nil); err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin.ID, Action: "search_synonyms.add", TargetKind: "search_synonyms", TargetID: &g.ID,
			Reason: strings.Join(terms, ", ")})
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// Remove deletes a group (admins; audited).
func (s *Synonyms) Remove(ctx context.Context, admin *models.User, id int64) error {
	if admin == nil || admin.Role != models.RoleAdmin {
		return models.ErrForbidden
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var terms pq.StringArray
		res := tx.Raw(`DELETE FROM search_synonyms WHERE id = ? RETURNING terms`, id).Scan(&terms)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.ErrNotFound
		}
		if err := tx.Enqueue(ctx, models.SearchSettingsArgs{}, nil); err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin.ID, Action: "search_synonyms.remove", TargetKind: "search_synonyms", TargetID: &id,
			Reason: strings.Join(terms, ", ")})
	})
}

// TplSynonyms is the admins' synonyms page.
const TplSynonyms = "pages/admin/synonyms.html"

// Handlers serve the synonyms page and its API.
type Handlers struct {
	svc     *Synonyms
	r       *web.Renderer
	cookies web.Cookies
}

// NewHandlers wires them.
func NewHandlers(svc *Synonyms, r *web.Renderer, cookies web.Cookies) *Handlers {
	return &Handlers{svc: svc, r: r, cookies: cookies}
}

type synonymsData struct {
	Groups    []SynonymGroup
	FileCount int
	Max       int
}

// Page lists the groups with a form to add one.
func (h *Handlers) Page(c echo.Context) error { return h.render(c, http.StatusOK, nil) }

func (h *Handlers) render(c echo.Context, status int, verr *models.ValidationError) error {
	list, err := h.svc.List(c.Request().Context())
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Search synonyms")
	p.Noindex = true
	p.Data = synonymsData{Groups: list, FileCount: SynonymGroups(), Max: MaxSynonymGroups}
	if verr != nil {
		p.Form.Values = map[string]string{"terms": c.FormValue("terms")}
		p.Form.Errors, p.Form.Message = verr.Fields, verr.Message
	} else if terms := c.QueryParam("terms"); terms != "" {
		// Prefilled from analytics' queries that found nothing.
		p.Form.Values = map[string]string{"terms": terms}
	}
	return h.r.Render(c, status, TplSynonyms, p)
}

// Add stores a group from the form.
func (h *Handlers) Add(c echo.Context) error {
	_, err := h.svc.Add(c.Request().Context(), web.CurrentUser(c), c.FormValue("terms"))
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.render(c, http.StatusUnprocessableEntity, verr)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Added. Search uses the new synonyms within a few seconds.")
	return web.Redirect(c, "/admin/search")
}

// Remove deletes a group.
func (h *Handlers) Remove(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return models.ErrNotFound
	}
	if err := h.svc.Remove(c.Request().Context(), web.CurrentUser(c), id); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Removed.")
	return web.Redirect(c, "/admin/search")
}

// APIList is GET /api/v1/admin/search/synonyms.
func (h *Handlers) APIList(c echo.Context) error {
	list, err := h.svc.List(c.Request().Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []SynonymGroup{}
	}
	return c.JSON(http.StatusOK, map[string]any{"groups": list})
}

// APIAdd is POST /api/v1/admin/search/synonyms {"terms": ["a", "b"]}.
func (h *Handlers) APIAdd(c echo.Context) error {
	var body struct {
		Terms []string `json:"terms"`
	}
	if err := c.Bind(&body); err != nil {
		return err // the Binder names what is wrong
	}
	for _, t := range body.Terms {
		if strings.Contains(t, ",") {
			v := models.NewValidationError()
			v.Add("terms", "A term cannot contain a comma.")
			return v
		}
	}
	g, err := h.svc.Add(c.Request().Context(), web.CurrentUser(c), strings.Join(body.Terms, ","))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, g)
}

// APIRemove is DELETE /api/v1/admin/search/synonyms/:id.
func (h *Handlers) APIRemove(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return models.ErrNotFound
	}
	if err := h.svc.Remove(c.Request().Context(), web.CurrentUser(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
