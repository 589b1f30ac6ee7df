package messages

import (
	"context"
	"time"

	"github.com/kindred-health/kindred/models"
)

// Summary is one conversation in an inbox.
type Summary struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"`
	// With is who the conversation is with, as the reader sees it: the
	// other member's handle, "the moderators" for a member's conversation
	// with the team, the member's handle for staff.
	With          string    `json:"with"`
	Subject       string    `json:"subject"`
	LastMessageAt time.Time `json:"last_message_at"`
	Unread        int       `json:"unread"`
	// Seated is false for a team conversation a staff member sees only as
	// part of the team.
	Seated bool `json:"-"`
}

// Inbox lists the actor's conversations, newest first, older than before
// (a last_message_at cursor; zero: the newest). Team lists, for staff, the
// moderators' conversations they are not part of.
type Inbox struct {
	Conversations []Summary `json:"conversations"`
	Team          []Summary `json:"team,omitempty"`
	More          bool      `json:"more"`
	Next          string    `json:"next,omitempty"` // cursor for the next page
}

const summarySQL = `SELECT c.id, c.kind, c.subject, c.last_message_at,
	CASE WHEN c.kind = 'moderators' AND c.member_id = @me THEN 'the moderators'
	     WHEN c.kind = 'moderators' THEN coalesce((SELECT handle FROM users WHERE id = c.member_id), 'a former member')
	     ELSE coalesce((SELECT u.handle FROM conversation_members o JOIN users u ON u.id = o.user_id
	                    WHERE o.conversation_id = c.id AND o.user_id <> @me LIMIT 1), 'a former member') END AS with,
	(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id AND m.id > coalesce(cm.last_read_id, 0)
	    AND m.author_id IS DISTINCT FROM @me) AS unread,
	cm.user_id IS NOT NULL AS seated
	FROM conversations c LEFT JOIN conversation_members cm ON cm.conversation_id = c.id AND cm.user_id = @me`

// List returns the actor's inbox page.
func (s *Service) List(ctx context.Context, actor models.Actor, before time.Time) (_ *Inbox, err error) {
	defer wrap(&err, "messages: inbox")
	if !actor.SignedIn() {
		return nil, models.ErrSignInRequired
	}
	args := map[string]any{"me": actor.ID(), "before": before, "limit": InboxSize + 1, "staff": actor.IsModerator()}
	where := ` WHERE cm.user_id IS NOT NULL AND (c.kind = 'member' OR c.member_id = @me OR @staff)`
	if !before.IsZero() {
		where += ` AND c.last_message_at < @before`
	}
	in := &Inbox{}
	if err := s.db.Gorm.WithContext(ctx).Raw(summarySQL+where+` ORDER BY c.last_message_at DESC, c.id DESC LIMIT @limit`, args).Scan(&in.Conversations).Error; err != nil {
		return nil, err
	}
	if len(in.Conversations) > InboxSize {
		in.Conversations, in.More = in.Conversations[:InboxSize], true
		in.Next = in.Conversations[InboxSize-1].LastMessageAt.Format(time.RFC3339Nano)
	}
	if actor.IsStaff() && before.IsZero() {
		if err := s.db.Gorm.WithContext(ctx).Raw(summarySQL+` WHERE c.kind = 'moderators' AND cm.user_id IS NULL
			ORDER BY c.last_message_at DESC LIMIT 50`, args).Scan(&in.Team).Error; err != nil {
			return nil, err
		}
	}
	return in, nil
}

// WritesAsTeam reports whether the actor would write in the conversation
// as the moderators (it is the moderators' conversation, and not with
// them).
func (s *Service) WritesAsTeam(ctx context.Context, actor models.Actor, id int64) (bool, error) {
	var team bool
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM conversations WHERE id = ? AND kind = 'moderators' AND member_id IS DISTINCT FROM ?)`,
		id, actor.ID()).Scan(&team).Error
	return team, err
}

// MayRead answers nil when the actor may read the conversation, else
// ErrNotFound (for live updates; the page itself uses Conversation).
func (s *Service) MayRead(ctx context.Context, actor models.Actor, id int64) error {
	_, _, err := s.access(ctx, s.db.Gorm, actor, id)
	return err
}

// MessageView is one message as its readers see it.
type MessageView struct {
	ID          int64  `json:"id"`
	Author      string `json:"author"` // "" for a former member
	Mine        bool   `json:"mine"`
	AsModerator bool   `json:"as_moderator"`
	// Crisis: the writer may be at risk. The reader's page says what
	// they can do; the moderators were told (without the text).
	Crisis    bool      `json:"crisis"`
	BodyHTML  string    `json:"body_html"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	New       bool      `json:"new"` // unread when the page was opened
}

// View is a conversation page.
type View struct {
	Summary
	Messages []MessageView `json:"messages"`
	// Older is the id to pass as before for the previous page (0: none).
	Older int64 `json:"older,omitempty"`
	// CanReply is false when the other member has left or no longer
	// accepts the reader's messages (Why says so).
	CanReply bool   `json:"can_reply"`
	Why      string `json:"why,omitempty"`
	// Moderator: the reader writes as the moderation team here.
	Moderator bool `json:"moderator"`
	// ModeratorReads are when staff read a reported message of this
	// conversation (while reviewing a report), newest first.
	ModeratorReads []time.Time `json:"moderator_reads"`
}

