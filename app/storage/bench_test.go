package storage_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/app/testenv"
)

// BenchmarkStores puts and reads back a document of typical sizes on each
// backend (docs: README's storage section). Run with `make test`'s
// services: bin/kindred-dev test -- go test -run '^$' -bench Stores ./app/storage
func BenchmarkStores(b *testing.B) {
	disk, err := storage.NewDisk(b.TempDir(), 0)
	if err != nil {
		b.Fatal(err)
	}
	bucket := testenv.NewS3Bucket(b)
	s3, err := storage.NewS3(storage.S3Options{Endpoint: bucket.Endpoint, Region: bucket.Region, Bucket: bucket.Bucket,
		AccessKey: bucket.AccessKey, SecretKey: bucket.SecretKey, PathStyle: true, Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	for _, st := range []struct {
		name  string
		store storage.Store
	}{{"disk", disk}, {"s3", s3}} {
		for _, size := range []struct {
			name string
			n    int
		}{{"200KB", 200 << 10}, {"5MB", 5 << 20}} {
			content := randomBytes(b, size.n)
			ctx := context.Background()
			b.Run(st.name+"/put/"+size.name, func(b *testing.B) {
				b.SetBytes(int64(size.n))
				for b.Loop() {
					if err := st.store.Put(ctx, newKey(b), bytes.NewReader(content), int64(len(content)), "application/pdf"); err != nil {
						b.Fatal(err)
					}
				}
			})
			key := newKey(b)
			if err := st.store.Put(ctx, key, bytes.NewReader(content), int64(len(content)), "application/pdf"); err != nil {
				b.Fatal(err)
			}
			b.Run(st.name+"/get/"+size.name, func(b *testing.B) {
				b.SetBytes(int64(size.n))
				for b.Loop() {
					obj, err := st.store.Open(ctx, key)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.Copy(io.Discard, obj); err != nil {
						b.Fatal(err)
					}
					obj.Close()
				}
			})
		}
	}
}
