// Package moderation keeps the community safe: reports and their weights,
// auto-hiding, the review queue and moderators' actions.
package moderation

import "github.com/kindred-health/kindred/models"

// ReporterStats is what a report's weight depends on.
type ReporterStats struct {
	Clinician bool // holds a verification now
	Upheld    int  // earlier reports moderators upheld
	Dismissed int  // earlier reports moderators dismissed
}

// Weight is how much one report counts towards hiding its target: 1 for
// a member; 2 for a verified clinician reporting misinformation; times a
// track-record factor from 0.5 (two or more dismissed) to 2 (four or more
// upheld), a quarter per report either way.
func Weight(st ReporterStats, reason models.ReportReason) float64 {
	w := 1.0
	if st.Clinician && reason == models.ReasonMisinformation {
		w = 2
	}
	factor := 1 + 0.25*float64(min(st.Upheld, 4)) - 0.25*float64(min(st.Dismissed, 2))
	return w * factor
}
