package live

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/models"
)

func TestAllowed(t *testing.T) {
	member := models.Actor{User: &models.User{ID: 7}, Muted: map[int64]bool{9: true}}
	visitor := models.Actor{}
	clinician := models.Actor{User: &models.User{ID: 8}, Clinician: true}
	reply := Event{Kind: "reply", ThreadID: 1, PostID: 2, ForumID: 3, Visible: true, AuthorID: 5}
	for _, c := range []struct {
		name  string
		a     models.Actor
		e     func(Event) Event
		topic int64
		want  bool
	}{
		{"public reply, visitor", visitor, func(e Event) Event { return e }, 1, true},
		{"another thread", member, func(e Event) Event { return e }, 2, false},
		{"hidden or pending reply", member, func(e Event) Event { e.Visible = false; return e }, 1, false},
		{"sensitive forum, visitor", visitor, func(e Event) Event { e.Sensitive = true; return e }, 1, false},
		{"sensitive forum, member", member, func(e Event) Event { e.Sensitive = true; return e }, 1, true},
		{"clinicians-only, member", member, func(e Event) Event { e.ClinicianOnly = true; return e }, 1, false},
		{"clinicians-only, clinician", clinician, func(e Event) Event { e.ClinicianOnly = true; return e }, 1, true},
		{"muted author, even anonymous", member, func(e Event) Event { e.AuthorID, e.Anonymous = 9, true; return e }, 1, false},
	} {
		if got := Allowed(c.a, Topic{Thread: c.topic}, c.e(reply)); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	q := Event{Kind: "question", QuestionID: 4, AskerID: 7, AssigneeID: 8}
	if !Allowed(member, Topic{Question: 4}, q) || !Allowed(clinician, Topic{Question: 4}, q) {
		t.Error("asker or assignee refused")
	}
	if Allowed(models.Actor{User: &models.User{ID: 10}}, Topic{Question: 4}, q) || Allowed(visitor, Topic{Question: 4}, q) || Allowed(member, Topic{Question: 5}, q) {
		t.Error("someone else heard of a private question")
	}
	m := Event{Kind: "message", ConversationID: 6, Members: []int64{7, 10}}
	staff := models.Actor{User: &models.User{ID: 11, Role: models.RoleModerator, Status: models.StatusActive}}
	if !Allowed(member, Topic{Conversation: 6}, m) || Allowed(member, Topic{Conversation: 5}, m) || Allowed(clinician, Topic{Conversation: 6}, m) ||
		Allowed(visitor, Topic{Conversation: 6}, m) || Allowed(staff, Topic{Conversation: 6}, m) {
		t.Error("a private conversation's event reached someone outside it")
	}
	m.TeamVisible = true
	if !Allowed(staff, Topic{Conversation: 6}, m) || Allowed(clinician, Topic{Conversation: 6}, m) {
		t.Error("the moderators' conversation: staff refused or a member let in")
	}
	if p := Payload(reply); p.Data != `{"post":2,"thread":1}` || p.ID != 0 && p.Event != "reply" {
		t.Errorf("payload %+v", p)
	}
}

// A stream writes each event once, in order, whether it came from the
// replay, from the hub while the replay was written, or both.
func TestSubWritesEachEventOnce(t *testing.T) {
	var buf bytes.Buffer
	s := &Sub{w: &buf, closed: make(chan struct{})}
	if !s.deliver(Message{ID: 3, Event: "reply", Data: "c"}) || !s.deliver(Message{ID: 4, Event: "reply", Data: "d"}) {
		t.Fatal("not kept while inactive")
	}
	for _, m := range []Message{{ID: 2, Event: "reply", Data: "b"}, {ID: 3, Event: "reply", Data: "c"}} { // the replay
		if err := s.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Activate(); err != nil {
		t.Fatal(err)
	}
	s.deliver(Message{ID: 4, Event: "reply", Data: "d"})
	s.deliver(Message{Event: "notifications", Data: `{"unread":1}`})
	want := "id: 2\nevent: reply\ndata: b\n\nid: 3\nevent: reply\ndata: c\n\nid: 4\nevent: reply\ndata: d\n\nevent: notifications\ndata: {\"unread\":1}\n\n"
	if buf.String() != want {
		t.Fatalf("wrote:\n%s\nwant:\n%s", buf.String(), want)
	}
	// Too much waiting while the first messages are written: dropped.
	s2 := &Sub{w: &buf, closed: make(chan struct{})}
	for i := 0; i < maxPending; i++ {
		s2.deliver(Message{ID: int64(i + 1), Event: "reply"})
	}
	if s2.deliver(Message{ID: 999, Event: "reply"}) {
		t.Fatal("an overflowing stream was kept")
	}
	if strings.Contains(buf.String(), "999") {
		t.Fatal("wrote past the limit")
	}
}
