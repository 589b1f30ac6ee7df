package storage_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/app/testenv"
)

const limit = 1 << 20 // the stores under test take at most 1 MiB

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func newKey(t testing.TB) string {
	k, err := storage.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func readAll(t testing.TB, s storage.Store, key string) []byte {
	t.Helper()
	obj, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if obj.Size != int64(len(b)) {
		t.Errorf("open %s: size %d, read %d bytes", key, obj.Size, len(b))
	}
	return b
}

func keys(t testing.TB, s storage.Store) []string {
	t.Helper()
	var out []string
	if err := s.List(context.Background(), func(k string) error { out = append(out, k); return nil }); err != nil {
		t.Fatalf("list: %v", err)
	}
	slices.Sort(out)
	return out
}

func s3Store(t testing.TB, b *testenv.S3Bucket, prefix string, timeout time.Duration) *storage.S3 {
	t.Helper()
	s, err := storage.NewS3(storage.S3Options{Endpoint: b.Endpoint, Region: b.Region, Bucket: b.Bucket, AccessKey: b.AccessKey,
		SecretKey: b.SecretKey, Prefix: prefix, PathStyle: true, Timeout: timeout, MaxSize: limit})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStoreContract runs the behaviour every store promises against local
// disk and against a real S3 server (versitygw, started by `make test`).
func TestStoreContract(t *testing.T) {
	t.Parallel()
	stores := map[string]func(t *testing.T) storage.Store{
		"disk": func(t *testing.T) storage.Store {
			d, err := storage.NewDisk(t.TempDir()+"/docs", limit)
			if err != nil {
				t.Fatal(err)
			}
			return d
		},
		"s3": func(t *testing.T) storage.Store {
			return s3Store(t, testenv.NewS3Bucket(t), "", 10*time.Second)
		},
		// Under a prefix, in a bucket that holds other objects too.
		"s3 prefix": func(t *testing.T) storage.Store {
			b := testenv.NewS3Bucket(t)
			if _, err := b.Client.PutObject(context.Background(), b.Bucket, "someone-else", bytes.NewReader([]byte("x")), 1, minio.PutObjectOptions{}); err != nil {
				t.Fatal(err)
			}
			return s3Store(t, b, "github.com/kindred-health/kindred/documents/", 10*time.Second)
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			contract(t, open(t))
		})
	}
}

func contract(t *testing.T, s storage.Store) {
	ctx := context.Background()

	// Byte for byte, every byte value, exactly at the limit.
	content := randomBytes(t, limit)
	key := newKey(t)
	if err := s.Put(ctx, key, bytes.NewReader(content), int64(len(content)), "application/pdf"); err != nil {
		t.Fatalf("put: %v", err)
	}
	if got := readAll(t, s, key); !bytes.Equal(got, content) {
		t.Fatalf("read back %d bytes, differing from the %d put", len(got), len(content))
	}
	if got := keys(t, s); !slices.Equal(got, []string{key}) {
		t.Fatalf("list: %v, want [%s]", got, key)
	}

	// A missing key is ErrNotFound; so is a deleted one, and deleting
	// twice is fine.
	if _, err := s.Open(ctx, newKey(t)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("missing key: %v", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := s.Open(ctx, key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("deleted key: %v", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Errorf("delete again: %v", err)
	}

	// Over the limit, or content that does not match its announced size:
	// refused, and nothing stored.
	refused := map[string]struct {
		r    io.Reader
		size int64
		want error
	}{
		"over the limit":       {bytes.NewReader(randomBytes(t, limit+1)), limit + 1, storage.ErrTooLarge},
		"longer than declared": {bytes.NewReader(randomBytes(t, 5000)), 4999, storage.ErrSizeMismatch},
		"much longer":          {bytes.NewReader(randomBytes(t, limit)), 1000, storage.ErrSizeMismatch},
		"shorter than said":    {bytes.NewReader(randomBytes(t, 4999)), 5000, storage.ErrSizeMismatch},
		"reader fails":         {io.MultiReader(bytes.NewReader(randomBytes(t, 3000)), failingReader{}), 5000, errBroken},
	}
	for name, c := range refused {
		k := newKey(t)
		err := s.Put(ctx, k, c.r, c.size, "application/pdf")
		if !errors.Is(err, c.want) || errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("%s: %v, want %v (and not the store's fault)", name, err, c.want)
		}
		if _, err := s.Open(ctx, k); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s: something was stored (%v)", name, err)
		}
	}
	if got := keys(t, s); len(got) != 0 {
		t.Errorf("refused puts left %v", got)
	}

	// Only keys NewKey could make: never a path.
	for _, bad := range []string{"", "../etc/passwd", "a/b", ".hidden", "UPPER", "x.pdf"} {
		if err := s.Put(ctx, bad, bytes.NewReader([]byte("x")), 1, ""); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("put %q: %v", bad, err)
		}
		if _, err := s.Open(ctx, bad); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("open %q: %v", bad, err)
		}
	}

	// A caller that gives up gets its own cancellation back.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Put(cctx, newKey(t), bytes.NewReader([]byte("x")), 1, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("put with a cancelled context: %v", err)
	}

	// Concurrent puts: distinct keys all land intact; puts to one key
	// leave one of the versions whole, never a mixture.
	var wg sync.WaitGroup
	want := map[string][]byte{}
	var mu sync.Mutex
	errs := make(chan error, 40)
	for i := range 16 {
		k, b := newKey(t), randomBytes(t, 20_000+i*1000)
		want[k] = b
		wg.Go(func() { errs <- s.Put(ctx, k, bytes.NewReader(b), int64(len(b)), "image/png") })
	}
	shared := newKey(t)
	var versions [][]byte
	for i := range 8 {
		b := bytes.Repeat([]byte{byte('a' + i)}, 200_000)
		mu.Lock()
		versions = append(versions, b)
		mu.Unlock()
		wg.Go(func() { errs <- s.Put(ctx, shared, bytes.NewReader(b), int64(len(b)), "image/png") })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent put: %v", err)
		}
	}
	for k, b := range want {
		if got := readAll(t, s, k); !bytes.Equal(got, b) {
			t.Errorf("concurrent put %s: content differs", k)
		}
	}
	got := readAll(t, s, shared)
	if !slices.ContainsFunc(versions, func(v []byte) bool { return bytes.Equal(v, got) }) {
		t.Errorf("puts to one key left a mixture (%d bytes)", len(got))
	}
	if n := len(keys(t, s)); n != 17 {
		t.Errorf("list after concurrent puts: %d keys, want 17", n)
	}
}

