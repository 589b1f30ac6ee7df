package images

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/kindred-health/kindred/app/markdown"
)

// UnattachedGrace is how long an upload may wait for the post it was made
// for (a member writing slowly, a draft) before the sweep removes it.
const UnattachedGrace = 24 * time.Hour

// orphanGrace: an object no row names goes only when two sweeps this far
// apart both found it so, so an upload between writing its object and
// committing its row is never touched.
const orphanGrace = time.Hour

// SweepResult counts what one sweep removed.
type SweepResult struct {
	// Unused counts images no post shows (never attached within
	// UnattachedGrace, edited out, or their posts deleted).
	Unused int
	// Unnamed counts stored objects no image row names.
	Unnamed int
}

// Sweep removes images no visible-or-not, undeleted post shows once they
// are older than UnattachedGrace, rows first and then their objects, and
// objects that no row names (an upload whose row failed, a deleted
// account's images). Safe to run at any time, on any instance, repeatedly.
func (s *Service) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	now := s.now().UTC()
	var keys []string
	// Posts that are held or removed keep their images (a moderator may
	// restore them); deleted posts do not. A saved draft keeps the images
	// it names until it is posted or discarded.
	if err := s.db.Gorm.WithContext(ctx).Raw(`DELETE FROM images WHERE id IN (
			SELECT i.id FROM images i WHERE i.created_at < ? AND NOT EXISTS (
				SELECT 1 FROM post_images pi JOIN posts p ON p.id = pi.post_id WHERE pi.image_id = i.id AND p.deleted_at IS NULL)
			AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.user_id = i.uploader_id AND strpos(d.body, i.key) > 0)
			ORDER BY i.id LIMIT 500)
		RETURNING key`, now.Add(-UnattachedGrace)).Scan(&keys).Error; err != nil {
		return res, fmt.Errorf("images: sweep unused: %w", err)
	}
	var failed error
	for _, k := range keys {
		if err := s.store.Delete(ctx, k); err != nil {
			failed = err // the listing below finds it again
			continue
		}
		res.Unused++
	}
	n, err := s.sweepUnnamed(ctx, now)
	res.Unnamed = n
	if failed == nil {
		failed = err
	}
	return res, failed
}

func (s *Service) sweepUnnamed(ctx context.Context, now time.Time) (int, error) {
	return s.orphans.Sweep(ctx, s.store, now, func(key string) bool { return markdown.ImageKey("/images/"+key) != "" },
		func(ctx context.Context) ([]string, error) {
			var named []string
			err := s.db.Gorm.WithContext(ctx).Raw(`SELECT key FROM images`).Scan(&named).Error
			return named, err
		})
}

// DeleteUploadsOf removes every image userID uploaded, rows and objects:
// for erasing an account. Posts that showed them show a link instead
// once re-rendered; until then their addresses answer 404.
func (s *Service) DeleteUploadsOf(ctx context.Context, userID int64) (int, error) {
	var keys []string
	if err := s.db.Gorm.WithContext(ctx).Raw(`DELETE FROM images WHERE uploader_id = ? RETURNING key`, userID).Scan(&keys).Error; err != nil {
		return 0, fmt.Errorf("images: delete uploads of %d: %w", userID, err)
	}
	for _, k := range keys {
		if err := s.store.Delete(ctx, k); err != nil {
			// The row is gone: the sweep's listing removes the object later.
			s.log.ErrorContext(ctx, "images: delete object (the sweep will)", "error", err.Error())
		}
	}
	return len(keys), nil
}

// SweepArgs is the periodic job that removes unused images.
type SweepArgs struct{}

// Kind names the job in River's table.
func (SweepArgs) Kind() string { return "images_sweep" }

// SweepWorker runs Service.Sweep.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Svc *Service
}

// Work runs one sweep.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	res, err := w.Svc.Sweep(ctx)
	if res != (SweepResult{}) {
		w.Svc.log.InfoContext(ctx, "images: sweep", "unused_deleted", res.Unused, "unnamed_deleted", res.Unnamed)
	}
	return err
}
