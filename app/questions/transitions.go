package questions

import (
	"fmt"

	"github.com/kindred-health/kindred/models"
)

// transitions is a private question's state machine, written once: from
// each status, the statuses it may move to and what moves it. Every
// change of status is checked against it (checkMove), so a path that
// would strand a question, or revive a withdrawn one, fails loudly in
// tests instead of quietly in production.
var transitions = map[models.QuestionStatus]map[models.QuestionStatus]string{
	models.QuestionPool: {
		models.QuestionOffered:   "routing offers it to a clinician",
		models.QuestionPool:      "the pool widens or routing finds nobody again",
		models.QuestionAssigned:  "a clinician takes it from the pool",
		models.QuestionWithdrawn: "the asker withdraws it",
	},
	models.QuestionOffered: {
		models.QuestionOffered:   "the offer passes to the next clinician",
		models.QuestionPool:      "no clinician accepted in time, or none is left",
		models.QuestionAssigned:  "the clinician accepts",
		models.QuestionWithdrawn: "the asker withdraws it",
	},
	models.QuestionAssigned: {
		models.QuestionAnswered:  "the clinician replies",
		models.QuestionOffered:   "the clinician hands it back, misses the deadline or may no longer hold it",
		models.QuestionPool:      "the same, with nobody to offer it to",
		models.QuestionWithdrawn: "the asker withdraws it",
	},
	models.QuestionAnswered: {
		models.QuestionClosed:  "the asker closes it, or it goes quiet",
		models.QuestionOffered: "the clinician may no longer hold it before it is closed",
		models.QuestionPool:    "the same, with nobody to offer it to",
	},
	models.QuestionClosed: {
		models.QuestionAnswered: "the asker reopens it soon after",
	},
	models.QuestionWithdrawn: {},
}

// checkMove refuses a change of status the state machine does not have.
func checkMove(q *models.Question, to models.QuestionStatus) error {
	if _, ok := transitions[q.Status][to]; !ok {
		return fmt.Errorf("questions: question %d cannot move from %s to %s", q.ID, q.Status, to)
	}
	return nil
}
