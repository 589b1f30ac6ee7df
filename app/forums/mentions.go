package forums

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/models"
)

// SuggestLimit is how many members a mention suggestion offers.
const SuggestLimit = 8

var handlePrefix = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,29}$`)

// SuggestMembers offers handles starting with prefix for "@" in the
// composer: people who wrote in the thread first, then members whose
// profile other members may see. Only for signed-in members; a member
// whose profile is for staff only is offered only where they wrote.
func (s *Service) SuggestMembers(ctx context.Context, v Viewer, prefix string, threadID int64) ([]string, error) {
	if v.User == nil {
		return nil, models.ErrSignInRequired
	}
	if !handlePrefix.MatchString(prefix) {
		verr := models.NewValidationError()
		verr.Add("q", "Give the first letters of a handle (letters, digits, _ . -).")
		return nil, verr
	}
	if threadID != 0 {
		if _, err := s.Thread(ctx, v, threadID); err != nil {
			return nil, err
		}
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT u.handle FROM users u
		LEFT JOIN LATERAL (SELECT true AS wrote FROM posts p WHERE p.thread_id = $3 AND p.author_id = u.id AND NOT p.anonymous
			AND p.visibility = 'visible' AND p.deleted_at IS NULL LIMIT 1) w ON true
		WHERE u.status = 'active' AND starts_with(lower(u.handle), $1) AND u.id <> $2
		AND (u.profile_visibility IN ('everyone', 'members') OR w.wrote)
		ORDER BY w.wrote IS NOT TRUE, lower(u.handle) LIMIT `+strconv.Itoa(SuggestLimit), strings.ToLower(prefix), v.User.ID, threadID)
	if err != nil {
		return nil, fmt.Errorf("forums: suggest: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("forums: suggest: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// SuggestMembers answers GET /members/suggest and /api/v1/members/suggest
// ?q=prefix&thread=id with {"members": [{"handle"}]}.
func (h *Handlers) SuggestMembers(c echo.Context) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	var thread int64
	if t := c.QueryParam("thread"); t != "" {
		if thread, err = strconv.ParseInt(t, 10, 64); err != nil || thread <= 0 {
			verr := models.NewValidationError()
			verr.Add("thread", "Give the id of a thread.")
			return verr
		}
	}
	handles, err := h.svc.SuggestMembers(c.Request().Context(), v, c.QueryParam("q"), thread)
	if err != nil {
		return err
	}
	type member struct {
		Handle string `json:"handle"`
	}
	out := make([]member, len(handles))
	for i, hd := range handles {
		out[i] = member{hd}
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]any{"members": out})
}
