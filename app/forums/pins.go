package forums

// Pinned threads: a forum's moderators (and staff) pin threads to the top
// of its page; admins also pin threads on the home page ("global" pins),
// which only readers of the thread's forum see. Only visible threads are
// pinned or shown as pinned: a thread hidden after it was pinned drops out
// of every pinned list and stops counting towards the limits.

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Pin limits: a pinned list longer than this stops being a short list.
const (
	MaxForumPins  = 5
	MaxGlobalPins = 3
)

// CanPin is who may pin and unpin threads in f: its moderators and staff,
// while their account may act.
func CanPin(v Viewer, f *models.Forum) bool { return v.Active() && v.ModeratesForum(f) }

// CanPinGlobally is who may pin threads on the home page: admins.
func CanPinGlobally(v Viewer) bool { return v.Active() && v.IsAdmin() }

// PinLimitError says a pinned list is full (409 pin_limit).
type PinLimitError struct {
	Global   bool
	Max      int
	ThreadID int64
}

func (e *PinLimitError) Error() string {
	return fmt.Sprintf("forums: pin limit %d reached (global %v)", e.Max, e.Global)
}

// Public explains the refusal (pages and API).
func (e *PinLimitError) Public() models.PublicError {
	where := "this forum"
	if e.Global {
		where = "the home page"
	}
	return models.PublicError{Status: http.StatusConflict, Code: "pin_limit", Heading: "Too many pinned threads",
		Message: fmt.Sprintf("At most %d threads can be pinned on %s. Unpin one first, then pin this thread.", e.Max, where),
		Link:    "/t/" + strconv.FormatInt(e.ThreadID, 10), LinkText: "Back to the thread"}
}

// notPinnable refuses pinning a thread that is not visible.
func notPinnable(id int64) error { return &NotPinnableError{ThreadID: id} }

// NotPinnableError says a thread cannot be pinned because it is not
// visible (409), with the way back to the thread.
type NotPinnableError struct{ ThreadID int64 }

func (e *NotPinnableError) Error() string {
	return fmt.Sprintf("forums: thread %d is not visible", e.ThreadID)
}

// Public explains the refusal (pages and API).
func (e *NotPinnableError) Public() models.PublicError {
	return models.PublicError{Status: http.StatusConflict, Code: "conflict", Heading: "This thread cannot be pinned",
		Message: fmt.Sprintf("Thread %d is hidden, removed or waiting for review: only visible threads can be pinned.", e.ThreadID),
		Link:    "/t/" + strconv.FormatInt(e.ThreadID, 10), LinkText: "Back to the thread"}
}

