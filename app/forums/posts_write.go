package forums

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
	"gorm.io/gorm/clause"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/models"
)

// Images checks and links the pictures a post shows; app/images
// implements it.
type Images interface {
	// Sizes checks that authorID uploaded every image refs names for forum
	// forumID, that no post but postID (0: a new post) shows it, and that
	// it is described (alt text): a field error on "body" otherwise. It returns each image's size by key. forumID 0 is a
	// preview: the author's own images, the rest left out, no error.
	Sizes(ctx context.Context, authorID, forumID, postID int64, refs []markdown.ImageRef) (map[string]markdown.ImageSize, error)
	// Link records, in the post's transaction, the images post postID shows.
	Link(ctx context.Context, tx *database.Tx, postID int64, keys []string) error
}

// prepared is a new post's text made ready: its idempotency key, HTML,
// the members it mentions and the images it shows.
type prepared struct {
	key       string
	html      string
	mentioned []string
	images    []string
}

// prepareWrite checks what a new thread or reply needs beyond its form
// and renders its markdown: anonymity only where allowed, a well-formed
// idempotency key, images of the author's own for this forum, described.
func (s *Service) prepareWrite(ctx context.Context, f *models.Forum, authorID int64, anonymous bool, key, body string) (prepared, error) {
	var out prepared
	if anonymous && !CanPostAnonymously(f) {
		v := models.NewValidationError()
		v.Add("anonymous", "Anonymous posting is only for sensitive forums.")
		return out, v
	}
	key, err := checkKey(key)
	if err != nil {
		return out, err
	}
	html, mentioned, images, err := s.renderBody(ctx, authorID, f.ID, 0, body)
	if err != nil {
		return out, err
	}
	return prepared{key: key, html: html, mentioned: mentioned, images: images}, nil
}

// renderBody renders the body of post postID (0: a new one) by authorID
// in forum forumID, with its images checked (Images.Sizes); it returns
// the HTML, the members mentioned and the keys of the images shown.
func (s *Service) renderBody(ctx context.Context, authorID, forumID, postID int64, body string) (string, []string, []string, error) {
	var sizes map[string]markdown.ImageSize
	var keys []string
	if refs := markdown.ImageRefs(body); len(refs) > 0 && s.images != nil {
		var err error
		if sizes, err = s.images.Sizes(ctx, authorID, forumID, postID, refs); err != nil {
			return "", nil, nil, err
		}
		for _, r := range refs {
			keys = append(keys, r.Key)
		}
	}
	html, mentioned, err := s.renderPost(ctx, body, sizes)
	if err != nil {
		return "", nil, nil, fmt.Errorf("forums: render: %w", err)
	}
	return html, mentioned, keys, nil
}

// linkImages records the images a saved post shows.
func (s *Service) linkImages(ctx context.Context, tx *database.Tx, postID int64, keys []string) error {
	if s.images == nil {
		return nil
	}
	return s.images.Link(ctx, tx, postID, keys)
}

// renderPost renders body with its @mentions of members linked and the
// Kindred images in sizes shown, and returns the members' handles.
func (s *Service) renderPost(ctx context.Context, body string, sizes map[string]markdown.ImageSize) (string, []string, error) {
	return s.md.RenderPost(body, sizes, func(lower []string) (map[string]string, error) {
		rows, err := s.db.Pool.Query(ctx, `SELECT handle FROM users WHERE lower(handle) = ANY($1)`, lower)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				return nil, err
			}
			out[strings.ToLower(h)] = h
		}
		return out, rows.Err()
	})
}

func actorOf(u *models.User, anonymous bool) *int64 {
	if anonymous {
		return nil
	}
	id := u.ID
	return &id
}

