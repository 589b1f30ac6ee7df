package moderation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// CannedReason is a reason moderators can pick when they hide or remove
// something; admins edit the list.
type CannedReason struct {
	ID       int64     `json:"id"`
	Label    string    `json:"label"`
	Body     string    `json:"body"`
	Position int       `json:"position"`
	Created  time.Time `json:"created_at" gorm:"column:created_at"`
}

// MaxCannedReasons bounds the list (it is a menu on every item page).
const MaxCannedReasons = 30

// CannedReasons lists the reasons in their order.
func (s *Service) CannedReasons(ctx context.Context) ([]CannedReason, error) {
	var out []CannedReason
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, label, body, position, created_at FROM moderation_reasons ORDER BY position, id`).Scan(&out).Error
	return out, err
}

// SaveCannedReason adds a reason at the end of the list (admins only).
func (s *Service) SaveCannedReason(ctx context.Context, actor models.Actor, label, body string) error {
	admin := actor.User
	if err := adminOnly(actor); err != nil {
		return err
	}
	label, body = strings.TrimSpace(label), strings.TrimSpace(body)
	v := models.NewValidationError()
	if n := utf8.RuneCountInString(label); n < 1 || n > 80 {
		v.Add("label", "Give the reason a short name, up to 80 characters.")
	}
	if n := utf8.RuneCountInString(body); n < 5 || n > 1000 {
		v.Add("body", "Write what the author reads: 5 to 1,000 characters.")
	}
	if err := v.OrNil(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM moderation_reasons`).Scan(&n).Error; err != nil {
			return err
		}
		if n >= MaxCannedReasons {
			v.Add("label", fmt.Sprintf("The list holds at most %d reasons: delete one first.", MaxCannedReasons))
			return v
		}
		var id int64
		if err := tx.Raw(`INSERT INTO moderation_reasons (label, body, position, created_at)
			VALUES (?, ?, (SELECT coalesce(max(position), 0) + 1 FROM moderation_reasons), ?) RETURNING id`, label, body, s.now()).Scan(&id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin.ID, Action: "moderation_reason.add", TargetKind: "moderation_reason", TargetID: &id})
	})
}

// DeleteCannedReason removes a reason from the list (decisions already
// made keep their text).
func (s *Service) DeleteCannedReason(ctx context.Context, actor models.Actor, id int64) error {
	admin := actor.User
	if err := adminOnly(actor); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		res := tx.Exec(`DELETE FROM moderation_reasons WHERE id = ?`, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("moderation: reason %d: %w", id, models.ErrNotFound)
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin.ID, Action: "moderation_reason.delete", TargetKind: "moderation_reason", TargetID: &id})
	})
}

// reasonText is what the author reads: the chosen canned reason, then the
// moderator's own words.
func (s *Service) reasonText(ctx context.Context, cannedID int64, free string) (string, error) {
	free = strings.TrimSpace(free)
	if cannedID <= 0 {
		return free, nil
	}
	var body string
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT body FROM moderation_reasons WHERE id = ?`, cannedID).Scan(&body).Error; err != nil {
		return "", err
	}
	if body == "" {
		v := models.NewValidationError()
		v.Add("canned", "That reason is no longer in the list: choose another, or write your own.")
		return "", v
	}
	if free == "" {
		return body, nil
	}
	return body + " " + free, nil
}

// TplReasons is the admins' page of canned reasons.
const TplReasons = "pages/moderation/reasons.html"

// ReasonsPage shows the list with a form to add one.
func (h *Handlers) ReasonsPage(c echo.Context) error {
	return h.renderReasons(c, http.StatusOK, nil, nil)
}

func (h *Handlers) renderReasons(c echo.Context, status int, values map[string]string, err error) error {
	list, lerr := h.svc.CannedReasons(c.Request().Context())
	if lerr != nil {
		return lerr
	}
	p := h.r.NewPage(c, "Moderation reasons")
	p.Noindex = true
	p.Data = list
	p.Form.Keep(values, err)
	return h.r.Render(c, status, TplReasons, p)
}

// SaveReason adds a canned reason.
func (h *Handlers) SaveReason(c echo.Context) error {
	label, body := c.FormValue("label"), c.FormValue("body")
	err := h.svc.SaveCannedReason(c.Request().Context(), web.Actor(c), label, body)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.renderReasons(c, http.StatusUnprocessableEntity, map[string]string{"label": label, "body": body}, err)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "The reason is added.")
	return web.Redirect(c, "/admin/moderation-reasons")
}

// DeleteReason removes a canned reason.
func (h *Handlers) DeleteReason(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return models.ErrNotFound
	}
	if err := h.svc.DeleteCannedReason(c.Request().Context(), web.Actor(c), id); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "The reason is deleted. Decisions already made keep their text.")
	return web.Redirect(c, "/admin/moderation-reasons")
}
