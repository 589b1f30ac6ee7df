package moderation_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/app/testenv/world"
	"github.com/kindred-health/kindred/models"
)

func isConflict(err error) bool {
	var ce *models.ConflictError
	return errors.As(err, &ce)
}

// TestTwoModeratorsOneResolution: moderators acting on the same report at
// once: exactly one resolution, every attempt recorded.
func TestTwoModeratorsOneResolution(t *testing.T) {
	t.Parallel()
	w := world.New(t, nil)
	ctx := context.Background()
	f := w.Forum("heart", nil)
	author := w.Member("author")
	rep := w.Member("rep")
	a, b := w.Actor(w.Moderator("mod_a")), w.Actor(w.Moderator("mod_b"))
	for round := 0; round < 20; round++ {
		th := w.Thread(author, f, "Round "+strconv.Itoa(round), "Text.")
		w.Report(rep, models.TargetThread, th.ID, models.ReasonSpam)
		actions := []string{moderation.ActHide, moderation.ActDismiss}
		if round%2 == 1 {
			actions = []string{moderation.ActRemove, moderation.ActRemove}
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, m := range []models.Actor{a, b} {
			wg.Add(1)
			go func(i int, m models.Actor) {
				defer wg.Done()
				errs[i] = w.App.Moderation.Act(ctx, m, models.TargetThread, th.ID, actions[i], "Spam links in the text", true)
			}(i, m)
		}
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case isConflict(err):
				conflicts++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 || conflicts != 1 {
			t.Fatalf("round %d: %d applied, %d conflicts", round, ok, conflicts)
		}
		if n := w.Count(`SELECT count(*) FROM reports WHERE target_id = ? AND status <> 'open'`, th.ID); n != 1 {
			t.Fatalf("round %d: %d resolved reports", round, n)
		}
		if n := w.Count(`SELECT count(*) FROM moderation_actions WHERE target_id = ? AND moderator_id IS NOT NULL`, th.ID); n != 2 {
			t.Fatalf("round %d: %d attempts recorded, want 2", round, n)
		}
		if n := w.Count(`SELECT count(*) FROM moderation_actions WHERE target_id = ? AND outcome = 'superseded'`, th.ID); n != 1 {
			t.Fatalf("round %d: %d superseded", round, n)
		}
	}
	// The record is append-only, even for the application's own role.
	if err := w.App.DB.Gorm.Exec(`UPDATE moderation_actions SET reason = 'x'`).Error; err == nil {
		t.Error("moderation_actions accepted an UPDATE")
	}
	if err := w.App.DB.Gorm.Exec(`DELETE FROM audit_events`).Error; err == nil {
		t.Error("audit_events accepted a DELETE")
	}
}
