package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/images"
	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/app/testenv"
)

// TestBackupRestoreDrill is the restore drill of the README's Backups
// section, command for command: pg_dump the database and copy the
// document store, restore both on "another machine" (an empty database, a
// new directory, a new search index), and check with `kindred backup
// verify` — which first says the index must be rebuilt, then, after
// `kindred reindex`, that all is whole; every table holds as many rows as
// before. A document lost on the way is caught.
func TestBackupRestoreDrill(t *testing.T) {
	t.Parallel()
	requirePgTools(t)
	ctx := context.Background()
	env := serveEnv(t, testenv.DatabaseURL(t))
	if _, err := runCmd(t, env, "", "seed-demo"); err != nil {
		t.Fatal(err)
	}
	// A proof document for the demo's pending application.
	docs, err := storage.NewDisk(env["KINDRED_DOCUMENT_DIR"], clinicians.MaxDocumentSize)
	if err != nil {
		t.Fatal(err)
	}
	name, err := storage.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	pdf := append([]byte("%PDF-1.4\n"), []byte(strings.Repeat("licence scan ", 200))...)
	if err := docs.Put(ctx, name, bytes.NewReader(pdf), int64(len(pdf)), "application/pdf"); err != nil {
		t.Fatal(err)
	}
	src, err := database.Open(ctx, env["DATABASE_URL"], database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Gorm.Exec(`UPDATE credentials SET document_file = ?, document_type = 'application/pdf', document_size = 2409
		WHERE id = (SELECT min(id) FROM credentials WHERE status = 'pending')`, name).Error; err != nil {
		t.Fatal(err)
	}

	// An image in a post, on disk.
	imgs, err := storage.NewDisk(env["KINDRED_IMAGE_DIR"], images.MaxStored)
	if err != nil {
		t.Fatal(err)
	}
	imgKey, err := storage.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	png := testenv.PNG(t, testenv.Gradient(4, 4))
	if err := imgs.Put(ctx, imgKey, bytes.NewReader(png), int64(len(png)), "image/png"); err != nil {
		t.Fatal(err)
	}
	if err := src.Gorm.Exec(`INSERT INTO images (key, uploader_id, forum_id, width, height, bytes, content_type, created_at)
		SELECT ?, (SELECT min(id) FROM users), (SELECT min(id) FROM forums), 4, 4, ?, 'image/png', now()`, imgKey, len(png)).Error; err != nil {
		t.Fatal(err)
	}

	// Back up: the database, the document store and the image store.
	dump := filepath.Join(t.TempDir(), "kindred.dump")
	pgTool(t, "pg_dump", "--format=custom", "--no-owner", "--file", dump, "--dbname", env["DATABASE_URL"])
	restoredDocs := filepath.Join(t.TempDir(), "documents")
	copyDir(t, env["KINDRED_DOCUMENT_DIR"], restoredDocs)
	restoredImages := filepath.Join(t.TempDir(), "images")
	copyDir(t, env["KINDRED_IMAGE_DIR"], restoredImages)

	// Restore on another machine: an empty database, the copied
	// documents and images, a search index of its own.
	restored := serveEnv(t, testenv.EmptyDatabaseURL(t))
	restored["KINDRED_DOCUMENT_DIR"] = restoredDocs
	restored["KINDRED_IMAGE_DIR"] = restoredImages
	pgTool(t, "pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored["DATABASE_URL"], dump)

	out, err := runCmd(t, restored, "", "backup", "verify")
	if err == nil || !strings.Contains(out, "1 referenced, 0 missing") || !strings.Contains(out, "0 migration(s) pending") ||
		!strings.Contains(out, "images in posts (local disk "+restoredImages+"): 1 referenced, 0 missing") ||
		!strings.Contains(err.Error(), "run `kindred reindex`") {
		t.Fatalf("backup verify before the reindex: %v\n%s", err, out)
	}
	if out, err := runCmd(t, restored, "", "reindex"); err != nil {
		t.Fatalf("reindex: %v\n%s", err, out)
	}
	out, err = runCmd(t, restored, "", "backup", "verify")
	if err != nil || !strings.Contains(out, "backup verify: ok") || !strings.Contains(out, "0 missing, 0 stale, 0 forbidden") {
		t.Fatalf("backup verify after the reindex: %v\n%s", err, out)
	}
	dst, err := database.Open(ctx, restored["DATABASE_URL"], database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var tables []string
	src.Gorm.Raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`).Scan(&tables)
	if len(tables) < 20 {
		t.Fatalf("only %d tables", len(tables))
	}
	for _, table := range tables {
		var a, b int64
		q := `SELECT count(*) FROM "` + table + `"`
		src.Gorm.Raw(q).Scan(&a)
		dst.Gorm.Raw(q).Scan(&b)
		if a != b {
			t.Errorf("%s: %d rows before, %d after the restore", table, a, b)
		}
	}

	// A document that did not make it is named.
	if err := os.Remove(filepath.Join(restoredDocs, name)); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, restored, "", "backup", "verify")
	if err == nil || !strings.Contains(out, "1 referenced, 1 missing") {
		t.Fatalf("backup verify with a document missing: %v\n%s", err, out)
	}
	// So is an image.
	if err := os.Remove(filepath.Join(restoredImages, imgKey)); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, restored, "", "backup", "verify")
	if err == nil || !strings.Contains(out, "images in posts (local disk "+restoredImages+"): 1 referenced, 1 missing") ||
		!strings.Contains(err.Error(), "restore the images from the same backup") {
		t.Fatalf("backup verify with an image missing: %v\n%s", err, out)
	}
}

// requirePgTools needs a database and PostgreSQL's dump and restore
// tools: a skip without them, a failure under CI=true.
func requirePgTools(t *testing.T) {
	t.Helper()
	testenv.Require(t, "DATABASE_URL")
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := os.Stat(filepath.Join(testenv.PostgresBin, tool)); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s missing: %v", tool, err)
			}
			t.Skipf("%s missing (CI=true makes this a failure)", tool)
		}
	}
}

func pgTool(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(filepath.Join(testenv.PostgresBin, name), args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", from+"/.", to).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
}

// TestBackupRestoreDrillWithS3 is the same drill with the documents in
// object storage, as the README's Backups section gives it: `kindred
// storage copy s3 local` into the backup's directory beside the dump, and
// on the new machine `kindred storage copy local s3` into its own bucket,
// then `kindred backup verify` against that bucket; a document lost on the
// way is caught there too.
func TestBackupRestoreDrillWithS3(t *testing.T) {
	t.Parallel()
	requirePgTools(t)
	ctx := context.Background()
	env := serveEnv(t, testenv.DatabaseURL(t))
	bucket := testenv.NewS3Bucket(t)
	for k, v := range bucket.Env() {
		env[k] = v
	}
	src, err := database.Open(ctx, env["DATABASE_URL"], database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := src.Gorm.Exec(sql, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	// A clinician's application with its licence scan in the bucket.
	name, err := storage.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	pdf := append([]byte("%PDF-1.4\n"), []byte(strings.Repeat("registration certificate ", 300))...)
	if _, err := bucket.Client.PutObject(ctx, bucket.Bucket, "documents/"+name, bytes.NewReader(pdf), int64(len(pdf)),
		minio.PutObjectOptions{ContentType: "application/pdf"}); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO jurisdictions (code, name) VALUES ('test-board', 'Test board')`)
	exec(`INSERT INTO users (handle) VALUES ('nurse_amara')`)
	exec(`INSERT INTO credentials (user_id, profession, licence_number, jurisdiction, licence_expires, submitted_at, document_file, document_type, document_size)
		SELECT id, 'registered-nurse', 'RN-2207', 'test-board', now() + interval '1 year', now(), ?, 'application/pdf', ? FROM users WHERE handle = 'nurse_amara'`,
		name, len(pdf))
	// And an image in a post, in the bucket under images/.
	imgKey, err := storage.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	png := testenv.PNG(t, testenv.Gradient(4, 4))
	if _, err := bucket.Client.PutObject(ctx, bucket.Bucket, "images/"+imgKey, bytes.NewReader(png), int64(len(png)),
		minio.PutObjectOptions{ContentType: "image/png"}); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO forums (slug, name, created_at, updated_at) VALUES ('wound-care', 'Wound care', now(), now())`)
	exec(`INSERT INTO images (key, uploader_id, forum_id, width, height, bytes, content_type, created_at)
		SELECT ?, u.id, f.id, 4, 4, ?, 'image/png', now() FROM users u, forums f WHERE u.handle = 'nurse_amara' AND f.slug = 'wound-care'`, imgKey, len(png))

	// Back up: the database, and the documents out of the bucket.
	backup := t.TempDir()
	dump := filepath.Join(backup, "kindred.dump")
	pgTool(t, "pg_dump", "--format=custom", "--no-owner", "--file", dump, "--dbname", env["DATABASE_URL"])
	env["KINDRED_DOCUMENT_DIR"] = filepath.Join(backup, "documents")
	env["KINDRED_IMAGE_DIR"] = filepath.Join(backup, "images")
	if out, err := runCmd(t, env, "", "storage", "copy", "s3", "local"); err != nil || !strings.Contains(out, "documents: copied 1, already there 0, missing 0, failed 0") ||
		!strings.Contains(out, "images: copied 1, already there 0, missing 0, failed 0") {
		t.Fatalf("backing up the documents and images: %v\n%s", err, out)
	}

	// Restore on another machine with a bucket of its own.
	restored := serveEnv(t, testenv.EmptyDatabaseURL(t))
	newBucket := testenv.NewS3Bucket(t)
	for k, v := range newBucket.Env() {
		restored[k] = v
	}
	pgTool(t, "pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored["DATABASE_URL"], dump)
	restored["KINDRED_DOCUMENT_DIR"] = env["KINDRED_DOCUMENT_DIR"]
	restored["KINDRED_IMAGE_DIR"] = env["KINDRED_IMAGE_DIR"]
	if out, err := runCmd(t, restored, "", "storage", "copy", "local", "s3"); err != nil || !strings.Contains(out, "documents: copied 1, already there 0, missing 0, failed 0") ||
		!strings.Contains(out, "images: copied 1, already there 0, missing 0, failed 0") {
		t.Fatalf("restoring the documents and images: %v\n%s", err, out)
	}
	if out, err := runCmd(t, restored, "", "reindex"); err != nil {
		t.Fatalf("reindex: %v\n%s", err, out)
	}
	out, err := runCmd(t, restored, "", "backup", "verify")
	if err != nil || !strings.Contains(out, "1 referenced, 0 missing") || !strings.Contains(out, "S3 bucket "+newBucket.Bucket) || !strings.Contains(out, "backup verify: ok") ||
		!strings.Contains(out, "images in posts (S3 bucket "+newBucket.Bucket) {
		t.Fatalf("backup verify against the new bucket: %v\n%s", err, out)
	}
	obj, err := newBucket.Client.GetObject(ctx, newBucket.Bucket, "documents/"+name, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	_, err = got.ReadFrom(obj)
	obj.Close()
	if err != nil || !bytes.Equal(got.Bytes(), pdf) {
		t.Fatalf("the restored document differs from the original (%v)", err)
	}

	// A document that did not make it is named.
	if err := newBucket.Client.RemoveObject(ctx, newBucket.Bucket, "documents/"+name, minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, restored, "", "backup", "verify")
	if err == nil || !strings.Contains(out, "1 referenced, 1 missing") {
		t.Fatalf("backup verify with a document missing from the bucket: %v\n%s", err, out)
	}
}
