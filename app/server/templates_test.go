package server_test

import "testing"

// TestEveryPageTemplateParses: New only checks that the pages exist;
// `kindred serve` parses them all once it listens and stops on an error.
// This is that check for the templates shipped.
func TestEveryPageTemplateParses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	if err := h.app.ParseTemplates(); err != nil {
		t.Fatal(err)
	}
}
