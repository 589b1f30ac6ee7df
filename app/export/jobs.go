package export

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// BuildArgs asks for an export's archive to be built.
type BuildArgs struct {
	ExportID int64 `json:"export_id"`
}

// Kind names the job.
func (BuildArgs) Kind() string { return "export_build" }

// InsertOpts: a few tries; the last failure marks the export failed.
func (BuildArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: buildAttempts, Queue: Queue}
}

// Queue is River's queue for builds, with few workers of its own so that
// many exports at once never hold back e-mail, indexing or deadlines.
const Queue = "exports"

const buildAttempts = 5

// BuildWorker runs Service.Build.
type BuildWorker struct {
	river.WorkerDefaults[BuildArgs]
	Svc *Service
}

// Timeout: a large account takes longer than River's usual minute. A
// build rescued while still running is harmless: only one result is kept.
func (w *BuildWorker) Timeout(*river.Job[BuildArgs]) time.Duration { return 30 * time.Minute }

// Work builds the archive.
func (w *BuildWorker) Work(ctx context.Context, job *river.Job[BuildArgs]) error {
	return w.Svc.Build(ctx, job.Args.ExportID, job.Attempt >= job.MaxAttempts)
}

// MailArgs asks for the "your data is ready" e-mail. The link's secret is
// made by the job, so it never sits in the queue.
type MailArgs struct {
	ExportID int64 `json:"export_id"`
}

// Kind names the job.
func (MailArgs) Kind() string { return "export_mail" }

// InsertOpts retries mail for about a day.
func (MailArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 12} }

// MailWorker runs Service.MailReady.
type MailWorker struct {
	river.WorkerDefaults[MailArgs]
	Svc *Service
}

// Work sends the link.
func (w *MailWorker) Work(ctx context.Context, job *river.Job[MailArgs]) error {
	return w.Svc.MailReady(ctx, job.Args.ExportID)
}

// SweepArgs asks for used and expired archives to be deleted.
type SweepArgs struct{}

// Kind names the job.
func (SweepArgs) Kind() string { return "export_sweep" }

// SweepWorker runs Service.Sweep.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Svc *Service
}

// Work sweeps.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	_, err := w.Svc.Sweep(ctx)
	return err
}
