package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/config"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/images"
	"github.com/kindred-health/kindred/app/server"
	"github.com/kindred-health/kindred/app/storage"
)

const storageUsage = "usage: kindred storage copy local|s3 local|s3"

// storageCommand moves proof documents and images between stores:
// `kindred storage copy local s3` copies every document a credential still
// names from KINDRED_DOCUMENT_DIR, and every image a row names from
// KINDRED_IMAGE_DIR, to the S3 bucket, checking each copy byte for byte.
// It deletes nothing and can run again at any time: objects already there
// are skipped.
func storageCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 3 || args[0] != "copy" || args[1] == args[2] || !isBackend(args[1]) || !isBackend(args[2]) {
		return errors.New(storageUsage)
	}
	cfg, err := config.LoadStorage(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	from, err := server.DocumentStore(cfg, args[1])
	if err != nil {
		return err
	}
	to, err := server.DocumentStore(cfg, args[2])
	if err != nil {
		return err
	}
	for _, s := range []storage.Store{from, to} {
		if c, ok := s.(interface{ Check(context.Context) error }); ok {
			if err := c.Check(ctx); err != nil {
				return err
			}
		}
	}
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	docs, err := clinicians.StoredDocuments(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copying %d documents from %s to %s\n", len(docs), from, to)
	var copied, present, missing, failed int
	for _, d := range docs {
		done, err := storage.Copy(ctx, from, to, d.Key, d.Type)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			missing++
			fmt.Fprintf(stdout, "credential %d: its document is missing from %s\n", d.CredentialID, from)
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed++
			fmt.Fprintf(stdout, "credential %d: %v\n", d.CredentialID, err)
		case done:
			copied++
		default:
			present++
		}
	}
	fmt.Fprintf(stdout, "copied %d, already there %d, missing %d, failed %d\n", copied, present, missing, failed)
	imgFailed, err := copyImages(ctx, cfg, db, args[1], args[2], stdout)
	if err != nil {
		return err
	}
	if failed+imgFailed > 0 {
		return fmt.Errorf("%d documents and %d images were not copied: run the command again", failed, imgFailed)
	}
	return nil
}

// copyImages copies every image a row names from one image store to the
// other and returns how many failed.
func copyImages(ctx context.Context, cfg *config.Config, db *database.DB, fromName, toName string, stdout io.Writer) (int, error) {
	from, err := server.ImageStore(cfg, fromName)
	if err != nil {
		return 0, err
	}
	to, err := server.ImageStore(cfg, toName)
	if err != nil {
		return 0, err
	}
	imgs, err := images.StoredImages(ctx, db)
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(stdout, "copying %d images from %s to %s\n", len(imgs), from, to)
	var copied, present, missing, failed int
	for _, im := range imgs {
		done, err := storage.Copy(ctx, from, to, im.Key, im.ContentType)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			missing++
			fmt.Fprintf(stdout, "image %s: missing from %s\n", im.Key, from)
		case err != nil:
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			failed++
			fmt.Fprintf(stdout, "image %s: %v\n", im.Key, err)
		case done:
			copied++
		default:
			present++
		}
	}
	fmt.Fprintf(stdout, "images: copied %d, already there %d, missing %d, failed %d\n", copied, present, missing, failed)
	return failed, nil
}

func isBackend(s string) bool { return s == "local" || s == "s3" }

// String names the stores in the command's output.
var (
	_ fmt.Stringer = (*storage.Disk)(nil)
	_ fmt.Stringer = (*storage.S3)(nil)
)
