package forums

import (
	"context"
	"fmt"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// PublishAnonymised writes a private question, as its asker edited it, as
// a public thread inside tx: the opening post is anonymous (in any forum:
// publishing is how the asker shares without being known), the clinician's
// answers follow under their own name. The question's transaction commits
// it, so it is published exactly once.
func (s *Service) PublishAnonymised(ctx context.Context, tx *database.Tx, forumID, askerID int64, title, body string, answers []models.PublishedAnswer) (_ int64, err error) {
	defer wrap(&err, "forums: publish question as a thread in forum %d", forumID)
	form := ThreadForm{Title: title, Body: body}
	if err := form.Validate(); err != nil {
		return 0, err
	}
	var f models.Forum
	if err := tx.First(&f, forumID).Error; err != nil {
		return 0, wrapNotFound(err, "forum")
	}
	if f.Archived() || f.ClinicianOnly {
		return 0, &models.ConflictError{Message: "This forum no longer takes new threads."}
	}
	html, err := s.md.Render(form.Body)
	if err != nil {
		return 0, err
	}
	now := s.now().UTC()
	last := now
	if n := len(answers); n > 0 && answers[n-1].At.After(now) {
		last = answers[n-1].At
	}
	// The answers are ordinary posts by their clinician: they count as a
	// clinician's answer only if the clinician is verified now, and lose
	// that like any other post (VerificationEnded).
	verified := make([]bool, len(answers))
	answered := false
	for i, a := range answers {
		if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM credentials WHERE user_id = ? AND clinician_verified(status, verified_until, ?))`, a.AuthorID, now).
			Scan(&verified[i]).Error; err != nil {
			return 0, err
		}
		answered = answered || (verified[i] && a.AuthorID != askerID)
	}
	t := models.Thread{ForumID: f.ID, AuthorID: askerID, Title: form.Title, Anonymous: true, State: models.ThreadOpen, Visibility: models.Visible,
		ReplyCount: len(answers), HasClinicianAnswer: answered, CreatedAt: now, LastPostAt: last}
	if err := tx.Create(&t).Error; err != nil {
		return 0, err
	}
	if err := tx.Create(&models.Post{ThreadID: t.ID, AuthorID: askerID, Body: form.Body, BodyHTML: html, Anonymous: true, Visibility: models.Visible, CreatedAt: now}).Error; err != nil {
		return 0, err
	}
	for i, a := range answers {
		ahtml, err := s.md.Render(a.Body)
		if err != nil {
			return 0, err
		}
		if err := tx.Create(&models.Post{ThreadID: t.ID, AuthorID: a.AuthorID, Body: a.Body, BodyHTML: ahtml, Visibility: models.Visible,
			AuthorWasClinician: verified[i], CreatedAt: now}).Error; err != nil {
			return 0, err
		}
	}
	// The forum's thread count follows (trigger threads_forum_counts).
	if err := tx.Exec(`INSERT INTO thread_follows (thread_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, t.ID, askerID, now).Error; err != nil {
		return 0, err
	}
	var first models.Post
	if err := tx.Where("thread_id = ?", t.ID).Order("id").First(&first).Error; err != nil {
		return 0, err
	}
	if err := s.notifier.NotifyForumFollowers(ctx, tx, models.NotificationEvent{Kind: models.NotifyNewThread, ForumID: f.ID, ThreadID: t.ID,
		PostID: first.ID, Exclude: askerID}); err != nil {
		return 0, fmt.Errorf("forums: publish: %w", err)
	}
	if err := indexLater(ctx, tx, t.ID); err != nil {
		return 0, err
	}
	return t.ID, nil
}
