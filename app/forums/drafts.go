package forums

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/models"
)

// MaxDrafts is how many drafts a member keeps at most.
const MaxDrafts = 100

// Draft is a member's unsent reply (ThreadID) or new thread (ForumID).
type Draft struct {
	ThreadID  int64
	ForumID   int64
	Title     string
	Body      string
	UpdatedAt time.Time
}

// checkDraft applies the text rules a post has, except that a draft may be
// short or empty, and says what is wrong per field.
func checkDraft(title, body string, withTitle bool) (string, string, error) {
	v := models.NewValidationError()
	body = input.NormalizeNewlines(body)
	if msg := input.Check("body", body); msg != "" {
		v.Code = "invalid_text"
		v.Add("body", msg)
	} else if n := utf8.RuneCountInString(body); n > BodyMax {
		v.Add("body", "A post can be at most "+strconv.Itoa(BodyMax)+" characters (this has "+strconv.Itoa(n)+").")
	}
	if withTitle {
		title = strings.TrimSpace(title)
		if msg := input.Check("title", title); msg != "" {
			v.Code = "invalid_text"
			v.Add("title", msg)
		} else if n := utf8.RuneCountInString(title); n > TitleMax {
			v.Add("title", "A title can be at most "+strconv.Itoa(TitleMax)+" characters.")
		}
	} else if title != "" {
		v.Add("title", "A reply has no title.")
	}
	return title, body, v.OrNil()
}

// SaveReplyDraft keeps v's unsent reply to a thread v may reply to. An
// empty body discards the draft.
func (s *Service) SaveReplyDraft(ctx context.Context, v Viewer, tv *ThreadView, body string) (err error) {
	defer wrap(&err, "forums: reply draft in thread %d", tv.Thread.ID)
	if !CanReply(v, &tv.Forum, &tv.Thread) {
		if v.Active() && CanReadForum(v, &tv.Forum) {
			// Locked or archived while they wrote: the form comes back
			// with their text, as when posting it.
			verr := models.NewValidationError()
			verr.Message = "This thread no longer takes replies, so a draft cannot be kept here. Copy your text if you want to keep it."
			verr.Add("body", "The thread no longer takes replies.")
			return verr
		}
		return actError(v, &tv.Forum)
	}
	_, body, err = checkDraft("", body, false)
	if err != nil {
		return err
	}
	if strings.TrimSpace(body) == "" {
		return s.DiscardReplyDraft(ctx, v, tv.Thread.ID)
	}
	return s.saveDraft(ctx, v, `thread_id`, tv.Thread.ID, "", body)
}

// SaveThreadDraft keeps v's unsent new thread in a forum v may post in.
// An empty title and body discard the draft.
func (s *Service) SaveThreadDraft(ctx context.Context, v Viewer, f *models.Forum, title, body string) (err error) {
	defer wrap(&err, "forums: thread draft in forum %d", f.ID)
	if !CanPostIn(v, f) {
		return actError(v, f)
	}
	title, body, err = checkDraft(title, body, true)
	if err != nil {
		return err
	}
	if title == "" && strings.TrimSpace(body) == "" {
		return s.DiscardThreadDraft(ctx, v, f.ID)
	}
	return s.saveDraft(ctx, v, `forum_id`, f.ID, title, body)
}

// saveDraft writes the draft for (col, id); col is thread_id or forum_id.
func (s *Service) saveDraft(ctx context.Context, v Viewer, col string, id int64, title, body string) error {
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		// One member's drafts are counted and written one at a time.
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtext('drafts'), ?::int)`, int32(v.User.ID)).Error; err != nil {
			return err
		}
		var have struct{ All, This int64 }
		if err := tx.Raw(`SELECT count(*) AS all, count(*) FILTER (WHERE `+col+` = ?) AS this FROM drafts WHERE user_id = ?`, id, v.User.ID).Scan(&have).Error; err != nil {
			return err
		}
		now := s.now().UTC()
		if have.This > 0 {
			return tx.Exec(`UPDATE drafts SET title = ?, body = ?, updated_at = ? WHERE user_id = ? AND `+col+` = ?`, title, body, now, v.User.ID, id).Error
		}
		if have.All >= MaxDrafts {
			return &models.ConflictError{Message: "You have " + strconv.Itoa(MaxDrafts) + " drafts, the most Kindred keeps. Post or discard some first."}
		}
		return tx.Exec(`INSERT INTO drafts (user_id, `+col+`, title, body, updated_at) VALUES (?, ?, ?, ?, ?)`, v.User.ID, id, title, body, now).Error
	})
}

// ReplyDraft is v's draft reply in a thread, or nil.
func (s *Service) ReplyDraft(ctx context.Context, v Viewer, threadID int64) (*Draft, error) {
	return s.draft(ctx, v, `thread_id`, threadID)
}

// ThreadDraft is v's draft new thread in a forum, or nil.
func (s *Service) ThreadDraft(ctx context.Context, v Viewer, forumID int64) (*Draft, error) {
	return s.draft(ctx, v, `forum_id`, forumID)
}

func (s *Service) draft(ctx context.Context, v Viewer, col string, id int64) (_ *Draft, err error) {
	defer wrap(&err, "forums: draft (%s %d)", col, id)
	if !v.SignedIn() {
		return nil, nil
	}
	var out []Draft
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT coalesce(thread_id, 0) AS thread_id, coalesce(forum_id, 0) AS forum_id, title, body, updated_at
		FROM drafts WHERE user_id = ? AND `+col+` = ?`, v.User.ID, id).Scan(&out).Error; err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// DiscardReplyDraft removes v's draft reply in a thread, if any.
func (s *Service) DiscardReplyDraft(ctx context.Context, v Viewer, threadID int64) error {
	if !v.SignedIn() {
		return models.ErrSignInRequired
	}
	return s.db.Gorm.WithContext(ctx).Exec(`DELETE FROM drafts WHERE user_id = ? AND thread_id = ?`, v.User.ID, threadID).Error
}

// DiscardThreadDraft removes v's draft new thread in a forum, if any.
func (s *Service) DiscardThreadDraft(ctx context.Context, v Viewer, forumID int64) error {
	if !v.SignedIn() {
		return models.ErrSignInRequired
	}
	return s.db.Gorm.WithContext(ctx).Exec(`DELETE FROM drafts WHERE user_id = ? AND forum_id = ?`, v.User.ID, forumID).Error
}

// deref is the string p points to, "" for nil (a column of a LEFT JOIN).
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
