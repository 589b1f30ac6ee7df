package clinicians

import (
	"context"

	"github.com/riverqueue/river"
)

// SweepArgs is the periodic job that expires verifications, sends the
// 30-day reminders and deletes old proof documents.
type SweepArgs struct{}

// Kind names the job in River's table.
func (SweepArgs) Kind() string { return "clinicians_sweep" }

// SweepWorker runs Service.Sweep.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Svc *Service
}

// Work runs one sweep.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	res, err := w.Svc.Sweep(ctx)
	if err != nil {
		return err
	}
	if res != (SweepResult{}) {
		w.Svc.log.InfoContext(ctx, "clinicians: sweep", "expired", res.Expired, "reminded", res.Reminded, "documents_deleted", res.DocumentsDeleted,
			"unnamed_documents_deleted", res.UnnamedDeleted)
	}
	return nil
}
