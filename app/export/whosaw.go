package export

import (
	"context"
	"strings"
	"time"
)

// Sighting is one read of the member's private data by someone else, or
// one action of the staff on their account or content.
type Sighting struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	Action    string    `json:"action"`
	What      string    `json:"what"`
	Who       string    `json:"who"`
	Role      string    `json:"role"`
	Reason    string    `json:"reason"`
	Kind      string    `json:"target_kind"`
	TargetID  *int64    `json:"target_id"`
	Automatic bool      `json:"automatic"`
}

// whoSawSQL is every audit event about the member by someone else (or by
// Kindred itself): reads of their private questions and of reported
// messages in their conversations, views of their proof documents,
// decisions on their applications, account and appeals, and moderation of
// their posts. Moderators' notes are left out: they are the staff's own.
const whoSawSQL = `SELECT e.id, e.created_at AS at, e.action, e.target_kind AS kind, e.target_id, e.reason, e.to_state,
	coalesce(u.handle, '') AS handle, coalesce(u.role, '') AS role, coalesce(u.reviewer, false) AS reviewer, e.actor_id IS NULL AS automatic,
	e.actor_id IS NOT NULL AND u.id IS NULL AS gone
	FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
	WHERE e.actor_id IS DISTINCT FROM @me AND e.id < @before
	  AND e.action NOT LIKE 'sso.%' AND e.action NOT LIKE 'user.seed.%'
	  AND e.action NOT IN ('user.suspend', 'user.ban') -- recorded again as moderation.suspend and moderation.ban
	  AND e.action <> 'moderation.note'
	  AND e.action NOT IN ('moderation.acknowledge', 'moderation.reached_out', 'moderation.close_crisis', 'moderation.crisis_escalate', 'moderation.dismiss')
	  AND ((e.action = 'question.read' AND e.target_kind = 'question' AND e.target_id IN (SELECT id FROM questions WHERE asker_id = @me))
	    OR (e.action = 'question_message.read' AND e.target_kind = 'question_message'
	        AND e.target_id IN (SELECT m.id FROM question_messages m JOIN questions q ON q.id = m.question_id WHERE q.asker_id = @me))
	    OR (e.action = 'message.read' AND e.target_kind = 'message'
	        AND e.target_id IN (SELECT m.id FROM messages m WHERE m.conversation_id IN (` + myConversations + `)))
	    OR (e.target_kind = 'credential' AND e.target_id IN (SELECT id FROM credentials WHERE user_id = @me))
	    OR (e.target_kind = 'user' AND e.target_id = @me)
	    OR (e.target_kind = 'post' AND e.target_id IN (SELECT id FROM posts WHERE author_id = @me))
	    OR (e.target_kind = 'thread' AND e.target_id IN (SELECT id FROM threads WHERE author_id = @me))
	    OR (e.target_kind = 'appeal' AND e.target_id IN (SELECT id FROM appeals WHERE member_id = @me)))
	ORDER BY e.id DESC LIMIT @limit`

type sightingRow struct {
	ID        int64
	At        time.Time
	Action    string
	Kind      string
	TargetID  *int64
	Reason    string
	ToState   string
	Handle    string
	Role      string
	Reviewer  bool
	Automatic bool
	Gone      bool
}