// CreateThread starts a thread with its first post. The thread, post,
// follow and notifications commit together; a repeated idempotency key
// returns the thread the first request made.
func (s *Service) CreateThread(ctx context.Context, v Viewer, f *models.Forum, form ThreadForm, key string) (_ *models.Thread, err error) {
	defer wrap(&err, "forums: new thread in forum %d", f.ID)
	if !CanPostIn(v, f) {
		return nil, actError(v, f)
	}
	if err := form.Validate(); err != nil {
		return nil, err
	}
	prep, err := s.prepareWrite(ctx, f, v.User.ID, form.Anonymous, key, form.Body)
	if err != nil {
		return nil, err
	}
	key, html, mentioned := prep.key, prep.html, prep.mentioned
	sc, vis, err := s.screenNew(ctx, v, form.Title+"\n"+form.Body+"\n"+strings.Join(form.Tags, " "), form.ConfirmPersonal)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var t models.Thread
	var shown CrisisShown
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		existing, err := claimKey(ctx, tx.DB, v.User.ID, key, "thread", requestFingerprint("thread", f.ID, fingerprintThread(form)), now)
		if err != nil {
			return err
		}
		if existing > 0 {
			return tx.First(&t, existing).Error
		}
		t = models.Thread{ForumID: f.ID, AuthorID: v.User.ID, Title: form.Title, Anonymous: form.Anonymous, State: models.ThreadOpen,
			Visibility: vis, Tags: pq.StringArray(form.Tags), CreatedAt: now, LastPostAt: now}
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		p := models.Post{ThreadID: t.ID, AuthorID: v.User.ID, Body: form.Body, BodyHTML: html, Anonymous: form.Anonymous, Visibility: models.Visible,
			AuthorWasClinician: v.Clinician && !form.Anonymous, CreatedAt: now}
		if err := tx.Create(&p).Error; err != nil {
			return err
		}
		// The forum's thread count follows from the thread's visibility
		// (trigger threads_forum_counts): a held thread does not count yet.
		if err := s.linkImages(ctx, tx, p.ID, prep.images); err != nil {
			return err
		}
		if err := tx.Exec(`WITH fl AS (INSERT INTO thread_follows (thread_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING)
			INSERT INTO thread_reads (user_id, thread_id, last_read_post_id, read_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			t.ID, v.User.ID, now, v.User.ID, t.ID, p.ID, now).Error; err != nil {
			return err
		}
		// The draft it was written from is sent now.
		if err := tx.Exec(`DELETE FROM drafts WHERE user_id = ? AND forum_id = ?`, v.User.ID, f.ID).Error; err != nil {
			return err
		}
		told, err := s.notifier.NotifyMentions(ctx, tx.DB, models.NotificationEvent{Kind: models.NotifyMention, ActorID: actorOf(v.User, form.Anonymous),
			ForumID: f.ID, ThreadID: t.ID, PostID: p.ID, Exclude: v.User.ID}, mentioned, f.Audience())
		if err != nil {
			return err
		}
		if err := s.notifier.NotifyForumFollowers(ctx, tx, models.NotificationEvent{Kind: models.NotifyNewThread, ActorID: actorOf(v.User, form.Anonymous),
			ForumID: f.ID, ThreadID: t.ID, PostID: p.ID, Exclude: v.User.ID, Told: told}); err != nil {
			return err
		}
		if shown, err = s.afterWrite(ctx, tx, sc, models.TargetThread, t.ID, f.ID); err != nil {
			return err
		}
		if err := indexLater(ctx, tx, t.ID); err != nil {
			return err
		}
		return recordKey(ctx, tx.DB, v.User.ID, key, t.ID)
	})
	if err != nil {
		return nil, err
	}
	t.Crisis, t.CrisisLevel, t.CrisisPanel, t.CrisisTold = shown.Panel != "", shown.Level.String(), shown.Panel, shown.Told
	return &t, nil
}

// Reply adds a post to a thread. Counters are updated under the thread's
// row lock, so concurrent replies all count.
func (s *Service) Reply(ctx context.Context, v Viewer, tv *ThreadView, form PostForm, key string) (_ *models.Post, err error) {
	defer wrap(&err, "forums: reply to thread %d", tv.Thread.ID)
	if !CanReply(v, &tv.Forum, &tv.Thread) {
		if tv.Thread.State == models.ThreadLocked && CanPostIn(v, &tv.Forum) {
			v := models.NewValidationError()
			v.Message = "This thread is locked: it takes no more replies."
			v.Add("body", "The thread is locked.")
			return nil, v
		}
		if !v.SignedIn() {
			return nil, models.ErrSignInRequired
		}
		return nil, models.ErrForbidden
	}
	if err := form.Validate(); err != nil {
		return nil, err
	}
	prep, err := s.prepareWrite(ctx, &tv.Forum, v.User.ID, form.Anonymous, key, form.Body)
	if err != nil {
		return nil, err
	}
	key, html, mentioned := prep.key, prep.html, prep.mentioned
	sc, vis, err := s.screenNew(ctx, v, form.Body, form.ConfirmPersonal)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var p models.Post
	var shown CrisisShown
	fingerprint := requestFingerprint("post", tv.Thread.ID, fingerprintPost(form))
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		// A verified clinician's reply, under their name, to someone else's
		// thread answers it.
		clinician := v.Clinician && !form.Anonymous
		p = models.Post{ThreadID: tv.Thread.ID, AuthorID: v.User.ID, Body: form.Body, BodyHTML: html, Anonymous: form.Anonymous, Visibility: vis,
			AuthorWasClinician: clinician, CreatedAt: now}
		threadAuthor, err := insertReply(ctx, tx, &p, key, fingerprint)
		if err != nil {
			return err
		}
		t := models.Thread{ID: p.ThreadID, AuthorID: threadAuthor}
		if len(prep.images) > 0 { // a new post has none to unlink
			if err := s.linkImages(ctx, tx, p.ID, prep.images); err != nil {
				return err
			}
		}
		// The reply count and last activity follow the post's visibility
		// (trigger posts_thread_counts): a held reply does not count yet.
		// The thread's row is written only when the answer changes it.
		if clinician && t.AuthorID != v.User.ID && vis == models.Visible {
			if err := tx.Exec(`UPDATE threads SET has_clinician_answer = true WHERE id = ? AND NOT has_clinician_answer`, t.ID).Error; err != nil {
				return err
			}
		}
		told, err := s.notifier.NotifyMentions(ctx, tx.DB, models.NotificationEvent{Kind: models.NotifyMention, ActorID: actorOf(v.User, form.Anonymous),
			ForumID: tv.Forum.ID, ThreadID: t.ID, PostID: p.ID, Exclude: v.User.ID}, mentioned, tv.Forum.Audience())
		if err != nil {
			return err
		}
		if err := s.notifier.NotifyThreadFollowers(ctx, tx, models.NotificationEvent{Kind: models.NotifyReply, ActorID: actorOf(v.User, form.Anonymous),
			ForumID: tv.Forum.ID, ThreadID: t.ID, PostID: p.ID, Exclude: v.User.ID, Told: told}); err != nil {
			return err
		}
		if shown, err = s.afterWrite(ctx, tx, sc, models.TargetPost, p.ID, tv.Forum.ID); err != nil {
			return err
		}
		return indexPostLater(ctx, tx, t.ID, p.ID)
	})
	if errors.Is(err, errKeyTaken) {
		// A retry (or a concurrent duplicate, now committed): the post the
		// first request made, if the request was the same.
		existing, err := usedKey(ctx, s.db.Gorm, v.User.ID, key, "post", fingerprint)
		if err != nil {
			return nil, err
		}
		if err := s.db.Gorm.WithContext(ctx).First(&p, existing).Error; err != nil {
			return nil, err
		}
		p.UrgentEvidence = s.urgentEvidence(form.Body)
		return &p, nil
	}
	if err != nil {
		return nil, err
	}
	p.Crisis, p.CrisisLevel, p.CrisisPanel, p.CrisisTold = shown.Panel != "", shown.Level.String(), shown.Panel, shown.Told
	if s.checker != nil { // the checks analysed the text: their findings serve
		p.UrgentEvidence = s.urgentEvidenceFrom(form.Body, sc.result.Findings)
	} else {
		p.UrgentEvidence = s.urgentEvidence(form.Body)
	}
	return &p, nil
}

// insertReply saves reply p (its ID set here) in one statement, under
// the thread's row lock: the post, the draft it was written from deleted,
// the writer following the thread and having read it up to their reply,
// and the idempotency key (when not "") with the post it made. It returns
// the thread's author. A key already used gives errKeyTaken: the caller
// rolls back and reads what the key made (usedKey). A thread that takes no
// replies (any more) gets the error its state calls for.
func insertReply(ctx context.Context, tx *database.Tx, p *models.Post, key, fingerprint string) (threadAuthor int64, err error) {
	named := map[string]any{"thread": p.ThreadID, "author": p.AuthorID, "body": p.Body, "html": p.BodyHTML, "anon": p.Anonymous,
		"vis": p.Visibility, "clin": p.AuthorWasClinician, "now": p.CreatedAt}
	claim, claimed := "", "true"
	if key != "" {
		// A concurrent request with the same key waits on the key's unique
		// index until the first commits, then finds it taken.
		claim = `,
		k AS (INSERT INTO idempotency_keys (user_id, key, result_kind, request_hash, created_at, result_id)
			SELECT @author, @key, 'post', @fingerprint, @now, id FROM p ON CONFLICT DO NOTHING RETURNING 1)`
		claimed = "EXISTS (SELECT 1 FROM k)"
		named["key"], named["fingerprint"] = key, fingerprint
	}
	var row struct {
		ID       *int64
		AuthorID *int64
		Claimed  bool
	}
	err = tx.WithContext(ctx).Raw(`WITH t AS (
			SELECT id, author_id FROM threads WHERE id = @thread AND state = 'open' AND visibility = 'visible' FOR UPDATE),
		p AS (INSERT INTO posts (thread_id, author_id, body, body_html, anonymous, visibility, author_was_clinician, created_at)
			SELECT t.id, @author, @body, @html, @anon, @vis, @clin, @now FROM t RETURNING id, thread_id),
		d AS (DELETE FROM drafts WHERE user_id = @author AND thread_id = (SELECT id FROM t)),
		fl AS (INSERT INTO thread_follows (thread_id, user_id, created_at) SELECT thread_id, @author, @now FROM p ON CONFLICT DO NOTHING),
		r AS (INSERT INTO thread_reads (user_id, thread_id, last_read_post_id, read_at) SELECT @author, thread_id, id, @now FROM p
			ON CONFLICT (user_id, thread_id) DO UPDATE SET last_read_post_id = greatest(thread_reads.last_read_post_id, excluded.last_read_post_id), read_at = excluded.read_at)`+
		claim+`
		SELECT (SELECT id FROM p) AS id, (SELECT author_id FROM t) AS author_id, `+claimed+` AS claimed`, named).Scan(&row).Error
	if err != nil {
		return 0, err
	}
	if row.ID != nil && row.AuthorID != nil {
		if !row.Claimed {
			return 0, errKeyTaken
		}
		p.ID = *row.ID
		return *row.AuthorID, nil
	}
	// No reply was written: say why. A retry of a reply made before the
	// thread was locked still gets that reply.
	if key != "" {
		var used bool
		if err := tx.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM idempotency_keys WHERE user_id = ? AND key = ?)`, p.AuthorID, key).Scan(&used).Error; err != nil {
			return 0, err
		}
		if used {
			return 0, errKeyTaken
		}
	}
	var t models.Thread
	if err := tx.WithContext(ctx).First(&t, p.ThreadID).Error; err != nil {
		return 0, wrapNotFound(err, "thread")
	}
	v := models.NewValidationError()
	if t.Visibility == models.Pending {
		v.Message = "This thread is waiting for a moderator's approval: replies can be added once it is published."
		v.Add("body", "The thread awaits review.")
		return 0, v
	}
	v.Message = "This thread no longer takes replies."
	v.Add("body", "The thread is locked.")
	return 0, v
}

