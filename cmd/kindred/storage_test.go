package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/app/testenv"
)

// TestStorageCopy: `kindred storage copy local s3` moves every document a
// credential names, byte for byte, and nothing else; it reports documents
// missing from the source, runs again without copying twice, and copies
// back the other way.
func TestStorageCopy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := testenv.DatabaseURL(t)
	bucket := testenv.NewS3Bucket(t)
	dir := filepath.Join(t.TempDir(), "documents")
	env := map[string]string{"DATABASE_URL": dbURL, "KINDRED_DOCUMENT_DIR": dir, "KINDRED_LOG_FORMAT": "text"}
	for k, v := range bucket.Env() {
		env[k] = v
	}
	env["KINDRED_STORAGE"] = "local" // as before the move

	db, err := database.Open(ctx, dbURL, database.Options{MaxConns: 2, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	disk, err := storage.NewDisk(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if err := db.Gorm.Exec(sql, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO jurisdictions (code, name) VALUES ('test-board', 'Test board')`)
	content := map[string][]byte{}
	credential := func(handle string, stored, deleted bool) string {
		key, _ := storage.NewKey()
		doc := make([]byte, 40_000)
		_, _ = rand.Read(doc)
		copy(doc, "%PDF-1.4\n")
		if stored {
			if err := disk.Put(ctx, key, bytes.NewReader(doc), int64(len(doc)), "application/pdf"); err != nil {
				t.Fatal(err)
			}
		}
		var deletedAt *time.Time
		if deleted {
			now := time.Now()
			deletedAt = &now
		}
		exec(`INSERT INTO users (handle) VALUES (?)`, handle)
		exec(`INSERT INTO credentials (user_id, profession, licence_number, jurisdiction, licence_expires, submitted_at, document_file, document_type, document_size, document_deleted_at)
			SELECT id, 'registered-nurse', 'RN-1', 'test-board', now() + interval '1 year', now(), ?, 'application/pdf', ?, ? FROM users WHERE handle = ?`,
			key, len(doc), deletedAt, handle)
		if stored && !deleted {
			content[key] = doc
		}
		return key
	}
	credential("ada", true, false)
	credential("bea", true, false)
	credential("cy", true, true)    // past retention (the file stayed behind): not moved
	credential("dee", false, false) // its file was lost
	stray, _ := storage.NewKey()    // a file no credential names: not moved
	if err := disk.Put(ctx, stray, strings.NewReader("x"), 1, ""); err != nil {
		t.Fatal(err)
	}

	if _, err := runCmd(t, env, "", "storage", "copy", "local", "local"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("copy to itself: %v", err)
	}
	out, err := runCmd(t, env, "", "storage", "copy", "local", "s3")
	if err != nil || !strings.Contains(out, "copied 2, already there 0, missing 1, failed 0") || !strings.Contains(out, "missing from local disk") {
		t.Fatalf("copy: %v\n%s", err, out)
	}
	var want []string
	for k := range content {
		want = append(want, "documents/"+k)
	}
	slices.Sort(want)
	if got := bucket.Keys(t); !slices.Equal(got, want) {
		t.Fatalf("bucket holds %v, want %v", got, want)
	}
	for k, doc := range content {
		obj, err := bucket.Client.GetObject(ctx, bucket.Bucket, "documents/"+k, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		_, err = got.ReadFrom(obj)
		obj.Close()
		if err != nil || !bytes.Equal(got.Bytes(), doc) {
			t.Errorf("%s in the bucket differs (%v)", k, err)
		}
	}
	out, err = runCmd(t, env, "", "storage", "copy", "local", "s3")
	if err != nil || !strings.Contains(out, "copied 0, already there 2, missing 1, failed 0") {
		t.Fatalf("second run: %v\n%s", err, out)
	}

	// And back, into an empty directory.
	env["KINDRED_DOCUMENT_DIR"] = filepath.Join(t.TempDir(), "back")
	out, err = runCmd(t, env, "", "storage", "copy", "s3", "local")
	if err != nil || !strings.Contains(out, "copied 2, already there 0, missing 1, failed 0") {
		t.Fatalf("copy back: %v\n%s", err, out)
	}
	back, _ := storage.NewDisk(env["KINDRED_DOCUMENT_DIR"], 0)
	for k, doc := range content {
		obj, err := back.Open(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		_, _ = got.ReadFrom(obj)
		obj.Close()
		if !bytes.Equal(got.Bytes(), doc) {
			t.Errorf("%s differs after the way back", k)
		}
	}

	// Wrong credentials: said at once, nothing half done.
	env["KINDRED_S3_SECRET_KEY"] = "wrong-secret"
	if _, err := runCmd(t, env, "", "storage", "copy", "local", "s3"); err == nil {
		t.Error("copy with a wrong secret key succeeded")
	}
}
