package forums

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/models"
)

// Bookmark limits.
const (
	// MaxBookmarks is how many bookmarks a member keeps at most.
	MaxBookmarks = 1000
	// BookmarkNoteMax is the longest note, in characters.
	BookmarkNoteMax = 500
	// MaxReminderAhead is how far ahead a reminder may be set.
	MaxReminderAhead = 366 * 24 * time.Hour
	// BookmarksPerPage is the length of a page of bookmarks.
	BookmarksPerPage = 30
	// reminderBatch is how many due reminders one sweep sends at most.
	reminderBatch = 500
)

// BookmarkForm is what a member may set on a bookmark.
type BookmarkForm struct {
	Note     string
	RemindAt *time.Time
}

// Bookmark is one of a member's bookmarks as they see it. When the post is
// no longer theirs to read (removed, or a forum they lost access to),
// Available is false and nothing of the post, thread or forum is filled
// in: only the member's own note and dates.
type Bookmark struct {
	ID         int64
	PostID     int64
	Available  bool
	ThreadID   int64
	Title      string
	ForumSlug  string
	ForumName  string
	FirstPost  bool // the thread itself rather than a reply
	Note       string
	RemindAt   *time.Time
	RemindedAt *time.Time
	CreatedAt  time.Time
}

// checkBookmarkForm cleans the form and names what is wrong with it.
func (s *Service) checkBookmarkForm(form *BookmarkForm) error {
	v := models.NewValidationError()
	form.Note = strings.TrimSpace(input.NormalizeNewlines(form.Note))
	if msg := input.Check("note", form.Note); msg != "" {
		v.Code = "invalid_text"
		v.Add("note", msg)
	} else if n := utf8.RuneCountInString(form.Note); n > BookmarkNoteMax {
		v.Add("note", "Keep the note to "+strconv.Itoa(BookmarkNoteMax)+" characters (it has "+strconv.Itoa(n)+").")
	}
	if form.RemindAt != nil {
		now := s.now()
		switch at := *form.RemindAt; {
		case !at.After(now):
			v.Add("remind_at", "Choose a time in the future for the reminder.")
		case at.Sub(now) > MaxReminderAhead:
			v.Add("remind_at", "A reminder can be at most a year ahead.")
		}
	}
	return v.OrNil()
}

