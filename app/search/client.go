// Package search talks to Meilisearch. For now it connects and reports
// health; indexing and queries arrive with the search feature.
package search

import (
	"context"
	"fmt"

	"github.com/meilisearch/meilisearch-go"
)

// Client wraps the Meilisearch client with Kindred's index prefix.
type Client struct {
	ms     meilisearch.ServiceManager
	prefix string
}

// New connects lazily; Ping checks the server.
func New(url, apiKey, prefix string) *Client {
	return &Client{ms: meilisearch.New(url, meilisearch.WithAPIKey(apiKey)), prefix: prefix}
}

// Index names an index of this deployment (or test run).
func (c *Client) Index(name string) string { return c.prefix + "_" + name }

// Ping checks that Meilisearch is up and that the API key is accepted.
func (c *Client) Ping(ctx context.Context) error {
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
