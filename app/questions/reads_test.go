package questions_test

import (
	"context"
	"errors"
	"strings"

	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/app/testenv/world"
	"github.com/kindred-health/kindred/models"
)

// What the tests read back: a question's row, who holds it, its timeline.

func question(w *world.World, id int64) models.Question {
	w.T.Helper()
	var q models.Question
	if err := w.App.DB.Gorm.First(&q, id).Error; err != nil {
		w.T.Fatal(err)
	}
	return q
}

// assignee is the handle offered or holding the question ("" for nobody).
func assignee(w *world.World, id int64) string {
	w.T.Helper()
	q := question(w, id)
	if q.AssigneeID == nil {
		return ""
	}
	var handle string
	if err := w.App.DB.Gorm.Raw(`SELECT handle FROM users WHERE id = ?`, *q.AssigneeID).Scan(&handle).Error; err != nil {
		w.T.Fatal(err)
	}
	return handle
}

// timeline is the asker's timeline as event kinds.
func timeline(w *world.World, id int64) string {
	w.T.Helper()
	var kinds []string
	if err := w.App.DB.Gorm.Raw(`SELECT kind FROM question_events WHERE question_id = ? ORDER BY id`, id).Scan(&kinds).Error; err != nil {
		w.T.Fatal(err)
	}
	return strings.Join(kinds, ", ")
}

// pendingOffer is the id of the question's pending offer.
func pendingOffer(w *world.World, id int64) int64 {
	w.T.Helper()
	return w.Count(`SELECT id FROM question_offers WHERE question_id = ? AND outcome = 'pending'`, id)
}

// askerStatus is where the question stands in the words its asker reads
// on its page (the asker's own reads are not audited).
func askerStatus(w *world.World, u *models.User, id int64) string {
	w.T.Helper()
	v, err := w.App.Questions.Get(context.Background(), w.Actor(u), id, "")
	if err != nil {
		w.T.Fatal(err)
	}
	return v.Status
}

func sweep(w *world.World) questions.SweepResult {
	w.T.Helper()
	res, err := w.App.Questions.Sweep(context.Background())
	if err != nil {
		w.T.Fatal(err)
	}
	return res
}

func isConflict(err error) bool {
	var ce *models.ConflictError
	return errors.As(err, &ce)
}
