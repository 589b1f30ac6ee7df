package search

import (
	"context"
	"os"
	"testing"

	"github.com/meilisearch/meilisearch-go"

	"github.com/kindred-health/kindred/app/testenv"
)

func TestAppKeyIsLimited(t *testing.T) {
	testenv.Require(t, "MEILI_URL", "MEILI_MASTER_KEY")
	url, master := os.Getenv("MEILI_URL"), os.Getenv("MEILI_MASTER_KEY")
	ctx := context.Background()
	key, err := EnsureAppKey(ctx, url, master, "*")
	if err != nil {
		t.Fatal(err)
	}
	again, err := EnsureAppKey(ctx, url, master, "*")
	if err != nil || again != key {
		t.Fatalf("second call made another key: %v", err)
	}
	if AppKey(master, "*") != key {
		t.Fatal("AppKey does not work out the value Meilisearch gave the key")
	}
	if AppKey(master, "other_*") == key || AppKey("another-master", "*") == key {
		t.Fatal("AppKey gives the same value for another pattern or master key")
	}
	if key == master {
		t.Fatal("the app key is the master key")
	}
	c := New(url, key, "kindred", 0, nil)
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("app key cannot reach Meilisearch: %v", err)
	}
	// It must not manage keys.
	if _, err := meilisearch.New(url, meilisearch.WithAPIKey(key)).GetKeysWithContext(ctx, nil); err == nil {
		t.Fatal("the app key can list API keys")
	}
	if err := New(url, "wrong", "kindred", 0, nil).Ping(ctx); err == nil {
		t.Fatal("a wrong key passed Ping")
	}
}
