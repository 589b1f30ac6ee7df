package questions

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// OfferDeadlineArgs is the job scheduled at an offer's deadline.
type OfferDeadlineArgs struct {
	QuestionID int64 `json:"question_id"`
	OfferID    int64 `json:"offer_id"`
}

// Kind names the job in River's table.
func (OfferDeadlineArgs) Kind() string { return "question_offer_deadline" }

// OfferDeadlineWorker times out an offer nobody answered and routes the
// question again.
type OfferDeadlineWorker struct {
	river.WorkerDefaults[OfferDeadlineArgs]
	Svc *Service
}

// Work runs Service.Deadline; a job that runs early (clock skew) waits.
func (w *OfferDeadlineWorker) Work(ctx context.Context, job *river.Job[OfferDeadlineArgs]) error {
	wait, err := w.Svc.Deadline(ctx, job.Args.QuestionID, job.Args.OfferID)
	if err != nil {
		return err
	}
	if !wait.IsZero() {
		d := time.Until(wait) + time.Second
		if d < time.Second {
			d = time.Second
		}
		return river.JobSnooze(d)
	}
	return nil
}
