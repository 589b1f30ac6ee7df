package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Server says where an S3-compatible server is and how to sign in.
type S3Server struct {
	Endpoint, Region, AccessKey, SecretKey string
}

// S3Bucket is a bucket of a test's own on an S3Server.
type S3Bucket struct {
	S3Server
	Bucket string
	Client *minio.Client
}

// Env returns the Kindred settings that store documents in this bucket.
func (b *S3Bucket) Env() map[string]string {
	return map[string]string{
		"KINDRED_STORAGE":           "s3",
		"KINDRED_S3_ENDPOINT":       b.Endpoint,
		"KINDRED_S3_REGION":         b.Region,
		"KINDRED_S3_BUCKET":         b.Bucket,
		"KINDRED_S3_ACCESS_KEY":     b.AccessKey,
		"KINDRED_S3_SECRET_KEY":     b.SecretKey,
		"KINDRED_S3_USE_PATH_STYLE": "true",
	}
}

// Keys lists the names of every object in the bucket.
func (b *S3Bucket) Keys(t testing.TB) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var keys []string
	for o := range b.Client.ListObjects(ctx, b.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("testenv: list %s: %v", b.Bucket, o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// S3 returns the S3-compatible server `make test` started (S3_TEST_*).
func S3(t testing.TB) S3Server {
	t.Helper()
	Require(t, "S3_TEST_ENDPOINT", "S3_TEST_ACCESS_KEY", "S3_TEST_SECRET_KEY")
	region := os.Getenv("S3_TEST_REGION")
	if region == "" {
		region = "us-east-1"
	}
	return S3Server{Endpoint: os.Getenv("S3_TEST_ENDPOINT"), Region: region,
		AccessKey: os.Getenv("S3_TEST_ACCESS_KEY"), SecretKey: os.Getenv("S3_TEST_SECRET_KEY")}
}

// NewS3Bucket makes a bucket for this test alone on the server `make
// test` started; it is emptied and removed when the test ends.
func NewS3Bucket(t testing.TB) *S3Bucket {
	t.Helper()
	return S3(t).NewBucket(t)
}

// NewBucket makes a bucket for this test on s, removed when the test ends.
func (s S3Server) NewBucket(t testing.TB) *S3Bucket {
	t.Helper()
	client := s.Client(t)
	name := "kt-" + runID + "-" + randomName("")[:8]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := client.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: s.Region}); err != nil {
		t.Fatalf("testenv: make bucket: %v", err)
	}
	b := &S3Bucket{S3Server: s, Bucket: name, Client: client}
	t.Cleanup(func() { b.remove(t) })
	return b
}

// Client is a minio-go client of the server with its root credentials.
func (s S3Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	host, secure := s.Endpoint, false
	if len(host) > 8 && host[:8] == "https://" {
		host, secure = host[8:], true
	} else if len(host) > 7 && host[:7] == "http://" {
		host = host[7:]
	}
	c, err := minio.New(host, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Secure: secure,
		Region: s.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatalf("testenv: s3 client: %v", err)
	}
	return c
}

func (b *S3Bucket) remove(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for o := range b.Client.ListObjects(ctx, b.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Logf("testenv: list %s: %v", b.Bucket, o.Err)
			return
		}
		if err := b.Client.RemoveObject(ctx, b.Bucket, o.Key, minio.RemoveObjectOptions{}); err != nil {
			t.Logf("testenv: remove %s/%s: %v", b.Bucket, o.Key, err)
		}
	}
	if err := b.Client.RemoveBucket(ctx, b.Bucket); err != nil {
		t.Logf("testenv: remove bucket %s: %v", b.Bucket, err)
	}
}

// VersityGWBinary is where `scripts/deps.sh test` puts the S3 server
// (versitygw, an S3 gateway over a directory), relative to the repository.
const VersityGWBinary = ".cache/versitygw/versitygw"

// PrivateS3 is an S3 server of the test's own, which it may pause
// (SIGSTOP: a server that accepts connections and never answers) and
// resume without disturbing other tests.
type PrivateS3 struct {
	S3Server
	cmd *exec.Cmd
}

// NewPrivateS3 starts versitygw on a free loopback port over a temporary
// directory, with random credentials.
func NewPrivateS3(t testing.TB) *PrivateS3 {
	t.Helper()
	bin := filepath.Join(RepoRoot(t), VersityGWBinary)
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("versitygw missing at %s: run `make test`", bin)
		}
		t.Skipf("versitygw missing at %s: run `make test` (CI=true makes this a failure)", bin)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	key := make([]byte, 24)
	_, _ = rand.Read(key)
	p := &PrivateS3{S3Server: S3Server{Endpoint: "http://" + addr, Region: "us-east-1",
		AccessKey: "test" + randomName("")[:8], SecretKey: hex.EncodeToString(key)}}
	dir := t.TempDir()
	p.cmd = exec.Command(bin, versityGWArgs(addr, dir)...)
	p.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+p.AccessKey, "ROOT_SECRET_ACCESS_KEY="+p.SecretKey)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGCONT)
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
	})
	if err := WaitForS3(p.Client(t), 15*time.Second); err != nil {
		t.Fatalf("private S3 server did not start: %v", err)
	}
	return p
}

// Pause stops the server's process (SIGSTOP): the kernel still accepts
// connections, but nothing answers.
func (p *PrivateS3) Pause(t testing.TB) {
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, p.cmd.Process.Pid)
}

// Resume lets it go on (SIGCONT).
func (p *PrivateS3) Resume(t testing.TB) {
	if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
}

// versityGWArgs is versitygw's command line: listen on addr, keep buckets
// as directories under dir. Credentials go in the environment
// (ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY), never on the command line.
func versityGWArgs(addr, dir string) []string {
	return []string{"--port", addr, "--quiet", "posix", dir}
}

// WaitForS3 waits until the server answers a signed request.
func WaitForS3(c *minio.Client, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.ListBuckets(ctx)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
