package moderation

import (
	"testing"

	"github.com/kindred-health/kindred/app/safety"
)

func TestMatchCrisisResource(t *testing.T) {
	list := []CrisisResource{
		{ID: 1, Language: "en", IsDefault: true},
		{ID: 2, Language: "en", Region: "CA"},
		{ID: 3, Language: "fr"},
		{ID: 4, Language: "fr", Region: "CA"},
		{ID: 5, Language: "fr", Region: "CA-QC"},
		{ID: 6, Language: "fr", Region: "FR"},
	}
	for _, tc := range []struct {
		lang, region string
		want         int64
	}{
		{"fr", "CA-QC", 5}, // exact
		{"fr", "CA-ON", 4}, // the country
		{"fr", "CA", 4},
		{"fr", "BE", 3},    // the language
		{"fr", "", 3},      // the language
		{"en", "CA-QC", 2}, // the country
		{"en", "GB", 1},    // the language is the default's
		{"", "CA", 2},      // no language: the default's
		{"", "", 1},
		{"de", "DE", 1}, // the default
	} {
		if got := MatchCrisisResource(list, tc.lang, tc.region); got == nil || got.ID != tc.want {
			t.Errorf("%s-%s: got %v, want %d", tc.lang, tc.region, got, tc.want)
		}
	}
	if MatchCrisisResource(nil, "en", "") != nil {
		t.Error("an empty list matched")
	}
}

func TestHighlightEscapesAndMergesSpans(t *testing.T) {
	text := "<i>a</i> bc déf"
	got := string(HighlightFindings(text, nil))
	if got != "&lt;i&gt;a&lt;/i&gt; bc déf" {
		t.Errorf("no findings: %q", got)
	}
	fs := []safety.Finding{
		{Spans: []safety.Span{{Start: 9, End: 11}, {Start: 0, End: 3}}},
		{Spans: []safety.Span{{Start: 10, End: 16}, {Start: 50, End: 60}}}, // overlaps; out of range
	}
	got = string(HighlightFindings(text, fs))
	if want := "<mark>&lt;i&gt;</mark>a&lt;/i&gt; <mark>bc déf</mark>"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