// SetPin pins (on) or unpins thread id in its forum, or on the home page
// when global. Audited with the actor; pinning again what is pinned
// changes nothing and records nothing.
func (s *Service) SetPin(ctx context.Context, v Viewer, id int64, global, on bool) (err error) {
	defer wrap(&err, "forums: pin thread %d", id)
	tv, err := s.Thread(ctx, v, id)
	if err != nil {
		return err
	}
	if global && !CanPinGlobally(v) || !global && !CanPin(v, &tv.Forum) {
		return models.ErrForbidden
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		// One pinner at a time per list: the count below stays true.
		if global {
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtext('kindred.global_pins'))`).Error; err != nil {
				return err
			}
		} else if err := tx.Exec(`SELECT id FROM forums WHERE id = ? FOR UPDATE`, tv.Forum.ID).Error; err != nil {
			return err
		}
		var cur struct {
			Visibility string
			Pinned     bool
			Global     bool
			ForumID    int64
		}
		if err := tx.Raw(`SELECT visibility, pinned, pinned_globally_at IS NOT NULL AS global, forum_id FROM threads WHERE id = ? FOR UPDATE`, id).Scan(&cur).Error; err != nil {
			return err
		}
		if cur.ForumID != tv.Forum.ID {
			return &models.ConflictError{Message: "The thread moved to another forum meanwhile. Open it again."}
		}
		if on && cur.Visibility != string(models.Visible) {
			return notPinnable(id)
		}
		was := cur.Pinned
		if global {
			was = cur.Global
		}
		if was == on {
			return nil
		}
		if on {
			var n int64
			q, arg, limit := `SELECT count(*) FROM threads WHERE forum_id = ? AND pinned AND visibility = 'visible'`, any(tv.Forum.ID), MaxForumPins
			if global {
				q, arg, limit = `SELECT count(*) FROM threads WHERE pinned_globally_at IS NOT NULL AND visibility = 'visible' AND id <> ?`, id, MaxGlobalPins
			}
			if err := tx.Raw(q, arg).Scan(&n).Error; err != nil {
				return err
			}
			if n >= int64(limit) {
				return &PinLimitError{Global: global, Max: limit, ThreadID: id}
			}
		}
		upd, val := `UPDATE threads SET pinned = ? WHERE id = ?`, any(on)
		if global {
			upd, val = `UPDATE threads SET pinned_globally_at = ? WHERE id = ?`, nil
			if on {
				val = s.now().UTC()
			}
		}
		action := pinAction(global, on)
		if err := tx.Exec(upd, val, id).Error; err != nil {
			return err
		}
		forumID := tv.Forum.ID
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &v.User.ID, Action: action, TargetKind: models.TargetThread, TargetID: &id,
			Reason: "forum " + strconv.FormatInt(forumID, 10)})
	})
}

// GlobalPins lists the threads pinned on the home page that v may read,
// newest pin first. The audience condition is models.ForumAudienceSQL,
// the SQL spelling of Actor.MayReadForum (as Latest uses).
func (s *Service) GlobalPins(ctx context.Context, v Viewer) (rows []ThreadRow, err error) {
	moderated := make([]int64, 0, len(v.ModeratedForums))
	for id := range v.ModeratedForums {
		moderated = append(moderated, id)
	}
	q := `SELECT t.id, t.forum_id, t.title, t.anonymous, CASE WHEN t.anonymous THEN '' ELSE u.handle END,
		t.pinned, t.state, t.visibility, t.reply_count, t.has_clinician_answer, t.tags, t.created_at, t.last_post_at,
		CASE WHEN t.anonymous THEN '' ELSE u.profile_visibility END, t.author_id, f.slug, f.name
		FROM threads t JOIN forums f ON f.id = t.forum_id JOIN users u ON u.id = t.author_id
		WHERE t.pinned_globally_at IS NOT NULL AND t.visibility = 'visible'
		  AND (` + models.ForumAudienceSQL("f") + ` = ANY($1) OR f.id = ANY($2))
		ORDER BY t.pinned_globally_at DESC, t.id DESC LIMIT ` + strconv.Itoa(MaxGlobalPins)
	err = s.read(ctx, v, func(pool *pgxpool.Pool) error {
		dbRows, err := pool.Query(ctx, q, v.Audiences(), moderated)
		if err != nil {
			return err
		}
		defer dbRows.Close()
		for dbRows.Next() {
			var r ThreadRow
			var state, vis, profile string
			if err := dbRows.Scan(&r.ID, &r.ForumID, &r.Title, &r.Anonymous, &r.AuthorHandle, &r.Pinned, &state, &vis,
				&r.ReplyCount, &r.HasClinicianAnswer, &r.Tags, &r.CreatedAt, &r.LastPostAt, &profile, &r.authorID, &r.ForumSlug, &r.ForumName); err != nil {
				return err
			}
			r.profileLink = !r.Anonymous && profileVisible(v, models.ProfileVisibility(profile), v.ID() == r.authorID)
			r.State, r.Visibility = models.ThreadState(state), models.Visibility(vis)
			r.PinnedGlobally = true
			if r.Tags == nil {
				r.Tags = []string{}
			}
			rows = append(rows, r)
		}
		return dbRows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("forums: global pins: %w", err)
	}
	return rows, nil
}

// pinAction names a pin change in the audit log.
func pinAction(global, on bool) string {
	switch {
	case global && on:
		return "thread.pin_global"
	case global:
		return "thread.unpin_global"
	case on:
		return "thread.pin"
	}
	return "thread.unpin"
}
