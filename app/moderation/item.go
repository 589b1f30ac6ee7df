package moderation

import (
	"context"
	"html/template"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Item is everything a moderator sees to decide.
type Item struct {
	Target    *Target           `json:"target"`
	Reports   []ReportView      `json:"reports"`
	Revisions []RevisionView    `json:"revisions,omitempty"`
	History   []HistoryView     `json:"author_history,omitempty"` // not for anonymous content
	Actions   []HistoryView     `json:"actions"`                  // on this target
	Open      bool              `json:"open"`                     // has open reports
	Allowed   map[string]bool   `json:"allowed_actions"`
	Reasons   map[string]string `json:"-"`
	Global    bool              `json:"-"` // the moderator may suspend and ban
	Admin     bool              `json:"-"` // the moderator may reveal anonymous authors
	Revealed  string            `json:"revealed_author,omitempty"`
	Forums    []ForumChoice     `json:"-"` // where a thread can move
	Canned    []CannedReason    `json:"-"` // reasons to pick when hiding or removing
	CanWiden  bool              `json:"-"` // one of them is read by more people (admins only)
	// Crisis lists the target's crisis follow-ups, newest first.
	Crisis []FollowupView `json:"crisis,omitempty"`
	// Findings are what the safety engine found (never the text), and
	// Evidence highlights the latest ones in the text as it is now.
	Findings []FindingView `json:"findings,omitempty"`
	Evidence template.HTML `json:"evidence_html,omitempty"`
}

// CrisisOpen reports whether a crisis follow-up still waits.
func (it *Item) CrisisOpen() bool {
	for _, f := range it.Crisis {
		if f.Open() {
			return true
		}
	}
	return false
}

// AwaitingAck reports whether an open crisis follow-up waits for its
// acknowledgement.
func (it *Item) AwaitingAck() bool {
	for _, f := range it.Crisis {
		if f.Open() && f.AcknowledgedAt == nil {
			return true
		}
	}
	return false
}

// ForumChoice is a forum a thread may move to.
type ForumChoice struct {
	Slug, Name string
	Wider      bool // more people can read it than the thread's forum
}

// ReportView is a report as moderators see it.
type ReportView struct {
	ID         int64               `json:"id"`
	Reporter   string              `json:"reporter"`
	Reason     models.ReportReason `json:"reason"`
	Note       string              `json:"note"`
	Weight     float64             `json:"weight"`
	Status     string              `json:"status"`
	Resolution string              `json:"resolution"`
	CreatedAt  time.Time           `json:"created_at"`
}

// RevisionView is an earlier text of a reported post.
type RevisionView struct {
	Body      string    `json:"body"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// HistoryView is one earlier moderation action.
type HistoryView struct {
	Action    string    `json:"action"`
	Moderator string    `json:"moderator"` // "" for Kindred itself
	Reason    string    `json:"reason"`
	Outcome   string    `json:"outcome"`
	CreatedAt time.Time `json:"created_at"`
}

// Item loads one target for a moderator whose scope covers it. A message
// of a private question is found only through reportedMessage, and each
// such read is audited for the asker in the same transaction.
func (s *Service) Item(ctx context.Context, actor models.Actor, kind string, id int64) (*Item, error) {
	u := actor.User
	sc, err := s.scopeFor(ctx, actor, kind)
	if err != nil {
		return nil, err
	}
	var it *Item
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		t, open, err := s.moderated(ctx, tx.DB, u, sc, kind, id)
		if err != nil {
			return err
		}
		if models.PrivateTarget(kind) {
			// Read back by the participants: the asker's list of readers,
			// the conversation's "a moderator read a reported message".
			if err := audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &u.ID, Action: kind + ".read", TargetKind: kind, TargetID: &id,
				Reason: readReason(open)}); err != nil {
				return err
			}
		}
		it, err = s.item(ctx, tx.DB, u, sc, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return it, nil
}

// item gathers the reports, revisions and history around a target.
func (s *Service) item(ctx context.Context, tx *gorm.DB, u *models.User, sc Scope, t *Target) (*Item, error) {
	kind, id := t.Kind, t.ID
	db := tx.WithContext(ctx)
	it := &Item{Target: t, Allowed: allowedActions(t), Global: sc.Global, Admin: u.Role == models.RoleAdmin}
	if err := db.Raw(`SELECT id, label, body, position, created_at FROM moderation_reasons ORDER BY position, id`).Scan(&it.Canned).Error; err != nil {
		return nil, err
	}
	if it.Admin && t.Anonymous {
		var err error
		if it.Revealed, err = revealedTo(ctx, tx, u, t); err != nil {
			return nil, err
		}
	}
	if err := db.Raw(`SELECT r.id, coalesce(u.handle, 'Kindred (automatic)') AS reporter, r.reason, r.note, r.weight, r.status, r.resolution, r.created_at
		FROM reports r LEFT JOIN users u ON u.id = r.reporter_id WHERE r.target_kind = ? AND r.target_id = ? ORDER BY r.id DESC LIMIT 100`, kind, id).Scan(&it.Reports).Error; err != nil {
		return nil, err
	}
	if models.PrivateTarget(kind) {
		// Naming the reporter would tell the moderator who asked a private
		// medical question, or who writes to whom: only that one of the
		// participants reported.
		for i := range it.Reports {
			it.Reports[i].Reporter = "a participant in the conversation"
		}
	}
	for _, r := range it.Reports {
		if r.Status == models.ReportOpen {
			it.Open = true
		}
	}
	if kind == models.TargetPost {
		if err := db.Raw(`SELECT body, reason, created_at FROM post_revisions WHERE post_id = ? ORDER BY id`, id).Scan(&it.Revisions).Error; err != nil {
			return nil, err
		}
	}
	if kind == models.TargetPost || kind == models.TargetThread {
		var all []struct {
			ID                       int64
			Slug, Name               string
			Sensitive, ClinicianOnly bool
		}
		if err := db.Raw(`SELECT id, slug, name, sensitive, clinician_only FROM forums WHERE archived_at IS NULL ORDER BY position, name`).Scan(&all).Error; err != nil {
			return nil, err
		}
		here := models.AudiencePublic
		for _, f := range all {
			if t.ForumID != nil && *t.ForumID == f.ID {
				here = models.ForumAudience(f.Sensitive, f.ClinicianOnly)
			}
		}
		for _, f := range all {
			if (sc.Global || sc.Forums[f.ID]) && (t.ForumID == nil || *t.ForumID != f.ID) {
				wider := models.AudienceWider(models.ForumAudience(f.Sensitive, f.ClinicianOnly), here)
				if wider && !it.Admin {
					continue // only an admin may widen a thread's audience
				}
				it.Forums = append(it.Forums, ForumChoice{Slug: f.Slug, Name: f.Name, Wider: wider})
				it.CanWiden = it.CanWiden || wider
			}
		}
	}
	if err := db.Raw(`SELECT a.action, coalesce(m.handle, '') AS moderator, a.reason, a.outcome, a.created_at FROM moderation_actions a
		LEFT JOIN users m ON m.id = a.moderator_id WHERE a.target_kind = ? AND a.target_id = ? ORDER BY a.id`, kind, id).Scan(&it.Actions).Error; err != nil {
		return nil, err
	}
	var err error
	if it.Crisis, err = followups(ctx, tx, kind, id); err != nil {
		return nil, err
	}
	if it.Findings, it.Evidence, err = s.evidence(ctx, tx, t); err != nil {
		return nil, err
	}
	if !t.Anonymous {
		if err := db.Raw(`SELECT a.action, coalesce(m.handle, '') AS moderator, a.reason, a.outcome, a.created_at FROM moderation_actions a
			LEFT JOIN users m ON m.id = a.moderator_id
			WHERE a.author_id = ? AND a.outcome = 'applied' AND NOT (a.target_kind = ? AND a.target_id = ?)
			  AND a.action IN ('note', 'warn', 'hide', 'remove', 'lock', 'move', 'suspend', 'ban') -- decisions against the author; approvals and restorations are not
			ORDER BY a.id DESC LIMIT 50`,
			t.AuthorID, kind, id).Scan(&it.History).Error; err != nil {
			return nil, err
		}
	}
	return it, nil
}