// PostContext is a post with its thread and forum, for permission checks.
type PostContext struct {
	Post   models.Post
	Thread models.Thread
	Forum  models.Forum
}

// PostContext loads a post v may see.
func (s *Service) PostContext(ctx context.Context, v Viewer, id int64) (_ *PostContext, err error) {
	defer wrap(&err, "forums: post %d", id)
	var pc PostContext
	db := s.db.Gorm.WithContext(ctx)
	if err := db.First(&pc.Post, id).Error; err != nil {
		return nil, wrapNotFound(err, fmt.Sprintf("post %d", id))
	}
	if err := db.First(&pc.Thread, pc.Post.ThreadID).Error; err != nil {
		return nil, wrapNotFound(err, "thread")
	}
	if err := db.First(&pc.Forum, pc.Thread.ForumID).Error; err != nil {
		return nil, wrapNotFound(err, "forum")
	}
	if !CanReadForum(v, &pc.Forum) {
		return nil, readError(v)
	}
	if !CanSeePost(v, &pc.Forum, &pc.Thread, &pc.Post) {
		return nil, fmt.Errorf("forums: post %d: %w", id, models.ErrNotFound)
	}
	return &pc, nil
}

// EditPost replaces a post's text, keeping the old text as a revision.
// Edits by moderators of someone else's post are audited. It returns what
// the author is to be shown about the new text's crisis level (nothing when
// someone else edited it).
func (s *Service) EditPost(ctx context.Context, v Viewer, pc *PostContext, form PostForm) (_ CrisisShown, err error) {
	defer wrap(&err, "forums: edit post %d", pc.Post.ID)
	var shown CrisisShown
	if !CanEditPost(v, &pc.Forum, pc.Post.AuthorID, &pc.Post) {
		return shown, models.ErrForbidden
	}
	if err := form.Validate(); err != nil {
		return shown, err
	}
	sc, err := s.screen(ctx, form.Body, form.ConfirmPersonal)
	if err != nil {
		return shown, err
	}
	// The images are the author's, whoever edits (a moderator may).
	html, mentioned, images, err := s.renderBody(ctx, pc.Post.AuthorID, pc.Forum.ID, pc.Post.ID, form.Body)
	if err != nil {
		return shown, err
	}
	now := s.now().UTC()
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var p models.Post
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&p, pc.Post.ID).Error; err != nil {
			return wrapNotFound(err, "post")
		}
		if p.DeletedAt != nil {
			return models.ErrForbidden
		}
		if p.Body == form.Body {
			return nil
		}
		if err := tx.Create(&models.PostRevision{PostID: p.ID, EditorID: v.User.ID, Body: p.Body, Reason: "edit", CreatedAt: now}).Error; err != nil {
			return err
		}
		cols := map[string]any{"body": form.Body, "body_html": html, "edited_at": now}
		if sc.pending && p.Visibility == models.Visible {
			cols["visibility"] = models.Pending
		}
		if err := tx.Model(&models.Post{}).Where("id = ?", p.ID).Updates(cols).Error; err != nil {
			return err
		}
		if err := s.linkImages(ctx, tx, p.ID, images); err != nil {
			return err
		}
		if shown, err = s.afterWrite(ctx, tx, sc, models.TargetPost, p.ID, pc.Forum.ID); err != nil {
			return err
		}
		if err := indexPostLater(ctx, tx, pc.Thread.ID, p.ID); err != nil {
			return err
		}
		// Members mentioned by the edit who were not before are told once.
		if fresh := newMentions(mentioned, p.Body); len(fresh) > 0 && p.AuthorID == v.User.ID {
			var already []string
			if err := tx.Raw(`SELECT lower(u.handle) FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.post_id = ? AND n.kind = ?`,
				p.ID, models.NotifyMention).Scan(&already).Error; err != nil {
				return err
			}
			fresh = slices.DeleteFunc(fresh, func(h string) bool { return slices.Contains(already, strings.ToLower(h)) })
			if _, err := s.notifier.NotifyMentions(ctx, tx.DB, models.NotificationEvent{Kind: models.NotifyMention, ActorID: actorOf(v.User, p.Anonymous),
				ForumID: pc.Forum.ID, ThreadID: pc.Thread.ID, PostID: p.ID, Exclude: p.AuthorID}, fresh, pc.Forum.Audience()); err != nil {
				return err
			}
		}
		if p.AuthorID != v.User.ID {
			shown = CrisisShown{} // the author is not the one reading the answer
			return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &v.User.ID, Action: "post.edit", TargetKind: "post", TargetID: &p.ID})
		}
		return nil
	})
	return shown, err
}

