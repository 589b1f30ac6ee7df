// Package search talks to Meilisearch: the thread index, its settings and
// synonyms, the indexing jobs, queries, and the admins' synonym page.
package search

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/meilisearch/meilisearch-go"
)

// Client wraps the Meilisearch client with Kindred's index prefix.
type Client struct {
	ms      meilisearch.ServiceManager
	prefix  string
	timeout time.Duration
	ensured atomic.Bool // the thread index exists with its settings
	// synonyms gives the admins' synonym groups.
	synonyms SynonymSource
}

// DefaultTimeout bounds each request to Meilisearch unless told otherwise
// (KINDRED_SEARCH_TIMEOUT).
const DefaultTimeout = 2 * time.Second

// New connects lazily; Ping checks the server. Every request to
// Meilisearch is bounded by timeout (DefaultTimeout when 0): connecting,
// and waiting for the answer's headers once the request is sent; searches
// are bounded as a whole. Without it a hung (stopped, not dead) Meilisearch
// held every search until the browser gave up. synonyms are the admins'
// synonym groups, applied with the index settings (nil only where no
// settings are applied: tests and tools that read).
func New(url, apiKey, prefix string, timeout time.Duration, synonyms SynonymSource) *Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer := quickAckDialer(timeout)
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}
	ms := meilisearch.New(url, meilisearch.WithAPIKey(apiKey), meilisearch.WithCustomClient(&http.Client{Transport: transport}),
		// A 502-504 is retried after 1 s by default: within the deadline
		// at most once, so an outage answers at once.
		meilisearch.WithCustomRetries([]int{502, 503, 504}, 1))
	return &Client{ms: ms, prefix: prefix, timeout: timeout, synonyms: synonyms}
}

// bounded is ctx limited to the client's timeout, for one request.
func (c *Client) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// Index names an index of this deployment (or test run).
func (c *Client) Index(name string) string { return c.prefix + "_" + name }

// Ping checks that Meilisearch is up and that the API key is accepted.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	h, err := c.ms.HealthWithContext(ctx)
	if err != nil {
		return fmt.Errorf("search: health: %w", err)
	}
	if h.Status != "available" {
		return fmt.Errorf("search: status %q", h.Status)
	}
	if _, err := c.ms.VersionWithContext(ctx); err != nil {
		return fmt.Errorf("search: API key refused: %w", err)
	}
	return nil
}

// appKeyUID names the key for an index pattern, the same at every start
// (so a start finds the key instead of making another) and different for
// another pattern (two deployments, or tests, on one Meilisearch each get
// a key limited to their own indexes): a version-5-style UUID from the
// pattern's SHA-256.
func appKeyUID(indexPattern string) string {
	h := sha256.Sum256([]byte("kindred-app-key\x00" + indexPattern))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// AppKey is the value of the application key for indexPattern, worked out
// without asking Meilisearch: Meilisearch derives a key's value from its
// uid as HMAC-SHA256(master key, uid) in hex, so Kindred can start with
// the right key while Meilisearch is unreachable and create it (same uid,
// same value) once Meilisearch answers. TestAppKeyIsDerivedLocally checks
// the derivation against a real Meilisearch.
func AppKey(masterKey, indexPattern string) string {
	m := hmac.New(sha256.New, []byte(masterKey))
	m.Write([]byte(appKeyUID(indexPattern)))
	return hex.EncodeToString(m.Sum(nil))
}

// EnsureAppKey uses the master key once to find or create the key Kindred
// runs with: it may manage and search the indexes matching indexPattern and
// nothing else (no key management, no dumps, no snapshots). Give ctx a
// deadline: the Meilisearch client has none of its own.
func EnsureAppKey(ctx context.Context, url, masterKey, indexPattern string) (string, error) {
	ms := meilisearch.New(url, meilisearch.WithAPIKey(masterKey))
	uid := appKeyUID(indexPattern)
	k, err := ms.GetKeyWithContext(ctx, uid)
	if err == nil {
		return k.Key, nil
	}
	if !IsNotFound(err) {
		return "", fmt.Errorf("search: read the application key: %w", err)
	}
	k, err = ms.CreateKeyWithContext(ctx, &meilisearch.Key{
		UID:         uid,
		Name:        "kindred-app",
		Description: "Kindred application key",
		Actions:     []string{"search", "documents.*", "indexes.*", "settings.*", "tasks.*", "version"},
		Indexes:     []string{indexPattern},
	})
	if err != nil {
		return "", fmt.Errorf("search: create the application key: %w", err)
	}
	return k.Key, nil
}

// IsNotFound reports whether Meilisearch answered 404.
func IsNotFound(err error) bool {
	var me *meilisearch.Error
	return errors.As(err, &me) && me.StatusCode == http.StatusNotFound
}

// IsRefused reports whether Meilisearch answered and refused the key (401
// or 403): a setting to fix, not an outage to wait out.
func IsRefused(err error) bool {
	var me *meilisearch.Error
	return errors.As(err, &me) && (me.StatusCode == http.StatusUnauthorized || me.StatusCode == http.StatusForbidden)
}
