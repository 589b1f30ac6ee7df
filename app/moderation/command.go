package moderation

import (
	"context"
	"fmt"
	"time"

	"github.com/kindred-health/kindred/models"
)

// ActReveal shows an anonymous author to an admin (audited).
const ActReveal = "reveal"

// Command is one moderator action on an item, as the review page's forms
// and the JSON API both send it.
type Command struct {
	Action     string // one of the Act… constants
	Reason     string
	Canned     int64     // hide, remove: an admins' reason, put before Reason
	ExpectOpen bool      // decisions: conflict if another moderator settled the reports
	Until      time.Time // suspend
	Forum      string    // move: the destination forum's slug
	Wider      bool      // move: an admin confirms a wider audience
	Note       string    // crisis steps
}

// Outcome is what a command produced beyond its effect.
type Outcome struct {
	Author string // reveal: the anonymous author's handle
}

// Do runs a command: the one place an action's name decides what happens,
// for pages and API alike.
func (s *Service) Do(ctx context.Context, actor models.Actor, kind string, id int64, cmd Command) (Outcome, error) {
	if cmd.Action == ActHide || cmd.Action == ActRemove {
		text, err := s.reasonText(ctx, cmd.Canned, cmd.Reason)
		if err != nil {
			return Outcome{}, err
		}
		cmd.Reason = text
	}
	switch cmd.Action {
	case ActNote, ActWarn, ActSuspend, ActBan:
		return Outcome{}, s.ActOnMember(ctx, actor, kind, id, cmd.Action, cmd.Reason, cmd.Until)
	case ActMove:
		return Outcome{}, s.MoveThread(ctx, actor, kind, id, cmd.Forum, cmd.Reason, cmd.Wider)
	case ActAcknowledge, ActReachedOut, ActCloseCrisis:
		return Outcome{}, s.CrisisStep(ctx, actor, kind, id, cmd.Action, cmd.Note)
	case ActReveal:
		handle, err := s.Reveal(ctx, actor, kind, id, cmd.Reason)
		return Outcome{Author: handle}, err
	}
	return Outcome{}, s.Act(ctx, actor, kind, id, cmd.Action, cmd.Reason, cmd.ExpectOpen)
}

// ForumID finds a forum by its slug for the queue's filter.
func (s *Service) ForumID(ctx context.Context, slug string) (int64, error) {
	var id int64
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id FROM forums WHERE slug = ?`, slug).Scan(&id).Error; err != nil {
		return 0, fmt.Errorf("moderation: forum %q: %w", slug, err)
	}
	if id == 0 {
		return 0, fmt.Errorf("moderation: forum %q: %w", slug, models.ErrNotFound)
	}
	return id, nil
}

// LatestSuspension is the moderator's suspension of the member an appeal
// would be about (0: none by a moderator).
func (s *Service) LatestSuspension(ctx context.Context, memberID int64) (int64, error) {
	var id int64
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id FROM moderation_actions WHERE author_id = ? AND action = 'suspend' AND outcome = 'applied' ORDER BY id DESC LIMIT 1`,
		memberID).Scan(&id).Error
	if err != nil {
		return 0, fmt.Errorf("moderation: latest suspension of %d: %w", memberID, err)
	}
	return id, nil
}
