package safety

import "strings"

// CallsForEmergencyGuidance is the one rule for showing emergency guidance:
// urgent symptoms happening now (urgent, medium or high) or an imminent
// crisis (crisis, high).
func CallsForEmergencyGuidance(f Finding) bool {
	return (f.Detector == DetectorUrgent && f.Level >= LevelMedium) || (f.Detector == DetectorCrisis && f.Level >= LevelHigh)
}

// EmergencyEvidence returns what in text calls for emergency guidance, in
// the writer's own words: the spans of the findings that meet
// CallsForEmergencyGuidance, then any of the operator's extra terms the
// text contains (case-insensitive). findings must come from analysing this
// very text. Each piece is trimmed to 60 characters; repeats are dropped.
func EmergencyEvidence(text string, findings []Finding, extra []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(ev string) {
		ev = strings.Join(strings.Fields(ev), " ")
		if r := []rune(ev); len(r) > 60 {
			ev = string(r[:60]) + "…"
		}
		if k := strings.ToLower(ev); ev != "" && !seen[k] {
			seen[k] = true
			out = append(out, ev)
		}
	}
	for _, f := range findings {
		if !CallsForEmergencyGuidance(f) {
			continue
		}
		for _, sp := range f.Spans {
			if sp.Start >= 0 && sp.Start <= sp.End && sp.End <= len(text) {
				add(text[sp.Start:sp.End])
			}
		}
	}
	lower := strings.ToLower(text)
	for _, t := range extra {
		if t != "" && strings.Contains(lower, strings.ToLower(t)) {
			add(t)
		}
	}
	return out
}
