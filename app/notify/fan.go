package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// InlineFollowers is the most followers a post notifies inside the
// writer's transaction. Beyond it the fan-out is a job (FanOutArgs)
// inserted in that transaction, so a reply in a thread with thousands of
// followers writes one job row, not thousands of notifications, under the
// thread's lock. Below it, writing the rows at once costs less than a job
// (see docs/performance.md) and the followers know at once.
const InlineFollowers = 64

// fanTarget says whose followers a post notifies.
type fanTarget string

const (
	fanThread fanTarget = "thread"
	fanForum  fanTarget = "forum"
)

// followers is the query of the followers' ids (two arguments: the thread
// or forum, and the author left out) and its first argument.
func (t fanTarget) followers(e Event) (string, int64) {
	if t == fanForum {
		return `SELECT user_id FROM forum_follows WHERE forum_id = ? AND user_id <> ?`, e.ForumID
	}
	return `SELECT user_id FROM thread_follows WHERE thread_id = ? AND user_id <> ?`, e.ThreadID
}

// FanOutArgs asks for a post's notifications to its thread's or forum's
// followers. It carries ids only; the worker reads the rest when it runs.
type FanOutArgs struct {
	Target   string `json:"target"` // "thread" or "forum"
	Notify   string `json:"kind"`   // the notification's kind
	PostID   int64  `json:"post_id"`
	ThreadID int64  `json:"thread_id"`
	ForumID  int64  `json:"forum_id"`
	// ActorID is nil for an anonymous post; Exclude is its author.
	ActorID *int64  `json:"actor_id,omitempty"`
	Exclude int64   `json:"exclude"`
	Told    []int64 `json:"told,omitempty"`
}

// Kind names the job.
func (FanOutArgs) Kind() string { return "notification_fan_out" }

// InsertOpts: retried for about a day, like e-mail.
func (FanOutArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 12, Queue: river.QueueDefault}
}

func fanOutArgs(e Event, to fanTarget) FanOutArgs {
	return FanOutArgs{Target: string(to), Notify: e.Kind, PostID: e.PostID, ThreadID: e.ThreadID, ForumID: e.ForumID,
		ActorID: e.ActorID, Exclude: e.Exclude, Told: e.Told}
}

// FanOutWorker writes the notifications of a FanOutArgs job. The rows and
// the job's completion commit in one transaction, so a retry only follows
// an attempt that left nothing behind; running a job twice anyway adds
// nothing (fanOut's conflict rule and the read check).
type FanOutWorker struct {
	river.WorkerDefaults[FanOutArgs]
	DB    *database.DB
	InApp *InApp
}

// Timeout bounds one attempt (a forum with very many followers).
func (w *FanOutWorker) Timeout(*river.Job[FanOutArgs]) time.Duration { return 5 * time.Minute }

// Work writes the notifications and completes the job with them.
func (w *FanOutWorker) Work(ctx context.Context, job *river.Job[FanOutArgs]) error {
	return w.DB.InTx(ctx, func(tx *database.Tx) error {
		if err := w.InApp.FanOut(ctx, tx, job.Args); err != nil {
			return err
		}
		if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx.Pgx(), job); err != nil {
			return fmt.Errorf("notify: fan-out: complete job: %w", err)
		}
		return nil
	})
}

// FanOut writes the notifications a FanOutArgs job asks for in tx. The
// post's time is the notifications' time, however late the job runs; a
// post that no longer exists notifies nobody.
func (n *InApp) FanOut(ctx context.Context, tx *database.Tx, a FanOutArgs) error {
	to := fanTarget(a.Target)
	if to != fanThread && to != fanForum {
		return fmt.Errorf("notify: fan-out: unknown target %q", a.Target)
	}
	var at time.Time
	err := tx.WithContext(ctx).Raw(`SELECT created_at FROM posts WHERE id = ?`, a.PostID).Row().Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("notify: fan-out: %w", err)
	}
	e := models.NotificationEvent{Kind: a.Notify, ActorID: a.ActorID, ForumID: a.ForumID, ThreadID: a.ThreadID, PostID: a.PostID,
		Exclude: a.Exclude, Told: a.Told}
	return n.fanOut(ctx, tx.DB, e, to, at.UTC())
}
