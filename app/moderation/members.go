package moderation

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Accounts changes accounts, which app/auth owns.
type Accounts interface {
	Restrict(ctx context.Context, tx *database.Tx, userID int64, until *time.Time) error
	// LiftSuspension makes a suspended account active again (an appeal
	// overturned the suspension).
	LiftSuspension(ctx context.Context, tx *database.Tx, userID int64) error
	// SetOnDuty turns a moderator's immediate crisis alerts on or off.
	SetOnDuty(ctx context.Context, tx *database.Tx, userID int64, on bool) error
}

// Messenger tells a member what a moderator decided, with the moderator's
// words (app/notify implements it).
type Messenger interface {
	NotifyMember(ctx context.Context, tx *gorm.DB, userID int64, kind, message string) error
	// NotifyMemberAbout is for words about content in a forum, which
	// may name a thread: e-mail quotes them only from public forums.
	NotifyMemberAbout(ctx context.Context, tx *gorm.DB, userID int64, kind, message string, forumID int64) error
}

// forumOf is a target's forum id, 0 for none.
func forumOf(t *Target) int64 {
	if t == nil || t.ForumID == nil {
		return 0
	}
	return *t.ForumID
}

// Member actions: on the author of a reported post or thread, on a
// reported member, or on the author of a private-question message while an
// open report names it. The author of anonymous content is acted on without
// being shown.
const (
	ActWarn    = "warn"
	ActSuspend = "suspend"
	ActBan     = "ban"
	ActNote    = "note"
)

// MemberActions are the actions on a member, in the order pages show them.
var MemberActions = []string{ActNote, ActWarn, ActSuspend, ActBan}

// ActOnMember warns, suspends (until), bans, or adds a moderator note about
// the member behind a target. Forum moderators may note and warn within
// their forums; suspension and ban are for global moderators. Suspension
// and ban end the member's sessions at once.
func (s *Service) ActOnMember(ctx context.Context, actor models.Actor, kind string, id int64, action, reason string, until time.Time) error {
	u := actor.User
	sc, err := s.scopeFor(ctx, actor, kind)
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	v := models.NewValidationError()
	if n := utf8.RuneCountInString(reason); n < 5 || n > 2000 || !utf8.ValidString(reason) {
		v.Add("reason", "Write 5 to 2,000 characters: members read warnings and the reasons for suspensions and bans.")
	}
	now := s.now().UTC()
	if action == ActSuspend && !until.After(now) {
		v.Add("until", "Choose a date in the future.")
	}
	if err := v.OrNil(); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		// The author of a private-question message only while an open
		// report names the message.
		t, _, err := s.moderated(ctx, tx.DB, u, sc, kind, id)
		if err != nil {
			return err
		}
		if (action == ActSuspend || action == ActBan) && !sc.Global {
			return models.ErrForbidden // before the member is even read
		}
		var target models.User
		if err := tx.First(&target, t.AuthorID).Error; err != nil {
			return err
		}
		if err := mayActOnMember(actor, sc, action, &target); err != nil {
			return err
		}
		mod := u.ID
		switch action {
		case ActNote:
		case ActWarn:
			if err := s.messenger.NotifyMember(ctx, tx.DB, target.ID, models.NotifyModerationWarning, reason); err != nil {
				return err
			}
		case ActSuspend, ActBan:
			var untilPtr *time.Time
			msg := "Your account is banned: " + reason
			if action == ActSuspend {
				untilPtr = &until
				msg = "Your account is suspended until " + until.UTC().Format("2 Jan 2006 15:04 UTC") + ": " + reason
			}
			if err := s.accounts.Restrict(ctx, tx, target.ID, untilPtr); err != nil {
				return err
			}
			if err := s.messenger.NotifyMember(ctx, tx.DB, target.ID, models.NotifyModerationWarning, msg); err != nil {
				return err
			}
			targetID := target.ID
			if err := audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &mod, Action: "user." + action, TargetKind: "user", TargetID: &targetID,
				Reason: reason, FromState: string(target.Status), ToState: map[string]string{ActSuspend: "suspended", ActBan: "banned"}[action]}); err != nil {
				return err
			}
		default:
			return fmt.Errorf("moderation: action %q: %w", action, models.ErrNotFound)
		}
		if kind == models.TargetUser && action != ActNote {
			if err := tx.Exec(`UPDATE reports SET status = 'upheld', handler_id = ?, resolution = ?, resolved_at = ? WHERE target_kind = 'user' AND target_id = ? AND status = 'open'`,
				u.ID, action, now, id).Error; err != nil {
				return err
			}
		}
		return s.record(ctx, tx, &mod, action, t, reason, "applied")
	})
}

