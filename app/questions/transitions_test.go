package questions

import (
	"testing"

	"github.com/kindred-health/kindred/models"
)

// The state machine, as a table: what may happen to a question from each
// status, and that nothing leaves withdrawn or skips the clinician.
func TestTransitions(t *testing.T) {
	all := []models.QuestionStatus{models.QuestionPool, models.QuestionOffered, models.QuestionAssigned, models.QuestionAnswered, models.QuestionClosed, models.QuestionWithdrawn}
	allowed := map[[2]models.QuestionStatus]bool{}
	for _, c := range []struct{ from, to models.QuestionStatus }{
		{models.QuestionPool, models.QuestionOffered}, {models.QuestionPool, models.QuestionPool}, {models.QuestionPool, models.QuestionAssigned}, {models.QuestionPool, models.QuestionWithdrawn},
		{models.QuestionOffered, models.QuestionOffered}, {models.QuestionOffered, models.QuestionPool}, {models.QuestionOffered, models.QuestionAssigned}, {models.QuestionOffered, models.QuestionWithdrawn},
		{models.QuestionAssigned, models.QuestionAnswered}, {models.QuestionAssigned, models.QuestionOffered}, {models.QuestionAssigned, models.QuestionPool}, {models.QuestionAssigned, models.QuestionWithdrawn},
		{models.QuestionAnswered, models.QuestionClosed}, {models.QuestionAnswered, models.QuestionOffered}, {models.QuestionAnswered, models.QuestionPool},
		{models.QuestionClosed, models.QuestionAnswered},
	} {
		allowed[[2]models.QuestionStatus{c.from, c.to}] = true
	}
	for _, from := range all {
		if _, ok := transitions[from]; !ok {
			t.Errorf("no row for %s", from)
		}
		for _, to := range all {
			err := checkMove(&models.Question{ID: 7, Status: from}, to)
			if want := allowed[[2]models.QuestionStatus{from, to}]; (err == nil) != want {
				t.Errorf("%s → %s: allowed %v, want %v", from, to, err == nil, want)
			}
		}
	}
}