// SetTags replaces a thread's tags (its author or the forum's moderators;
// a moderator's change is audited) and re-indexes it.
func (s *Service) SetTags(ctx context.Context, v Viewer, tv *ThreadView, tags []string) (_ []string, err error) {
	defer wrap(&err, "forums: tags of thread %d", tv.Thread.ID)
	if !CanEditTags(v, &tv.Forum, &tv.Thread) {
		return nil, models.ErrForbidden
	}
	verr := models.NewValidationError()
	tags = checkTags(verr, tags)
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	sc, err := s.screen(ctx, strings.Join(tags, " "), true)
	if err != nil {
		return nil, err
	}
	if sc.pending || sc.result.Crisis || len(sc.result.Flagged) > 0 {
		verr.Add("tags", "One of these tags is on the forum's watched list. Please choose other words.")
		return nil, verr
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Exec(`UPDATE threads SET tags = ? WHERE id = ?`, pq.StringArray(tags), tv.Thread.ID).Error; err != nil {
			return err
		}
		if err := indexLater(ctx, tx, tv.Thread.ID); err != nil {
			return err
		}
		if tv.Thread.AuthorID != v.User.ID {
			return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &v.User.ID, Action: "thread.tags", TargetKind: "thread", TargetID: &tv.Thread.ID,
				Reason: strings.Join(tags, ", ")})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tags, nil
}

