package moderation_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/testenv/world"
	"github.com/kindred-health/kindred/models"
)

// TestMoveThread: moderators move threads between forums they moderate;
// open reports follow the thread to the new forum's moderators.
func TestMoveThread(t *testing.T) {
	t.Parallel()
	w := world.New(t, nil)
	ctx := context.Background()
	author := w.Member("author")
	rep := w.Member("rep_one")
	mod := w.Member("two_forums")
	moderatedBy := func(f *forums.ForumForm) { f.Moderators = []string{"two_forums"} }
	heart := w.Forum("heart", moderatedBy)
	lungs := w.Forum("lungs", moderatedBy)
	w.Forum("bones", nil)
	th := w.Thread(author, heart, "Asthma inhaler question", "Posted in the wrong forum.")
	w.Report(rep, models.TargetThread, th.ID, models.ReasonOffTopic)
	if err := w.App.Moderation.MoveThread(ctx, w.Actor(mod), models.TargetThread, th.ID, "bones", "", false); !errors.Is(err, models.ErrForbidden) {
		t.Errorf("move to a forum they do not moderate: %v", err)
	}
	if err := w.App.Moderation.MoveThread(ctx, w.Actor(mod), models.TargetThread, th.ID, "lungs", "About asthma", false); err != nil {
		t.Fatal(err)
	}
	var moved models.Thread
	if err := w.App.DB.Gorm.First(&moved, th.ID).Error; err != nil {
		t.Fatal(err)
	}
	if moved.ForumID != lungs.ID {
		t.Fatalf("thread in forum %d", moved.ForumID)
	}
	items, _ := w.App.Moderation.Queue(ctx, w.Actor(mod), lungs.ID)
	if len(items) != 1 || items[0].ForumSlug != "lungs" {
		t.Errorf("the report did not follow: %+v", items)
	}
	if w.Count(`SELECT thread_count FROM forums WHERE id = ?`, heart.ID) != 0 || w.Count(`SELECT thread_count FROM forums WHERE id = ?`, lungs.ID) != 1 {
		t.Error("thread counts not moved")
	}
}
