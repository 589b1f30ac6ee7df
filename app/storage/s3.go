package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Options configure an S3-compatible store.
type S3Options struct {
	// Endpoint is the service's URL: https://s3.eu-west-1.amazonaws.com,
	// http://127.0.0.1:9000. Its scheme decides TLS.
	Endpoint  string
	Region    string
	Bucket    string
	AccessKey string
	SecretKey string
	// Prefix is put before every key ("github.com/kindred-health/kindred/documents/"), so several
	// stores can share a bucket without seeing each other's objects.
	Prefix string
	// PathStyle addresses the bucket in the path (endpoint/bucket/key),
	// as most self-hosted servers want; otherwise minio-go picks
	// (virtual-host style for AWS).
	PathStyle bool
	// Timeout bounds every call: a request without progress for this long
	// is abandoned and reported as ErrUnavailable.
	Timeout time.Duration
	// MaxSize is the largest object accepted (0: no limit).
	MaxSize int64
}

// S3 keeps objects in a bucket of an S3-compatible service (AWS, MinIO,
// Ceph, Garage, versitygw, …), through minio-go. Objects are written
// without any ACL, so they stay private to the bucket's owner: Kindred
// serves them itself, after its own permission check and audit.
type S3 struct {
	client *minio.Client
	core   minio.Core
	o      S3Options
}

// NewS3 builds the client; it makes no request.
func NewS3(o S3Options) (*S3, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("storage: S3 endpoint must be an http(s) URL, not %q", o.Endpoint)
	}
	if o.Bucket == "" {
		return nil, errors.New("storage: no S3 bucket configured")
	}
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	secure := u.Scheme == "https"
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	// Every stage of a request has its own bound, below the call's.
	tr.DialContext = (&net.Dialer{Timeout: min(o.Timeout, 5*time.Second), KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = o.Timeout
	tr.TLSHandshakeTimeout = min(o.Timeout, 10*time.Second)
	tr.ExpectContinueTimeout = time.Second
	lookup := minio.BucketLookupAuto
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure:       secure,
		Region:       o.Region,
		BucketLookup: lookup,
		Transport:    tr,
		// A few quick retries for a blip; the watchdog bounds them all.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: S3 client: %w", err)
	}
	return &S3{client: client, core: minio.Core{Client: client}, o: o}, nil
}

// String names the store for logs and the copy command (never a secret).
func (s *S3) String() string {
	return "S3 bucket " + s.o.Bucket + " at " + s.o.Endpoint
}

// Check makes sure the bucket exists and the credentials reach it.
func (s *S3) Check(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	ok, err := s.client.BucketExists(cctx, s.o.Bucket)
	if err != nil {
		return s.failed(ctx, nil, "check bucket", err)
	}
	if !ok {
		return fmt.Errorf("storage: S3 bucket %q does not exist", s.o.Bucket)
	}
	return nil
}

// failed turns a client error into ours: the caller's own cancellation
// stays itself, everything else (time-outs, refusals, server errors,
// denied access) is ErrUnavailable.
func (s *S3) failed(parent context.Context, wd *watchdog, op string, err error) error {
	if parent.Err() != nil {
		return fmt.Errorf("storage: s3 %s: %w", op, parent.Err())
	}
	if wd != nil && wd.Fired() {
		return fmt.Errorf("storage: s3 %s: %w: no progress for %v", op, ErrUnavailable, s.o.Timeout)
	}
	return fmt.Errorf("storage: s3 %s: %w: %w", op, ErrUnavailable, err)
}

func isNoSuchKey(err error) bool {
	resp := minio.ToErrorResponse(err)
	return resp.Code == "NoSuchKey" || (resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket")
}

// Put implements Store.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if err := checkPut(key, size, s.o.MaxSize); err != nil {
		return err
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wd := newWatchdog(s.o.Timeout, cancel)
	defer wd.stop()
	exact := newExactReader(r, size)
	_, err := s.client.PutObject(cctx, s.o.Bucket, s.o.Prefix+key, &progressReader{r: exact, wd: wd}, size, minio.PutObjectOptions{
		ContentType: contentType,
		// One request: an object exists whole or not at all, and no
		// unfinished multipart upload is left behind.
		DisableMultipart: true,
	})
	if err == nil {
		return nil
	}
	// The content's own failure (too short, too long, a read error) is
	// not the store's.
	if exact.err != nil && exact.err != io.EOF {
		return fmt.Errorf("storage: s3 put %s: %w", key, exact.err)
	}
	return s.failed(ctx, wd, "put "+key, err)
}

// Open implements Store. The body is guarded read by read: a store that
// stops sending fails the read after Timeout.
func (s *S3) Open(ctx context.Context, key string) (*Object, error) {
	if !ValidKey(key) {
		return nil, ErrBadKey
	}
	cctx, cancel := context.WithCancel(ctx)
	wd := newWatchdog(s.o.Timeout, cancel)
	body, info, _, err := s.core.GetObject(cctx, s.o.Bucket, s.o.Prefix+key, minio.GetObjectOptions{})
	wd.pause()
	if err != nil {
		wd.stop()
		cancel()
		if isNoSuchKey(err) {
			return nil, fmt.Errorf("storage: s3 open %s: %w", key, ErrNotFound)
		}
		return nil, s.failed(ctx, wd, "open "+key, err)
	}
	return &Object{ReadCloser: &guardedBody{rc: body, wd: wd, cancel: cancel}, Size: info.Size}, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return ErrBadKey
	}
	cctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	// S3 answers a delete of a missing object with success.
	if err := s.client.RemoveObject(cctx, s.o.Bucket, s.o.Prefix+key, minio.RemoveObjectOptions{}); err != nil {
		return s.failed(ctx, nil, "delete "+key, err)
	}
	return nil
}

// List implements Store: every key under the prefix, one page (1,000
// keys) per request, each page within Timeout.
func (s *S3) List(ctx context.Context, fn func(key string) error) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wd := newWatchdog(s.o.Timeout, cancel)
	defer wd.stop()
	for obj := range s.client.ListObjects(cctx, s.o.Bucket, minio.ListObjectsOptions{Prefix: s.o.Prefix, Recursive: true}) {
		wd.pause()
		if obj.Err != nil {
			return s.failed(ctx, wd, "list", obj.Err)
		}
		key := strings.TrimPrefix(obj.Key, s.o.Prefix)
		if ValidKey(key) {
			if err := fn(key); err != nil {
				return err
			}
		}
		wd.arm()
	}
	if wd.Fired() {
		return fmt.Errorf("storage: s3 list: %w: timed out", ErrUnavailable)
	}
	return ctx.Err()
}