var errBroken = errors.New("the upload broke off")

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errBroken }

// TestS3ObjectsArePrivate: objects carry the type Kindred found, and the
// bucket does not hand them to anyone without credentials.
func TestS3ObjectsArePrivate(t *testing.T) {
	t.Parallel()
	b := testenv.NewS3Bucket(t)
	s := s3Store(t, b, "docs/", 10*time.Second)
	key := newKey(t)
	if err := s.Put(context.Background(), key, bytes.NewReader([]byte("%PDF-1.4\n")), 9, "application/pdf"); err != nil {
		t.Fatal(err)
	}
	info, err := b.Client.StatObject(context.Background(), b.Bucket, "docs/"+key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if info.ContentType != "application/pdf" {
		t.Errorf("content type %q", info.ContentType)
	}
	res, err := http.Get(b.Endpoint + "/" + b.Bucket + "/docs/" + key)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous GET of a document: %d, want 403", res.StatusCode)
	}
}

// TestS3HungServer: a server that accepts connections but never answers
// (SIGSTOPped) costs each call about its timeout, then ErrUnavailable;
// once it is back, everything works again.
func TestS3HungServer(t *testing.T) {
	t.Parallel()
	srv := testenv.NewPrivateS3(t)
	b := srv.NewBucket(t)
	const timeout = time.Second
	s, err := storage.NewS3(storage.S3Options{Endpoint: b.Endpoint, Region: b.Region, Bucket: b.Bucket, AccessKey: b.AccessKey,
		SecretKey: b.SecretKey, PathStyle: true, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key := newKey(t)
	// Larger than what loopback's socket buffers hold, so that part of it
	// is still in the server when it stops.
	content := randomBytes(t, 32<<20)
	if err := s.Put(ctx, key, bytes.NewReader(content), int64(len(content)), "image/png"); err != nil {
		t.Fatal(err)
	}
	obj, err := s.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	half := make([]byte, 1000)
	if _, err := io.ReadFull(obj, half); err != nil {
		t.Fatal(err)
	}

	srv.Pause(t)
	calls := map[string]func() error{
		"put":  func() error { return s.Put(ctx, newKey(t), bytes.NewReader(content[:1<<20]), 1<<20, "image/png") },
		"open": func() error { _, err := s.Open(ctx, key); return err },
		// Another key: the request stays in the socket and the server
		// carries it out when it resumes.
		"delete": func() error { return s.Delete(ctx, newKey(t)) },
		"list":   func() error { return s.List(ctx, func(string) error { return nil }) },
		"check":  func() error { return s.Check(ctx) },
		// The rest of an object that was open when the server stopped.
		"read": func() error { _, err := io.Copy(io.Discard, obj); return err },
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		took := time.Since(start)
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("%s against a hung server: %v, want ErrUnavailable", name, err)
		}
		// The watchdog fires after `timeout` without progress; minio-go's
		// retries all fall within it. The rest is room for a loaded machine.
		if took > timeout+4*time.Second {
			t.Errorf("%s took %v against a hung server (timeout %v)", name, took, timeout)
		}
		t.Logf("%s: %v after %v", name, err, took.Round(time.Millisecond))
	}
	obj.Close()
	srv.Resume(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := s.Open(ctx, key)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := readAll(t, s, key); !bytes.Equal(got, content) {
		t.Error("after the server came back, the object differs")
	}
}

// TestS3SlowReader: a viewer on a slow connection reads a document slower
// than the timeout allows for one read; only time spent waiting on the
// store counts, so the download completes. The timeout leaves the store
// room on a loaded machine (300 ms once fired while the S3 server waited
// for a core during a full CI run); the reader pauses longer than it.
func TestS3SlowReader(t *testing.T) {
	t.Parallel()
	b := testenv.NewS3Bucket(t)
	const timeout = time.Second
	s := s3Store(t, b, "", timeout)
	key := newKey(t)
	content := randomBytes(t, 60_000)
	// The upload is set-up, not what is tested: through a store with room
	// for a loaded machine (the short watchdog once fired on it in make test).
	if err := s3Store(t, b, "", 10*time.Second).Put(context.Background(), key, bytes.NewReader(content), int64(len(content)), "image/png"); err != nil {
		t.Fatal(err)
	}
	obj, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	var got bytes.Buffer
	buf := make([]byte, 16<<10) // several reads, with a pause before each
	reads := 0
	for {
		n, err := obj.Read(buf)
		got.Write(buf[:n])
		reads++
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v", got.Len(), err)
		}
		time.Sleep(timeout + 200*time.Millisecond) // writing to a slow phone
	}
	if reads < 3 {
		t.Fatalf("the document came in %d reads: the pauses between reads were not tested", reads)
	}
	if !bytes.Equal(got.Bytes(), content) {
		t.Errorf("read %d bytes, differing from the %d put", got.Len(), len(content))
	}
}

// TestCopyBetweenStores: documents move from disk to S3 and back byte for
// byte; a second run copies nothing, and a damaged copy is replaced.
func TestCopyBetweenStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	disk, err := storage.NewDisk(t.TempDir(), limit)
	if err != nil {
		t.Fatal(err)
	}
	b := testenv.NewS3Bucket(t)
	s3 := s3Store(t, b, "documents/", 10*time.Second)
	content := map[string][]byte{}
	for range 5 {
		k, c := newKey(t), randomBytes(t, 100_000)
		content[k] = c
		if err := disk.Put(ctx, k, bytes.NewReader(c), int64(len(c)), "application/pdf"); err != nil {
			t.Fatal(err)
		}
	}
	copyAll := func(from, to storage.Store) (n int) {
		for k := range content {
			copied, err := storage.Copy(ctx, from, to, k, "application/pdf")
			if err != nil {
				t.Fatalf("copy %s: %v", k, err)
			}
			if copied {
				n++
			}
		}
		return n
	}
	if n := copyAll(disk, s3); n != 5 {
		t.Fatalf("copied %d of 5", n)
	}
	for k, c := range content {
		if got := readAll(t, s3, k); !bytes.Equal(got, c) {
			t.Errorf("%s differs in S3", k)
		}
		info, err := b.Client.StatObject(ctx, b.Bucket, "documents/"+k, minio.StatObjectOptions{})
		if err != nil || info.ContentType != "application/pdf" {
			t.Errorf("%s in S3: %q %v", k, info.ContentType, err)
		}
	}
	if n := copyAll(disk, s3); n != 0 {
		t.Errorf("a second run copied %d", n)
	}
	// A copy damaged on the way (same size, other bytes) is copied again.
	var damaged string
	for k := range content {
		damaged = k
		break
	}
	junk := randomBytes(t, len(content[damaged]))
	if err := s3.Put(ctx, damaged, bytes.NewReader(junk), int64(len(junk)), ""); err != nil {
		t.Fatal(err)
	}
	if n := copyAll(disk, s3); n != 1 || !bytes.Equal(readAll(t, s3, damaged), content[damaged]) {
		t.Errorf("damaged copy: %d copied", n)
	}
	// And back: S3 to an empty disk.
	back, err := storage.NewDisk(t.TempDir(), limit)
	if err != nil {
		t.Fatal(err)
	}
	if n := copyAll(s3, back); n != 5 {
		t.Fatalf("copied back %d of 5", n)
	}
	for k, c := range content {
		if !bytes.Equal(readAll(t, back, k), c) {
			t.Errorf("%s differs after the way back", k)
		}
	}
	if _, err := storage.Copy(ctx, disk, s3, newKey(t), ""); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("copy of a missing document: %v", err)
	}
}
