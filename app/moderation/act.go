package moderation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Actions a moderator can take from the queue.
const (
	ActDismiss = "dismiss"
	ActHide    = "hide"
	ActRestore = "restore"
	ActRemove  = "remove"
	ActLock    = "lock"
	ActUnlock  = "unlock"
)

// resolving actions close the target's open reports: exactly one of
// several moderators acting at once does.
var resolving = map[string]string{ActDismiss: models.ReportDismissed, ActHide: models.ReportUpheld, ActRestore: models.ReportDismissed, ActRemove: models.ReportUpheld}

// Act applies a moderator's action to a target. expectOpen says the
// moderator acted on open reports (the item page and API send it): when
// another moderator resolved them meanwhile, or the action no longer fits
// the content, the attempt is recorded as superseded and answered with a
// ConflictError, so one item gets one resolution.
func (s *Service) Act(ctx context.Context, actor models.Actor, kind string, id int64, action, reason string, expectOpen bool) error {
	u := actor.User
	sc, err := s.scopeFor(ctx, actor, kind)
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if (action == ActRemove || action == ActHide) && utf8.RuneCountInString(reason) < 5 {
		v := models.NewValidationError()
		v.Add("reason", "Give a reason of at least five characters: the author reads it.")
		return v
	}
	if utf8.RuneCountInString(reason) > 2000 || !utf8.ValidString(reason) {
		v := models.NewValidationError()
		v.Add("reason", "Keep the reason under 2,000 characters.")
		return v
	}
	now := s.now().UTC()
	superseded := false
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		// Lock the content first, so a second moderator waits and then
		// sees what the first one did.
		switch kind {
		case models.TargetPost:
			if err := tx.Exec(`SELECT 1 FROM posts WHERE id = ? FOR UPDATE`, id).Error; err != nil {
				return err
			}
		case models.TargetThread:
			if err := tx.Exec(`SELECT 1 FROM threads WHERE id = ? FOR UPDATE`, id).Error; err != nil {
				return err
			}
		}
		t, _, err := s.moderated(ctx, tx.DB, u, sc, kind, id)
		modID := u.ID
		to, resolves := resolving[action]
		if errors.Is(err, errReportsClosed) {
			// A message whose reports are all decided: a late dismissal is
			// superseded (recorded without reading the text); anything
			// else is not found.
			if _, known := allowedActions(t)[action]; known && resolves {
				superseded = true
				return s.record(ctx, tx, &modID, action, t, reason, "superseded")
			}
		}
		if err != nil {
			return err
		}
		allowed, known := allowedActions(t)[action]
		if !known {
			return fmt.Errorf("moderation: action %q: %w", action, models.ErrNotFound)
		}
		var open []int64
		if err := tx.Raw(`SELECT id FROM reports WHERE target_kind = ? AND target_id = ? AND status = 'open' ORDER BY id FOR UPDATE`, kind, id).Scan(&open).Error; err != nil {
			return err
		}
		if (resolves && len(open) == 0 && (expectOpen || action == ActDismiss)) || !allowed {
			superseded = true
			return s.record(ctx, tx, &modID, action, t, reason, "superseded")
		}
		if resolves && len(open) > 0 {
			if err := tx.Exec(`UPDATE reports SET status = ?, handler_id = ?, resolution = ?, resolved_at = ? WHERE id IN ?`,
				to, u.ID, action, now, open).Error; err != nil {
				return err
			}
			// A decision on a crisis item is its acknowledgement (a
			// moderator looked at it, and when) and closes its follow-up:
			// it is never escalated afterwards, and the time to
			// acknowledge is still recorded.
			if err := tx.Exec(`UPDATE crisis_followups SET
					acknowledged_by = COALESCE(acknowledged_by, ?), acknowledged_at = COALESCE(acknowledged_at, ?),
					ack_seconds = COALESCE(ack_seconds, GREATEST(0, EXTRACT(EPOCH FROM (?::timestamptz - created_at)))::integer),
					closed_by = COALESCE(closed_by, ?), closed_at = COALESCE(closed_at, ?)
				WHERE report_id IN ? AND closed_at IS NULL`, u.ID, now, now, u.ID, now, open).Error; err != nil {
				return err
			}
			var reporters []struct{ ID, ReporterID int64 }
			if err := tx.Raw(`SELECT id, reporter_id FROM reports WHERE id IN ? AND reporter_id IS NOT NULL`, open).Scan(&reporters).Error; err != nil {
				return err
			}
			for _, r := range reporters {
				if err := s.notifier.NotifyReport(ctx, tx.DB, r.ReporterID, r.ID); err != nil {
					return err
				}
			}
		}
		if err := s.apply(ctx, tx, t, action); err != nil {
			return err
		}
		if (action == ActRemove || action == ActHide) && s.messenger != nil && (t.Kind == models.TargetPost || t.Kind == models.TargetThread) {
			// The author learns what happened and why; the notice links
			// to their moderation page, where they can appeal.
			verb := "removed"
			if action == ActHide {
				verb = "hid"
			}
			msg := "A moderator " + verb + " your " + t.Kind
			if t.Title != "" {
				msg += " in “" + t.Title + "”"
			}
			if err := s.messenger.NotifyMemberAbout(ctx, tx.DB, t.AuthorID, models.NotifyModerationWarning, msg+": "+reason+" You can appeal this decision.", forumOf(t)); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, &modID, action, t, reason, "applied")
	})
	if err == nil && superseded {
		return errSuperseded
	}
	return err
}

var errSuperseded = &models.ConflictError{Message: "Another moderator has already handled this. The item shows what they did."}

// apply changes the content itself, through forums.
func (s *Service) apply(ctx context.Context, tx *database.Tx, t *Target, action string) error {
	if t.Kind != models.TargetPost && t.Kind != models.TargetThread {
		return nil // reports on members and messages are decided, not applied
	}
	set := func(to models.Visibility) error {
		_, err := s.content.SetVisibility(ctx, tx, t.Kind, t.ID, t.ThreadID, to, "")
		return err
	}
	switch action {
	case ActHide:
		return set(models.Hidden)
	case ActRemove:
		return set(models.Removed)
	case ActRestore, ActDismiss:
		if t.Visibility == string(models.Hidden) || t.Visibility == string(models.Pending) || (action == ActRestore && t.Visibility == string(models.Removed)) {
			return set(models.Visible)
		}
	case ActLock, ActUnlock:
		state := models.ThreadLocked
		if action == ActUnlock {
			state = models.ThreadOpen
		}
		return s.content.SetThreadState(ctx, tx, t.ThreadID, state)
	}
	return nil
}