// Conversation shows a conversation the actor may read and marks it read.
// before pages back through older messages.
func (s *Service) Conversation(ctx context.Context, actor models.Actor, id, before int64) (_ *View, err error) {
	defer wrap(&err, "messages: conversation %d", id)
	c, seated, err := s.access(ctx, s.db.Gorm, actor, id)
	if err != nil {
		return nil, err
	}
	db := s.db.Gorm.WithContext(ctx)
	v := &View{}
	if err := db.Raw(summarySQL+` WHERE c.id = @id`, map[string]any{"me": actor.ID(), "id": id}).Scan(&v.Summary).Error; err != nil {
		return nil, err
	}
	var lastRead int64
	if err := db.Raw(`SELECT coalesce((SELECT last_read_id FROM conversation_members WHERE conversation_id = ? AND user_id = ?), 0)`, id, actor.ID()).Scan(&lastRead).Error; err != nil {
		return nil, err
	}
	q := `SELECT m.id, coalesce(u.handle, '') AS author, coalesce(m.author_id = @me, false) AS mine, m.as_moderator, m.crisis, m.body_html, m.body, m.created_at, m.id > @read AND m.author_id IS DISTINCT FROM @me AS new
		FROM messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.conversation_id = @id`
	args := map[string]any{"me": actor.ID(), "id": id, "read": lastRead, "limit": PageSize + 1}
	if before > 0 {
		q += ` AND m.id < @before`
		args["before"] = before
	}
	if err := db.Raw(q+` ORDER BY m.id DESC LIMIT @limit`, args).Scan(&v.Messages).Error; err != nil {
		return nil, err
	}
	if len(v.Messages) > PageSize {
		v.Messages = v.Messages[:PageSize]
		v.Older = v.Messages[PageSize-1].ID
	}
	for i, j := 0, len(v.Messages)-1; i < j; i, j = i+1, j-1 {
		v.Messages[i], v.Messages[j] = v.Messages[j], v.Messages[i]
	}
	v.Moderator = c.Kind == models.ConversationModerators && (c.MemberID == nil || *c.MemberID != actor.ID())
	v.CanReply = actor.Active()
	if c.Kind == models.ConversationMember && v.CanReply {
		var other int64
		if err := db.Raw(`SELECT coalesce((SELECT user_id FROM conversation_members WHERE conversation_id = ? AND user_id <> ? LIMIT 1), 0)`, id, actor.ID()).Scan(&other).Error; err != nil {
			return nil, err
		}
		switch ok, err := accepts(ctx, db, other, actor.ID(), id); {
		case err != nil:
			return nil, err
		case other == 0:
			v.CanReply, v.Why = false, "The other member has left Kindred."
		case !ok && !actor.IsStaff():
			v.CanReply, v.Why = false, v.With+" is not accepting messages from you."
		}
	}
	if err := db.Raw(`SELECT a.created_at FROM audit_events a WHERE a.action = 'message.read' AND a.target_kind = ?
		AND a.target_id IN (SELECT m.id FROM messages m WHERE m.conversation_id = ?) ORDER BY a.created_at DESC LIMIT 20`, models.TargetMessage, id).Scan(&v.ModeratorReads).Error; err != nil {
		return nil, err
	}
	if seated && len(v.Messages) > 0 && before == 0 {
		newest := v.Messages[len(v.Messages)-1].ID
		if err := db.Exec(`UPDATE conversation_members SET last_read_id = ? WHERE conversation_id = ? AND user_id = ? AND last_read_id < ?`,
			newest, id, actor.ID(), newest).Error; err != nil {
			return nil, err
		}
		if err := s.notifier.MarkConversationRead(ctx, actor.ID(), id); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Settings is who may write to a member.
type Settings struct {
	Accept string `json:"accept"`
	// Following are the handles the member follows (read only).
	Following []string `json:"following"`
}

// GetSettings reads the member's choice (everyone when never set).
func (s *Service) GetSettings(ctx context.Context, actor models.Actor) (*Settings, error) {
	if !actor.SignedIn() {
		return nil, models.ErrSignInRequired
	}
	st := &Settings{Accept: models.AcceptEveryone, Following: []string{}}
	db := s.db.Gorm.WithContext(ctx)
	if err := db.Raw(`SELECT accept FROM message_settings WHERE user_id = ?`, actor.ID()).Scan(&st.Accept).Error; err != nil {
		return nil, err
	}
	if st.Accept == "" {
		st.Accept = models.AcceptEveryone
	}
	err := db.Raw(`SELECT u.handle FROM member_follows f JOIN users u ON u.id = f.followed_id WHERE f.user_id = ? ORDER BY lower(u.handle) LIMIT 500`, actor.ID()).Scan(&st.Following).Error
	return st, err
}

// SaveSettings stores the member's choice.
func (s *Service) SaveSettings(ctx context.Context, actor models.Actor, st Settings) error {
	if !actor.SignedIn() {
		return models.ErrSignInRequired
	}
	known := false
	for _, m := range models.AcceptModes {
		known = known || m == st.Accept
	}
	if !known {
		v := models.NewValidationError()
		v.Add("accept", "Choose everyone, only people you follow, or nobody.")
		return v
	}
	return s.db.Gorm.WithContext(ctx).Exec(`INSERT INTO message_settings (user_id, accept, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET accept = excluded.accept, updated_at = excluded.updated_at`, actor.ID(), st.Accept, s.now().UTC()).Error
}
