package moderation

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Appealable actions: a member may appeal each once.
var appealable = map[string]bool{ActRemove: true, ActHide: true, ActSuspend: true}

// MyAction is a moderation decision about the member, as they see it.
type MyAction struct {
	ID           int64     `json:"id"`
	Action       string    `json:"action"`
	TargetKind   string    `json:"target_kind"`
	Reason       string    `json:"reason"`
	CreatedAt    time.Time `json:"created_at"`
	AppealStatus string    `json:"appeal_status"` // "" when not appealed
	Appealable   bool      `json:"appealable"`
}

// MyActions lists the decisions moderators made about u's content or
// account (never who made them).
func (s *Service) MyActions(ctx context.Context, userID int64) ([]MyAction, error) {
	var out []MyAction
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT a.id, a.action, a.target_kind, a.reason, a.created_at, coalesce(ap.status, '') AS appeal_status
		FROM moderation_actions a LEFT JOIN appeals ap ON ap.action_id = a.id
		WHERE a.author_id = ? AND a.outcome = 'applied' AND a.action IN ('remove', 'hide', 'warn', 'suspend', 'ban')
		ORDER BY a.id DESC LIMIT 100`, userID).Scan(&out).Error
	for i := range out {
		out[i].Appealable = appealable[out[i].Action] && out[i].AppealStatus == ""
	}
	return out, err
}

// Appeal files the member's one appeal against a removal or suspension.
func (s *Service) Appeal(ctx context.Context, memberID, actionID int64, text string) error {
	text = strings.TrimSpace(text)
	if n := utf8.RuneCountInString(text); n < 10 || n > 3000 || !utf8.ValidString(text) {
		v := models.NewValidationError()
		v.Add("text", "Explain in 10 to 3,000 characters why the decision should change.")
		return v
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var a models.ModerationAction
		if err := tx.Where("id = ? AND author_id = ? AND outcome = 'applied'", actionID, memberID).Limit(1).Find(&a).Error; err != nil {
			return err
		}
		if a.ID == 0 || !appealable[a.Action] {
			return fmt.Errorf("moderation: action %d: %w", actionID, models.ErrNotFound)
		}
		res := tx.Exec(`INSERT INTO appeals (action_id, member_id, text, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (action_id) DO NOTHING`,
			actionID, memberID, text, s.now().UTC())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return &models.ConflictError{Message: "You have already appealed this decision. A moderator will answer it."}
		}
		return nil
	})
}

// AppealItem is an open appeal as moderators see it.
type AppealItem struct {
	ID          int64     `json:"id"`
	Action      string    `json:"action"`
	TargetKind  string    `json:"target_kind"`
	TargetID    int64     `json:"target_id"`
	Reason      string    `json:"reason"`    // the original decision's
	Text        string    `json:"text"`      // the member's appeal
	Moderator   string    `json:"moderator"` // who decided first
	ModeratorID int64     `json:"-"`
	Member      string    `json:"member"` // "" for an anonymous post's author
	CreatedAt   time.Time `json:"created_at"`
	Mine        bool      `json:"mine"` // the viewer made the original decision
}

// Appeals lists open appeals a moderator may see: suspensions for global
// moderators, removals in their scope. Their own decisions are marked: a
// different moderator decides.
func (s *Service) Appeals(ctx context.Context, actor models.Actor) ([]AppealItem, error) {
	u := actor.User
	sc, ok, err := s.ScopeOf(ctx, actor)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, models.ErrForbidden
	}
	var rows []AppealItem
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT ap.id, a.action, a.target_kind, a.target_id, a.reason, ap.text, coalesce(m.handle, '') AS moderator,
		coalesce(a.moderator_id, 0) AS moderator_id,
		CASE WHEN coalesce(p.anonymous, t.anonymous, false) THEN '' ELSE coalesce(u.handle, '') END AS member, ap.created_at
		FROM appeals ap JOIN moderation_actions a ON a.id = ap.action_id
		LEFT JOIN users m ON m.id = a.moderator_id LEFT JOIN users u ON u.id = ap.member_id
		LEFT JOIN posts p ON a.target_kind = 'post' AND p.id = a.target_id
		LEFT JOIN threads t ON a.target_kind = 'thread' AND t.id = a.target_id
		WHERE ap.status = 'open' ORDER BY ap.created_at`).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, r := range rows {
		covers := func() bool {
			t, err := s.load(ctx, s.db.Gorm, r.TargetKind, r.TargetID)
			return err == nil && sc.Covers(t)
		}
		if !mayDecideAppealOf(sc, r.Action, covers) {
			continue
		}
		r.Mine = r.ModeratorID == u.ID
		out = append(out, r)
	}
	return out, nil
}

// DecideAppeal upholds or overturns a decision. The moderator who made it
// may not decide its appeal. Overturning restores the content or lifts the
// suspension.
func (s *Service) DecideAppeal(ctx context.Context, actor models.Actor, appealID int64, overturn bool, reason string) error {
	u := actor.User
	sc, ok, err := s.ScopeOf(ctx, actor)
	if err != nil {
		return err
	}
	if !ok {
		return models.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n < 5 || n > 2000 {
		v := models.NewValidationError()
		v.Add("reason", "Give a reason of at least five characters: the member reads it.")
		return v
	}
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var ap struct {
			ID, ActionID, MemberID int64
			Status                 string
		}
		if err := tx.Raw(`SELECT id, action_id, member_id, status FROM appeals WHERE id = ? FOR UPDATE`, appealID).Scan(&ap).Error; err != nil {
			return err
		}
		if ap.ID == 0 {
			return models.ErrNotFound
		}
		if ap.Status != "open" {
			return &models.ConflictError{Message: "Another moderator has already decided this appeal."}
		}
		var a models.ModerationAction
		if err := tx.First(&a, ap.ActionID).Error; err != nil {
			return err
		}
		if a.ModeratorID != nil && *a.ModeratorID == u.ID {
			return &models.ConflictError{Message: "You made this decision; a different moderator decides its appeal."}
		}
		t := &Target{Kind: a.TargetKind, ID: a.TargetID, AuthorID: ap.MemberID}
		if a.Action == ActRemove || a.Action == ActHide {
			if t, err = s.load(ctx, tx.DB, a.TargetKind, a.TargetID); err != nil {
				return err
			}
		}
		if !mayDecideAppealOf(sc, a.Action, func() bool { return sc.Covers(t) }) {
			return models.ErrForbidden
		}
		status, msg := "upheld", "Your appeal was reviewed by another moderator, who kept the decision: "+reason
		if overturn {
			status, msg = "overturned", "Your appeal was accepted: "+reason
			switch a.Action {
			case ActRemove, ActHide:
				if err := s.apply(ctx, tx, t, ActRestore); err != nil {
					return err
				}
			case ActSuspend:
				if err := s.accounts.LiftSuspension(ctx, tx, ap.MemberID); err != nil {
					return err
				}
			}
		}
		if err := tx.Exec(`UPDATE appeals SET status = ?, handler_id = ?, decision_reason = ?, decided_at = ? WHERE id = ?`, status, u.ID, reason, now, ap.ID).Error; err != nil {
			return err
		}
		if err := s.messenger.NotifyMemberAbout(ctx, tx.DB, ap.MemberID, models.NotifyModerationWarning, msg, forumOf(t)); err != nil {
			return err
		}
		mod := u.ID
		if err := s.record(ctx, tx, &mod, "appeal."+status, t, reason, "applied"); err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &mod, Action: "appeal." + status, TargetKind: "appeal", TargetID: &ap.ID, Reason: reason,
			FromState: "open", ToState: status})
	})
}
