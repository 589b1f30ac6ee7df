package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kindred-health/kindred/app/config"
	"github.com/kindred-health/kindred/app/images"
	"github.com/kindred-health/kindred/app/server"
	"github.com/kindred-health/kindred/app/storage"
)

// backupVerify checks that a Kindred restored from backups is whole: the
// schema is the one this build expects, every proof document and image
// the database refers to is in its store, and the search index holds what
// PostgreSQL says (after a restore, run `kindred reindex` first: the index
// is rebuilt, never restored). It prints what it found and fails if
// anything is missing.
func backupVerify(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	db, fs, client, err := searchTools(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	var problems []string

	pending, err := db.Pending(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup verify: schema: %d migration(s) pending\n", pending)
	if pending > 0 {
		problems = append(problems, "the schema is behind this build: run `kindred migrate up`")
	}

	var names []string
	if err := db.Gorm.WithContext(ctx).Raw(`SELECT document_file FROM credentials
		WHERE document_file IS NOT NULL AND document_deleted_at IS NULL ORDER BY id`).Scan(&names).Error; err != nil {
		return err
	}
	docs, err := server.DocumentStore(cfg, cfg.Storage)
	if err != nil {
		return err
	}
	missing := 0
	for _, name := range names {
		obj, err := docs.Open(ctx, name)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			missing++
		case err != nil:
			return fmt.Errorf("backup verify: the document store (%s) cannot be read: %w", docs, err)
		default:
			obj.Close()
		}
	}
	fmt.Fprintf(stdout, "backup verify: proof documents (%s): %d referenced, %d missing\n", docs, len(names), missing)
	if missing > 0 {
		problems = append(problems, fmt.Sprintf("%d proof document(s) the database refers to are not in the document store: restore the documents from the same backup", missing))
	}

	imgs, err := images.StoredImages(ctx, db)
	if err != nil {
		return err
	}
	imgStore, err := server.ImageStore(cfg, cfg.Storage)
	if err != nil {
		return err
	}
	missing = 0
	for _, im := range imgs {
		obj, err := imgStore.Open(ctx, im.Key)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			missing++
		case err != nil:
			return fmt.Errorf("backup verify: the image store (%s) cannot be read: %w", imgStore, err)
		default:
			obj.Close()
		}
	}
	fmt.Fprintf(stdout, "backup verify: images in posts (%s): %d referenced, %d missing\n", imgStore, len(imgs), missing)
	if missing > 0 {
		problems = append(problems, fmt.Sprintf("%d image(s) the database refers to are not in the image store: restore the images from the same backup", missing))
	}

	r, err := client.Verify(ctx, fs, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup verify: search: %d documents expected, %d indexed; %d missing, %d stale, %d forbidden\n",
		r.Expected, r.Documents, len(r.Missing), len(r.Stale), len(r.Forbidden))
	if !r.Clean() {
		problems = append(problems, "the search index differs from PostgreSQL: run `kindred reindex`")
	}
	if len(problems) > 0 {
		return fmt.Errorf("backup verify:\n  %s", strings.Join(problems, "\n  "))
	}
	fmt.Fprintln(stdout, "backup verify: ok")
	return nil
}
