package moderation

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// TplAudit is the admins' audit log page.
const TplAudit = "pages/moderation/audit.html"

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Action string // prefix, such as "moderation." or "credential."
	Kind   string // target kind
	Actor  string // handle
	Before int64  // id, for the next page
}

// AuditRow is one event as admins read it.
type AuditRow struct {
	ID         int64     `json:"id"`
	Actor      string    `json:"actor"` // "" for Kindred itself
	Action     string    `json:"action"`
	TargetKind string    `json:"target_kind"`
	TargetID   *int64    `json:"target_id"`
	FromState  string    `json:"from,omitempty"`
	ToState    string    `json:"to,omitempty"`
	Reason     string    `json:"reason"`
	CreatedAt  time.Time `json:"created_at"`
}

// AuditPerPage is how many events a page shows.
const AuditPerPage = 50

// Audit lists audit events, newest first (admins).
func (s *Service) Audit(ctx context.Context, actor models.Actor, f AuditFilter) ([]AuditRow, int64, error) {
	if err := adminOnly(actor); err != nil {
		return nil, 0, err
	}
	q := `SELECT e.id, coalesce(u.handle, '') AS actor, e.action, e.target_kind, e.target_id, e.from_state, e.to_state, e.reason, e.created_at
		FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id WHERE true`
	var args []any
	if f.Action != "" {
		q += ` AND e.action LIKE ?`
		args = append(args, strings.ReplaceAll(strings.ReplaceAll(f.Action, "%", `\%`), "_", `\_`)+"%")
	}
	if f.Kind != "" {
		q += ` AND e.target_kind = ?`
		args = append(args, f.Kind)
	}
	if f.Actor != "" {
		q += ` AND lower(u.handle) = lower(?)`
		args = append(args, f.Actor)
	}
	if f.Before > 0 {
		q += ` AND e.id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY e.id DESC LIMIT ` + strconv.Itoa(AuditPerPage+1)
	var rows []AuditRow
	if err := s.db.Gorm.WithContext(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, 0, err
	}
	var next int64
	if len(rows) > AuditPerPage {
		rows = rows[:AuditPerPage]
		next = rows[len(rows)-1].ID
	}
	return rows, next, nil
}

func auditFilter(c echo.Context) (AuditFilter, error) {
	before, err := web.CursorParam(c, "before")
	return AuditFilter{Action: strings.TrimSpace(c.QueryParam("action")), Kind: strings.TrimSpace(c.QueryParam("kind")),
		Actor: strings.TrimSpace(c.QueryParam("actor")), Before: before}, err
}

type auditData struct {
	Rows    []AuditRow
	Filter  AuditFilter
	NextURL string
}

// AuditPage lets admins browse and filter the audit log.
func (h *Handlers) AuditPage(c echo.Context) error {
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	rows, next, err := h.svc.Audit(c.Request().Context(), web.Actor(c), f)
	if err != nil {
		return err
	}
	d := auditData{Rows: rows, Filter: f}
	if next > 0 {
		d.NextURL = "/admin/audit?" + url.Values{"action": {f.Action}, "kind": {f.Kind}, "actor": {f.Actor}, "before": {strconv.FormatInt(next, 10)}}.Encode()
	}
	p := h.r.NewPage(c, "Audit log")
	p.Noindex = true
	p.Data = d
	return h.r.Render(c, http.StatusOK, TplAudit, p)
}

// Audit is the API: the same filters, with a cursor.
func (a *API) Audit(c echo.Context) error {
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	rows, next, err := a.h.svc.Audit(c.Request().Context(), web.Actor(c), f)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []AuditRow{}
	}
	out := map[string]any{"events": rows}
	if next > 0 {
		out["next_before"] = next
	}
	return c.JSON(http.StatusOK, out)
}
