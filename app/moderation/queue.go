package moderation

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/kindred-health/kindred/models"
)

// Scope is what a moderator may act on.
type Scope struct {
	Global bool
	Forums map[int64]bool
}

// forumIDs lists the forums of a scope that is not global.
func (sc Scope) forumIDs() []int64 {
	ids := make([]int64, 0, len(sc.Forums))
	for id := range sc.Forums {
		ids = append(ids, id)
	}
	return ids
}

// ScopeOf loads u's moderation scope; ok is false for non-moderators.
// ReportTarget is what a report is about, for a moderator; anyone else,
// and a report that does not exist, get ErrNotFound (the item page itself
// checks the moderator's scope).
func (s *Service) ReportTarget(ctx context.Context, actor models.Actor, reportID int64) (string, int64, error) {
	if _, ok, err := s.ScopeOf(ctx, actor); err != nil || !ok {
		if err == nil {
			err = models.ErrNotFound
		}
		return "", 0, err
	}
	var r struct {
		TargetKind string
		TargetID   int64
	}
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT target_kind, target_id FROM reports WHERE id = ?`, reportID).Scan(&r).Error; err != nil {
		return "", 0, err
	}
	if r.TargetKind == "" {
		return "", 0, fmt.Errorf("moderation: report %d: %w", reportID, models.ErrNotFound)
	}
	return r.TargetKind, r.TargetID, nil
}

func (s *Service) ScopeOf(_ context.Context, actor models.Actor) (Scope, bool, error) {
	sc := Scope{Forums: map[int64]bool{}, Global: actor.IsStaff()}
	if !actor.SignedIn() {
		return sc, false, nil
	}
	for id := range actor.ModeratedForums {
		sc.Forums[id] = true
	}
	return sc, actor.IsModerator(), nil
}

// Covers reports whether the scope includes the target.
func (sc Scope) Covers(t *Target) bool {
	return sc.Global || (t.ForumID != nil && sc.Forums[*t.ForumID])
}

// QueueItem is one reported target waiting for a decision.
type QueueItem struct {
	Kind      string    `json:"kind"`
	ID        int64     `json:"id"`
	ForumSlug string    `json:"forum,omitempty"`
	Reports   int       `json:"reports"`
	Weight    float64   `json:"weight"`
	SelfHarm  bool      `json:"self_harm"`
	Reasons   string    `json:"reasons"`
	Oldest    time.Time `json:"oldest"`
	Title     string    `json:"title,omitempty"`
	// Priority 2: someone may be in imminent danger (top of the queue).
	Priority int `json:"priority"`
	// CrisisOpen counts the open crisis follow-ups; AwaitingAck those
	// nobody acknowledged yet.
	CrisisOpen  int `json:"crisis_open"`
	AwaitingAck int `json:"awaiting_acknowledgement"`
	// TargetVisibility is "pending" for a new member's post (or one with
	// watched words) that waits for approval: not a report.
	TargetVisibility string `json:"target_visibility,omitempty"`
}

// AwaitingApproval: the item is a held post or thread, not a report.
func (q QueueItem) AwaitingApproval() bool { return q.TargetVisibility == string(models.Pending) }

// Queue lists open reports grouped by target for a moderator: imminent
// danger first, then self-harm, then weight, then age. forumID narrows it
// to one forum.
func (s *Service) Queue(ctx context.Context, actor models.Actor, forumID int64) ([]QueueItem, error) {
	sc, ok, err := s.ScopeOf(ctx, actor)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, models.ErrForbidden
	}
	q := `SELECT r.target_kind AS kind, r.target_id AS id, coalesce(f.slug, '') AS forum_slug, count(*) AS reports, sum(r.weight) AS weight,
		bool_or(r.reason = 'self_harm') AS self_harm, string_agg(DISTINCT r.reason, ', ') AS reasons, min(r.created_at) AS oldest,
		coalesce(max(t.title), max(pt.title), '') AS title, max(r.priority) AS priority,
		coalesce(max(t.visibility), max(p.visibility), '') AS target_visibility,
		count(cf.report_id) AS crisis_open, count(cf.report_id) FILTER (WHERE cf.acknowledged_at IS NULL) AS awaiting_ack
		FROM reports r LEFT JOIN forums f ON f.id = r.forum_id
		LEFT JOIN crisis_followups cf ON cf.report_id = r.id AND cf.closed_at IS NULL
		LEFT JOIN threads t ON r.target_kind = 'thread' AND t.id = r.target_id
		LEFT JOIN posts p ON r.target_kind = 'post' AND p.id = r.target_id LEFT JOIN threads pt ON pt.id = p.thread_id
		WHERE r.status = 'open'`
	var args []any
	if !sc.Global {
		q += ` AND r.forum_id IN ?`
		args = append(args, sc.forumIDs())
	}
	if forumID > 0 {
		q += ` AND r.forum_id = ?`
		args = append(args, forumID)
	}
	q += ` GROUP BY r.target_kind, r.target_id, f.slug ORDER BY max(r.priority) DESC, bool_or(r.reason = 'self_harm') DESC, sum(r.weight) DESC, min(r.created_at) LIMIT 200`
	var out []QueueItem
	err = s.db.Gorm.WithContext(ctx).Raw(q, args...).Scan(&out).Error
	return out, err
}

// OpenCount counts the items waiting in the actor's queue (what Queue
// lists, without the 200 limit); 0 for a non-moderator. Live updates send
// it to moderators' open pages.
func (s *Service) OpenCount(ctx context.Context, actor models.Actor) (int64, error) {
	sc, ok, err := s.ScopeOf(ctx, actor)
	if err != nil || !ok {
		return 0, err
	}
	q := `SELECT count(DISTINCT (r.target_kind, r.target_id)) FROM reports r WHERE r.status = 'open'`
	var args []any
	if !sc.Global {
		q += ` AND r.forum_id IN ?`
		args = append(args, sc.forumIDs())
	}
	var n int64
	err = s.db.Gorm.WithContext(ctx).Raw(q, args...).Scan(&n).Error
	return n, err
}

// NextItem is the address of the first item in u's queue other than the
// one just decided, or "".
func (s *Service) NextItem(ctx context.Context, actor models.Actor, kind string, id int64) (string, error) {
	items, err := s.Queue(ctx, actor, 0)
	if err != nil {
		return "", err
	}
	for _, it := range items {
		if it.Kind != kind || it.ID != id {
			return "/moderation/" + it.Kind + "/" + strconv.FormatInt(it.ID, 10), nil
		}
	}
	return "", nil
}

// OpenAppeals counts the appeals waiting for a decision (shown to staff
// in the navigation).
func (s *Service) OpenAppeals(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM appeals WHERE status = 'open'`).Scan(&n).Error
	return n, err
}
