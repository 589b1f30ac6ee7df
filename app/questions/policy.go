package questions

import "github.com/kindred-health/kindred/models"

// Who may do what with a private question, written once and table-tested
// (policy_test.go). The state machine (transitions.go) says where a
// question may go; this file says who may look and speak. Whether a
// clinician may hold questions at all (verified now, account usable) is
// read inside each action's transaction (mayHold) and passed in as holds.

// party is who the actor is to one question.
type party int

const (
	// stranger is everyone else: for them the question does not exist.
	stranger party = iota
	asker
	// holder is the clinician the question is offered or assigned to,
	// while they may hold questions.
	holder
)

// assignedTo reports whether the actor is the clinician the question is
// offered or assigned to (whether they may still hold it aside).
func assignedTo(a models.Actor, q *models.Question) bool {
	return a.User != nil && q.AssigneeID != nil && *q.AssigneeID == a.User.ID && q.AskerID != a.User.ID
}

// partyOf places the actor; holds is mayHold for the assignee.
func partyOf(a models.Actor, q *models.Question, holds bool) party {
	switch {
	case a.User == nil:
		return stranger
	case q.AskerID == a.User.ID:
		return asker
	case assignedTo(a, q) && holds:
		return holder
	}
	return stranger
}

// mayRead: the asker always; the clinician while the question is open or
// after it closed (a withdrawn question is gone for them).
func mayRead(p party, st models.QuestionStatus) bool {
	switch p {
	case asker:
		return true
	case holder:
		return st.Open() || st == models.QuestionClosed
	}
	return false
}

// mayJoinConversation: the asker, and the clinician once they took the
// question (an offer is not yet a conversation). Whether the conversation
// is open now is conversationOpen.
func mayJoinConversation(p party, st models.QuestionStatus) bool {
	switch p {
	case asker:
		return true
	case holder:
		return st != models.QuestionOffered
	}
	return false
}

// conversationOpen is when messages may be written: from the clinician's
// acceptance until the question is closed.
func conversationOpen(st models.QuestionStatus) bool {
	return st == models.QuestionAssigned || st == models.QuestionAnswered
}

// mayActAsHolder is for the clinician's own actions (accept, decline,
// hand back): only the holder.
func mayActAsHolder(p party) bool { return p == holder }

// mayActAsAsker is for the asker's own actions (withdraw, close, reopen,
// rate, publish, share history).
func mayActAsAsker(p party) bool { return p == asker }
