package moderation_test

import (
	"context"
	"testing"

	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/app/testenv/world"
	"github.com/kindred-health/kindred/models"
)

// A forum's thread count is its visible threads: a thread held for review
// or hidden by a moderator must not show as one more than the list holds
// (which tells visitors something waits there or was taken down).
func TestForumThreadCountIsItsVisibleThreads(t *testing.T) {
	t.Parallel()
	w := world.New(t, nil)
	ctx := context.Background()
	f := w.Forum("knees", nil)
	author := w.Member("count_author")
	mod := w.Actor(w.Moderator("count_mod"))
	count := func() int64 { return w.Count(`SELECT thread_count FROM forums WHERE id = ?`, f.ID) }
	w.Thread(author, f, "Physio after the replacement", "Week three and the bends are getting easier.")
	th := w.Thread(author, f, "Stairs", "Two at a time again.")
	if n := count(); n != 2 {
		t.Fatalf("two visible threads: count %d", n)
	}
	for _, step := range []struct {
		action string
		want   int64
	}{{moderation.ActHide, 1}, {moderation.ActRestore, 2}, {moderation.ActRemove, 1}} {
		if err := w.App.Moderation.Act(ctx, mod, models.TargetThread, th.ID, step.action, "Checking the counts", false); err != nil {
			t.Fatalf("%s: %v", step.action, err)
		}
		if n := count(); n != step.want {
			t.Errorf("after %s: count %d, want %d", step.action, n, step.want)
		}
	}
	// A thread waiting for a moderator counts once it is published.
	held := w.Thread(author, f, "Swelling at night", "Is this normal at six weeks?")
	if err := w.App.DB.Gorm.Exec(`UPDATE threads SET visibility = 'pending' WHERE id = ?`, held.ID).Error; err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("with a held thread: count %d, want 1", n)
	}
	if err := w.App.DB.Gorm.Exec(`UPDATE threads SET visibility = 'visible' WHERE id = ?`, held.ID).Error; err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Errorf("held thread published: count %d, want 2", n)
	}
}