// DeletePost removes a post's text from view; the text stays in a revision.
func (s *Service) DeletePost(ctx context.Context, v Viewer, pc *PostContext) (err error) {
	defer wrap(&err, "forums: delete post %d", pc.Post.ID)
	if !CanDeletePost(v, &pc.Forum, pc.Post.AuthorID, &pc.Post) {
		return models.ErrForbidden
	}
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var p models.Post
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).First(&p, pc.Post.ID).Error; err != nil {
			return wrapNotFound(err, "post")
		}
		if p.DeletedAt != nil {
			return nil
		}
		if err := tx.Create(&models.PostRevision{PostID: p.ID, EditorID: v.User.ID, Body: p.Body, Reason: "delete", CreatedAt: now}).Error; err != nil {
			return err
		}
		if err := tx.Model(&models.Post{}).Where("id = ?", p.ID).Updates(map[string]any{"body": "", "body_html": "", "deleted_at": now}).Error; err != nil {
			return err
		}
		return indexPostLater(ctx, tx, pc.Thread.ID, p.ID)
	})
}

// RevisionRow is an earlier text of a post, for moderators.
type RevisionRow struct {
	ID           int64     `json:"id"`
	EditorHandle string    `json:"editor_handle"`
	Body         string    `json:"body"`
	Reason       string    `json:"reason"`
	CreatedAt    time.Time `json:"created_at"`
}

// Revisions lists a post's earlier texts, oldest first.
func (s *Service) Revisions(ctx context.Context, v Viewer, pc *PostContext) (_ []RevisionRow, err error) {
	defer wrap(&err, "forums: revisions of post %d", pc.Post.ID)
	if !CanSeeRevisions(v, &pc.Forum) {
		return nil, models.ErrForbidden
	}
	var out []RevisionRow
	err = s.db.Gorm.WithContext(ctx).Raw(`SELECT r.id, u.handle AS editor_handle, r.body, r.reason, r.created_at
		FROM post_revisions r JOIN users u ON u.id = r.editor_id WHERE r.post_id = ? ORDER BY r.id`, pc.Post.ID).Scan(&out).Error
	return out, err
}

// newMentions are the handles of mentioned that the old text did not
// mention (written as @handle, in any case).
func newMentions(mentioned []string, old string) []string {
	lowerOld := strings.ToLower(old)
	var out []string
	for _, h := range mentioned {
		if !strings.Contains(lowerOld, "@"+strings.ToLower(h)) {
			out = append(out, h)
		}
	}
	return out
}