// SetBookmark bookmarks a post v may read, or changes the note and
// reminder of v's bookmark of it (a new reminder time is reminded again).
func (s *Service) SetBookmark(ctx context.Context, v Viewer, pc *PostContext, form BookmarkForm) (err error) {
	defer wrap(&err, "forums: bookmark post %d", pc.Post.ID)
	switch {
	case !v.SignedIn():
		return models.ErrSignInRequired
	case !v.Active():
		return models.ErrForbidden
	case pc.Post.DeletedAt != nil:
		return &models.ConflictError{Message: "This post was removed by its author, so it cannot be bookmarked."}
	}
	if err := s.checkBookmarkForm(&form); err != nil {
		return err
	}
	var remindAt *time.Time
	if form.RemindAt != nil {
		at := form.RemindAt.UTC()
		remindAt = &at
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		// One member's bookmarks are counted and written one request at a
		// time, so the limit holds under double clicks too.
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtext('bookmarks'), ?::int)`, int32(v.User.ID)).Error; err != nil {
			return err
		}
		var have struct{ All, This int64 }
		if err := tx.Raw(`SELECT count(*) AS all, count(*) FILTER (WHERE post_id = ?) AS this FROM bookmarks WHERE user_id = ?`,
			pc.Post.ID, v.User.ID).Scan(&have).Error; err != nil {
			return err
		}
		if have.This == 0 && have.All >= MaxBookmarks {
			return &models.ConflictError{Message: "You have " + strconv.Itoa(MaxBookmarks) + " bookmarks, the most Kindred keeps. Remove some you no longer need first."}
		}
		return tx.Exec(`INSERT INTO bookmarks (user_id, post_id, note, remind_at, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user_id, post_id) DO UPDATE SET note = EXCLUDED.note, remind_at = EXCLUDED.remind_at,
				reminded_at = CASE WHEN bookmarks.remind_at IS NOT DISTINCT FROM EXCLUDED.remind_at THEN bookmarks.reminded_at END`,
			v.User.ID, pc.Post.ID, form.Note, remindAt, s.now().UTC()).Error
	})
}

// RemoveBookmark removes v's bookmark of a post, if there is one. It does
// not ask whether v may still read the post: a member can always clear
// their own bookmarks.
func (s *Service) RemoveBookmark(ctx context.Context, v Viewer, postID int64) (err error) {
	defer wrap(&err, "forums: remove bookmark of post %d", postID)
	if !v.SignedIn() {
		return models.ErrSignInRequired
	}
	return s.db.Gorm.WithContext(ctx).Exec(`DELETE FROM bookmarks WHERE user_id = ? AND post_id = ?`, v.User.ID, postID).Error
}

// RemoveBookmarkByID removes one of v's bookmarks; someone else's is not
// found.
func (s *Service) RemoveBookmarkByID(ctx context.Context, v Viewer, id int64) (err error) {
	defer wrap(&err, "forums: remove bookmark %d", id)
	if !v.SignedIn() {
		return models.ErrSignInRequired
	}
	res := s.db.Gorm.WithContext(ctx).Exec(`DELETE FROM bookmarks WHERE id = ? AND user_id = ?`, id, v.User.ID)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return nil
}

// BookmarkOf is v's bookmark of a post, or nil.
func (s *Service) BookmarkOf(ctx context.Context, v Viewer, postID int64) (_ *Bookmark, err error) {
	defer wrap(&err, "forums: bookmark of post %d", postID)
	if !v.SignedIn() {
		return nil, nil
	}
	out, err := s.bookmarks(ctx, v, `b.post_id = ?`, postID, 1)
	if err != nil || len(out) == 0 {
		return nil, err
	}
	return &out[0], nil
}

// BookmarkByID is one of v's bookmarks; someone else's is not found.
func (s *Service) BookmarkByID(ctx context.Context, v Viewer, id int64) (_ *Bookmark, err error) {
	defer wrap(&err, "forums: bookmark %d", id)
	if !v.SignedIn() {
		return nil, models.ErrSignInRequired
	}
	out, err := s.bookmarks(ctx, v, `b.id = ?`, id, 1)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, models.ErrNotFound
	}
	return &out[0], nil
}

// Bookmarks lists v's bookmarks, newest first, older than the before
// cursor (0: from the newest); next is the cursor of the page after, 0 at
// the end.
func (s *Service) Bookmarks(ctx context.Context, v Viewer, before int64) (_ []Bookmark, next int64, err error) {
	defer wrap(&err, "forums: bookmarks")
	if !v.SignedIn() {
		return nil, 0, models.ErrSignInRequired
	}
	cond, arg := `TRUE`, any(nil)
	if before > 0 {
		cond, arg = `b.id < ?`, before
	}
	out, err := s.bookmarks(ctx, v, cond, arg, BookmarksPerPage+1)
	if err != nil {
		return nil, 0, err
	}
	if len(out) > BookmarksPerPage {
		out = out[:BookmarksPerPage]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// bookmarks reads v's bookmarks matching cond and decides, with the same
// rule as the post's own page (CanSeePost), which posts v may still read.
func (s *Service) bookmarks(ctx context.Context, v Viewer, cond string, arg any, limit int) ([]Bookmark, error) {
	args := []any{v.User.ID}
	if cond != `TRUE` {
		args = append(args, arg)
	}
	args = append(args, limit)
	db := s.db.Gorm.WithContext(ctx)
	var out []Bookmark
	if err := db.Raw(`SELECT b.id, b.post_id, b.note, b.remind_at, b.reminded_at, b.created_at FROM bookmarks b
		WHERE b.user_id = ? AND `+cond+` ORDER BY b.id DESC LIMIT ?`, args...).Scan(&out).Error; err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	postIDs := make([]int64, len(out))
	for i := range out {
		postIDs[i] = out[i].PostID
	}
	var posts []models.Post
	if err := db.Find(&posts, postIDs).Error; err != nil {
		return nil, err
	}
	threadIDs := make([]int64, 0, len(posts))
	for i := range posts {
		threadIDs = append(threadIDs, posts[i].ThreadID)
	}
	var threads []models.Thread
	if err := db.Find(&threads, threadIDs).Error; err != nil {
		return nil, err
	}
	forumIDs := make([]int64, 0, len(threads))
	for i := range threads {
		forumIDs = append(forumIDs, threads[i].ForumID)
	}
	var forums []models.Forum
	if err := db.Find(&forums, forumIDs).Error; err != nil {
		return nil, err
	}
	var firsts []struct{ ThreadID, ID int64 }
	if err := db.Raw(`SELECT thread_id, min(id) AS id FROM posts WHERE thread_id IN ? GROUP BY thread_id`, threadIDs).Scan(&firsts).Error; err != nil {
		return nil, err
	}
	postBy, threadBy, forumBy, firstBy := map[int64]*models.Post{}, map[int64]*models.Thread{}, map[int64]*models.Forum{}, map[int64]int64{}
	for i := range posts {
		postBy[posts[i].ID] = &posts[i]
	}
	for i := range threads {
		threadBy[threads[i].ID] = &threads[i]
	}
	for i := range forums {
		forumBy[forums[i].ID] = &forums[i]
	}
	for _, f := range firsts {
		firstBy[f.ThreadID] = f.ID
	}
	for i := range out {
		b := &out[i]
		p := postBy[b.PostID]
		if p == nil || p.DeletedAt != nil {
			continue
		}
		t := threadBy[p.ThreadID]
		if t == nil {
			continue
		}
		f := forumBy[t.ForumID]
		if f == nil || !CanSeePost(v, f, t, p) {
			continue
		}
		b.Available, b.ThreadID, b.Title, b.ForumSlug, b.ForumName = true, t.ID, t.Title, f.Slug, f.Name
		b.FirstPost = firstBy[t.ID] == p.ID
	}
	return out, nil
}

// SendBookmarkReminders tells members of their due bookmark reminders,
// each once: the bookmarks are marked reminded in the same transaction as
// the notifications, so a sweep run twice sends nothing twice.
func (s *Service) SendBookmarkReminders(ctx context.Context) (n int, err error) {
	defer wrap(&err, "forums: bookmark reminders")
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var ids []int64
		now := s.now().UTC()
		if err := tx.Raw(`SELECT id FROM bookmarks WHERE remind_at <= ? AND reminded_at IS NULL ORDER BY remind_at LIMIT ? FOR UPDATE SKIP LOCKED`,
			now, reminderBatch).Scan(&ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := s.notifier.NotifyBookmarkReminders(ctx, tx.DB, ids); err != nil {
			return err
		}
		n = len(ids)
		return tx.Exec(`UPDATE bookmarks SET reminded_at = ? WHERE id IN ?`, now, ids).Error
	})
	return n, err
}

// BookmarkSweepArgs is the periodic job that sends due bookmark reminders.
type BookmarkSweepArgs struct{}

// Kind names the job.
func (BookmarkSweepArgs) Kind() string { return "bookmark_reminders" }

// BookmarkSweepWorker runs Service.SendBookmarkReminders.
type BookmarkSweepWorker struct {
	river.WorkerDefaults[BookmarkSweepArgs]
	Svc *Service
}

// Work sends one batch.
func (w *BookmarkSweepWorker) Work(ctx context.Context, _ *river.Job[BookmarkSweepArgs]) error {
	_, err := w.Svc.SendBookmarkReminders(ctx)
	return err
}
