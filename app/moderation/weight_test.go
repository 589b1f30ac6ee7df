package moderation

import (
	"testing"

	"github.com/kindred-health/kindred/models"
)

func TestWeight(t *testing.T) {
	cases := []struct {
		name   string
		st     ReporterStats
		reason models.ReportReason
		want   float64
	}{
		{"a member", ReporterStats{}, models.ReasonSpam, 1},
		{"a clinician on misinformation", ReporterStats{Clinician: true}, models.ReasonMisinformation, 2},
		{"a clinician on anything else", ReporterStats{Clinician: true}, models.ReasonHarassment, 1},
		{"one upheld report", ReporterStats{Upheld: 1}, models.ReasonSpam, 1.25},
		{"upheld reports count up to four", ReporterStats{Upheld: 9}, models.ReasonSpam, 2},
		{"one dismissed report", ReporterStats{Dismissed: 1}, models.ReasonSpam, 0.75},
		{"dismissed reports count down to two", ReporterStats{Dismissed: 7}, models.ReasonSpam, 0.5},
		{"both", ReporterStats{Upheld: 2, Dismissed: 1}, models.ReasonSpam, 1.25},
		{"a trusted clinician on misinformation", ReporterStats{Clinician: true, Upheld: 4}, models.ReasonMisinformation, 4},
	}
	for _, tc := range cases {
		if got := Weight(tc.st, tc.reason); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