// Reveal shows an admin who wrote an anonymous post or thread; the reason
// is required and the reveal audited. Messages of private questions are
// never anonymous: for them there is nothing to reveal, and the answer is
// not found for everyone, as for a message that does not exist.
func (s *Service) Reveal(ctx context.Context, actor models.Actor, kind string, id int64, reason string) (string, error) {
	admin := actor.User
	if models.PrivateTarget(kind) {
		return "", fmt.Errorf("moderation: reveal %s %d: %w", kind, id, models.ErrNotFound)
	}
	if err := adminOnly(actor); err != nil {
		return "", err
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) < 5 {
		v := models.NewValidationError()
		v.Add("reveal_reason", "Give a reason of at least five characters: every reveal is in the audit log.")
		return "", v
	}
	var handle string
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		t, err := s.load(ctx, tx.DB, kind, id)
		if err != nil {
			return err
		}
		if !t.Anonymous {
			return &models.ConflictError{Message: "This is not anonymous."}
		}
		if err := tx.Raw(`SELECT handle FROM users WHERE id = ?`, t.AuthorID).Scan(&handle).Error; err != nil {
			return err
		}
		tid := t.ID
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin.ID, Action: "anonymous.reveal", TargetKind: kind, TargetID: &tid, Reason: reason})
	})
	return handle, err
}

// RevealShownFor is how long the item page keeps showing an admin the
// author they revealed (read back from the audit log, so a reload never
// reveals again).
const RevealShownFor = 15 * time.Minute

// revealedTo is the author of an anonymous target that admin revealed
// within RevealShownFor, or "".
func revealedTo(ctx context.Context, db *gorm.DB, admin *models.User, t *Target) (string, error) {
	var handle string
	err := db.WithContext(ctx).Raw(`SELECT u.handle FROM users u WHERE u.id = ? AND EXISTS (SELECT 1 FROM audit_events a
		WHERE a.actor_id = ? AND a.action = 'anonymous.reveal' AND a.target_kind = ? AND a.target_id = ? AND a.created_at > now() - make_interval(secs => ?))`,
		t.AuthorID, admin.ID, t.Kind, t.ID, RevealShownFor.Seconds()).Scan(&handle).Error
	return handle, err
}

// ActMove is the move action: a thread (or a post's thread) to another forum.
const ActMove = "move"

