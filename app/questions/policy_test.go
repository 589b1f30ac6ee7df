package questions

import (
	"testing"

	"github.com/kindred-health/kindred/models"
)

func TestPolicyParties(t *testing.T) {
	assignee := int64(20)
	q := &models.Question{AskerID: 10, AssigneeID: &assignee}
	unassigned := &models.Question{AskerID: 10}
	as := func(id int64) models.Actor {
		if id == 0 {
			return models.Actor{}
		}
		return models.Actor{User: &models.User{ID: id}}
	}
	for _, c := range []struct {
		name  string
		actor models.Actor
		q     *models.Question
		holds bool
		want  party
	}{
		{"visitor", as(0), q, true, stranger},
		{"asker", as(10), q, false, asker},
		{"assignee who may hold", as(20), q, true, holder},
		{"assignee no longer verified", as(20), q, false, stranger},
		{"another clinician", as(30), q, true, stranger},
		{"anyone on an unassigned question", as(20), unassigned, true, stranger},
		// Staff have no standing in a private question: they read a message
		// only through a report (app/moderation).
		{"admin", models.Actor{User: &models.User{ID: 40, Role: models.RoleAdmin}}, q, true, stranger},
	} {
		if got := partyOf(c.actor, c.q, c.holds); got != c.want {
			t.Errorf("%s: party %d, want %d", c.name, got, c.want)
		}
	}
}

func TestPolicyReadAndConversation(t *testing.T) {
	all := []models.QuestionStatus{models.QuestionPool, models.QuestionOffered, models.QuestionAssigned,
		models.QuestionAnswered, models.QuestionClosed, models.QuestionWithdrawn}
	type want struct{ read, join, open bool }
	cases := map[party]map[models.QuestionStatus]want{
		asker: {
			models.QuestionPool: {true, true, false}, models.QuestionOffered: {true, true, false},
			models.QuestionAssigned: {true, true, true}, models.QuestionAnswered: {true, true, true},
			models.QuestionClosed: {true, true, false}, models.QuestionWithdrawn: {true, true, false},
		},
		holder: {
			// An offered clinician reads the question but has no
			// conversation until they accept.
			models.QuestionPool: {true, true, false}, models.QuestionOffered: {true, false, false},
			models.QuestionAssigned: {true, true, true}, models.QuestionAnswered: {true, true, true},
			models.QuestionClosed: {true, true, false}, models.QuestionWithdrawn: {false, true, false},
		},
		stranger: {},
	}
	for p, byStatus := range cases {
		for _, st := range all {
			w := byStatus[st]
			if got := mayRead(p, st); got != w.read {
				t.Errorf("party %d, %s: mayRead %v, want %v", p, st, got, w.read)
			}
			if got := mayJoinConversation(p, st); got != w.join {
				t.Errorf("party %d, %s: mayJoinConversation %v, want %v", p, st, got, w.join)
			}
			if got := mayJoinConversation(p, st) && conversationOpen(st); got != w.open {
				t.Errorf("party %d, %s: may write a message %v, want %v", p, st, got, w.open)
			}
		}
	}
	if mayActAsHolder(asker) || !mayActAsHolder(holder) || mayActAsHolder(stranger) {
		t.Error("only the holder acts as the clinician")
	}
	if !mayActAsAsker(asker) || mayActAsAsker(holder) || mayActAsAsker(stranger) {
		t.Error("only the asker acts as the asker")
	}
}
