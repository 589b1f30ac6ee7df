package auth

import (
	"context"

	"github.com/riverqueue/river"
)

// PruneArgs asks for expired sessions, links and counters to be deleted.
type PruneArgs struct{}

// Kind names the job.
func (PruneArgs) Kind() string { return "auth_prune" }

// PruneWorker runs Service.Prune.
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	Svc *Service
}

// Work prunes.
func (w *PruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	return w.Svc.Prune(ctx)
}
