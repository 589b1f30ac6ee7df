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
	objs := make([]storedObject, len(docs))
	for i, d := range docs {
		objs[i] = storedObject{Key: d.Key, Type: d.Type, Name: fmt.Sprintf("credential %d: its document", d.CredentialID)}
	}
	failed, err := copyObjects(ctx, "documents", from, to, objs, stdout)
	if err != nil {
		return err
	}
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
	objs := make([]storedObject, len(imgs))
	for i, im := range imgs {
		objs[i] = storedObject{Key: im.Key, Type: im.ContentType, Name: "image " + im.Key}
	}
	return copyObjects(ctx, "images", from, to, objs, stdout)
}

// storedObject is one object a row names, for copying between stores.
type storedObject struct {
	Key, Type string
	Name      string // how the output names it
}

// copyObjects copies objs from one store to the other, skipping those
// already there, says what happened, and returns how many failed.
func copyObjects(ctx context.Context, what string, from, to storage.Store, objs []storedObject, stdout io.Writer) (int, error) {
	fmt.Fprintf(stdout, "copying %d %s from %s to %s\n", len(objs), what, from, to)
	var copied, present, missing, failed int
	for _, o := range objs {
		done, err := storage.Copy(ctx, from, to, o.Key, o.Type)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			missing++
			fmt.Fprintf(stdout, "%s is missing from %s\n", o.Name, from)
		case err != nil:
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			failed++
			fmt.Fprintf(stdout, "%s: %v\n", o.Name, err)
		case done:
			copied++
		default:
			present++
		}
	}
	fmt.Fprintf(stdout, "%s: copied %d, already there %d, missing %d, failed %d\n", what, copied, present, missing, failed)
	return failed, nil
}

func isBackend(s string) bool { return s == "local" || s == "s3" }

// String names the stores in the command's output.
var (
	_ fmt.Stringer = (*storage.Disk)(nil)
	_ fmt.Stringer = (*storage.S3)(nil)
)