// WhoSaw lists the member's sightings, newest first, before the event id
// before (0: from the newest); next is the cursor of the following page
// (0: none).
func (s *Service) WhoSaw(ctx context.Context, me, before int64, limit int) (out []Sighting, next int64, err error) {
	if before <= 0 {
		before = 1<<62 - 1
	}
	var rows []sightingRow
	if err := s.db.Gorm.WithContext(ctx).Raw(whoSawSQL, map[string]any{"me": me, "before": before, "limit": limit + 1}).Scan(&rows).Error; err != nil {
		return nil, 0, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	for _, r := range rows {
		out = append(out, describe(r))
	}
	return out, next, nil
}

// whoSawAll is the whole list for the archive.
func (s *Service) whoSawAll(ctx context.Context, me int64) (*table, error) {
	list, _, err := s.WhoSaw(ctx, me, 0, 100000)
	if err != nil {
		return nil, err
	}
	t := &table{section: section{File: "who_saw", Title: "Who saw your data",
		About: "Every read of your private questions, reported messages and proof documents by someone else, and every staff action on your account, from the audit log."},
		Columns: []string{"at", "who", "role", "what", "reason"}}
	for _, x := range list {
		t.Rows = append(t.Rows, []any{x.At.UTC(), x.Who, x.Role, x.What, x.Reason})
	}
	return t, nil
}

// reasonShown: actions whose recorded reason the member is shown (the
// same ones they are told about elsewhere). For others the reason stays
// with the staff.
var reasonShown = map[string]bool{
	"question.read": true, "question_message.read": true, "message.read": true,
	"user.suspend": true, "user.ban": true, "user.warn": true, "anonymous.reveal": true,
	"moderation.hide": true, "moderation.remove": true, "moderation.warn": true, "moderation.suspend": true, "moderation.ban": true,
	"appeal.upheld": true, "appeal.overturned": true,
	"credential.reject": true, "credential.revoke": true, "credential.rejected": true, "credential.revoked": true,
}

func describe(r sightingRow) Sighting {
	x := Sighting{ID: r.ID, At: r.At, Action: r.Action, Kind: r.Kind, TargetID: r.TargetID, Automatic: r.Automatic}
	switch {
	case r.Automatic:
		x.Who, x.Role = "Kindred", "automatic"
	case r.Gone:
		x.Who, x.Role = "a former member", ""
	default:
		x.Who, x.Role = r.Handle, r.Role
		switch {
		case r.Action == "question.read":
			x.Role = "clinician"
		case r.Action == "credential.document.view" && r.Role == "member" && r.Reviewer:
			x.Role = "reviewer"
		}
	}
	if reasonShown[r.Action] {
		x.Reason = r.Reason
	}
	x.What = what(r)
	return x
}

func what(r sightingRow) string {
	a := r.Action
	switch a {
	case "question.read":
		return "Read your private question"
	case "question_message.read":
		return "Read a reported message in your private question"
	case "message.read":
		return "Read a reported message in one of your private conversations"
	case "credential.document.view":
		return "Viewed the proof document of your clinician application"
	case "credential.document.delete":
		return "Deleted the proof document of your clinician application"
	case "credential.apply":
		return "Recorded your clinician application"
	case "credential.expire":
		return "Marked your clinician verification expired"
	case "anonymous.reveal":
		return "Revealed that you wrote an anonymous " + r.Kind
	case "post.edit":
		return "Edited your post"
	case "post.clinician_label.remove":
		return "Removed the clinician label from your posts"
	case "thread.tags":
		return "Changed the tags of your thread"
	case "clinician.questions_paused":
		return "Paused private-question offers to you"
	case "user.suspend":
		return "Suspended your account"
	case "user.ban":
		return "Banned your account"
	case "user.warn":
		return "Warned you"
	case "export.request", "export.download":
		return "Asked for a copy of your data"
	}
	switch {
	case strings.HasPrefix(a, "user.role."):
		return "Changed your role to " + strings.TrimPrefix(a, "user.role.")
	case strings.HasPrefix(a, "user."):
		return "Changed your account (" + strings.ReplaceAll(strings.TrimPrefix(a, "user."), "_", " ") + ")"
	case strings.HasPrefix(a, "credential."):
		to := r.ToState
		if to == "" {
			to = strings.TrimPrefix(a, "credential.")
		}
		return "Decided on your clinician application: " + strings.ReplaceAll(to, "_", " ")
	case strings.HasPrefix(a, "appeal."):
		return "Decided your appeal: " + strings.TrimPrefix(a, "appeal.")
	case r.Kind == "user" && a == "moderation.warn":
		return "Warned you"
	case r.Kind == "user" && a == "moderation.suspend":
		return "Suspended your account"
	case r.Kind == "user" && a == "moderation.ban":
		return "Banned your account"
	case strings.HasPrefix(a, "moderation."):
		return "Moderated your " + strings.ReplaceAll(r.Kind, "_", " ") + ": " + strings.ReplaceAll(strings.TrimPrefix(a, "moderation."), "_", " ")
	}
	return "Acted on your account (" + a + ")"
}
