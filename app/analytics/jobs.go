package analytics

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// RollupArgs asks for the nightly rollup (recompute the unsettled days,
// then fill any missing one).
type RollupArgs struct{}

// Kind names the job.
func (RollupArgs) Kind() string { return "analytics_rollup" }

// InsertOpts: a few tries; two runs at once wait for each other (an
// advisory lock) and give the same rows.
func (RollupArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

// RollupWorker runs Service.Nightly.
type RollupWorker struct {
	river.WorkerDefaults[RollupArgs]
	Svc *Service
}

// Timeout: a first backfill over a year of a large community takes
// minutes, more than River's usual minute. A rescued run is harmless:
// rollups replace their days under an advisory lock.
func (w *RollupWorker) Timeout(*river.Job[RollupArgs]) time.Duration { return 30 * time.Minute }

// Work rolls up.
func (w *RollupWorker) Work(ctx context.Context, _ *river.Job[RollupArgs]) error {
	return w.Svc.Nightly(ctx)
}

// Nightly is River's schedule for the rollup: every day at 00:15 UTC,
// once the day before has ended.
type Nightly struct{}

// Next is the next 00:15 UTC after t.
func (Nightly) Next(t time.Time) time.Time {
	next := Day(t).Add(15 * time.Minute)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// PeriodicJob is the nightly rollup, run at start too (which backfills
// the days a new installation or a stopped server missed).
func PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(Nightly{}, func() (river.JobArgs, *river.InsertOpts) { return RollupArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