// MoveThread moves the thread behind a target to the forum toSlug. Global
// moderators may move anywhere; forum moderators between forums they
// moderate.
//
// A move may not widen a thread's audience (clinician-only, then members
// only, then everyone and search engines): only an admin may, after
// confirming (confirmWider), and never for a thread with anonymous posts;
// the thread's authors are told.
func (s *Service) MoveThread(ctx context.Context, actor models.Actor, kind string, id int64, toSlug, reason string, confirmWider bool) error {
	u := actor.User
	if models.PrivateTarget(kind) {
		// No thread behind it; answered like a message that does not exist.
		return fmt.Errorf("moderation: move %s %d: %w", kind, id, models.ErrNotFound)
	}
	sc, ok, err := s.ScopeOf(ctx, actor)
	if err != nil {
		return err
	}
	if !ok {
		return models.ErrForbidden
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		t, err := s.load(ctx, tx.DB, kind, id)
		if err != nil {
			return err
		}
		if (kind != models.TargetPost && kind != models.TargetThread) || !sc.Covers(t) {
			return models.ErrForbidden
		}
		var to, from struct {
			ID            int64
			Slug, Name    string
			Sensitive     bool
			ClinicianOnly bool
			ArchivedAt    *time.Time
		}
		if err := tx.Raw(`SELECT id, slug, name, sensitive, clinician_only, archived_at FROM forums WHERE slug = ?`, toSlug).Scan(&to).Error; err != nil {
			return err
		}
		if t.ForumID != nil {
			if err := tx.Raw(`SELECT id, slug, name, sensitive, clinician_only, archived_at FROM forums WHERE id = ?`, *t.ForumID).Scan(&from).Error; err != nil {
				return err
			}
		}
		if to.ID == 0 || to.ArchivedAt != nil {
			v := models.NewValidationError()
			v.Add("forum", "Choose a forum that takes threads.")
			return v
		}
		if !mayMoveTo(sc, to.ID) {
			return models.ErrForbidden
		}
		if t.ForumID != nil && *t.ForumID == to.ID {
			return &models.ConflictError{Message: "The thread is already in that forum."}
		}
		wider := models.AudienceWider(models.ForumAudience(to.Sensitive, to.ClinicianOnly), models.ForumAudience(from.Sensitive, from.ClinicianOnly))
		if wider {
			v := models.NewValidationError()
			var anonymous bool
			if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM posts WHERE thread_id = ? AND anonymous)`, t.ThreadID).Scan(&anonymous).Error; err != nil {
				return err
			}
			switch {
			case !mayWiden(actor):
				v.Add("forum", "More people can read "+to.Name+" than "+from.Name+": only an admin can move a thread to a wider audience.")
			case anonymous:
				v.Add("forum", "This thread has anonymous posts: it can never be moved to a forum more people can read than "+from.Name+".")
			case !confirmWider:
				v.Add("confirm_wider", "More people can read "+to.Name+" than "+from.Name+". Tick the box to confirm; the thread's authors will be told.")
			}
			if err := v.OrNil(); err != nil {
				return err
			}
		}
		if err := s.content.MoveThread(ctx, tx, t.ThreadID, *t.ForumID, to.ID); err != nil {
			return err
		}
		// Open reports follow the thread to its new forum's moderators.
		if err := tx.Exec(`UPDATE reports SET forum_id = ? WHERE (target_kind = 'thread' AND target_id = ?)
			OR (target_kind = 'post' AND target_id IN (SELECT id FROM posts WHERE thread_id = ?))`, to.ID, t.ThreadID, t.ThreadID).Error; err != nil {
			return err
		}
		mod := u.ID
		why := strings.TrimSpace(reason)
		if why != "" {
			why = ": " + why
		}
		if wider && s.messenger != nil {
			// Everyone who wrote in the thread learns who can read it now.
			var title string
			var authors []int64
			if err := tx.Raw(`SELECT title FROM threads WHERE id = ?`, t.ThreadID).Scan(&title).Error; err != nil {
				return err
			}
			if err := tx.Raw(`SELECT DISTINCT author_id FROM posts WHERE thread_id = ? AND author_id <> ?`, t.ThreadID, u.ID).Scan(&authors).Error; err != nil {
				return err
			}
			msg := "An admin moved the thread “" + title + "”, where you posted, from " + from.Name + " to " + to.Name + ", which more people can read" + why + "."
			for _, a := range authors {
				if err := s.messenger.NotifyMemberAbout(ctx, tx.DB, a, models.NotifyModerationWarning, msg, from.ID); err != nil {
					return err
				}
			}
		}
		return s.record(ctx, tx, &mod, ActMove, t, "from "+t.ForumSlug+" to "+to.Slug+why, "applied")
	})
}
