package safety

import (
	"encoding/json"
	"sort"
)

// Version names the rules in force; every stored finding carries it, so a
// decision can be explained later with the rules that made it.
const Version = "2026.11.2"

// Level is how serious a finding is.
type Level int

// Levels, lowest first.
const (
	LevelNone Level = iota
	LevelLow
	LevelMedium
	LevelHigh
)

var levelNames = [...]string{"none", "low", "medium", "high"}

func (l Level) String() string {
	if l < LevelNone || l > LevelHigh {
		return "none"
	}
	return levelNames[l]
}

// MarshalJSON writes the level's name.
func (l Level) MarshalJSON() ([]byte, error) { return json.Marshal(l.String()) }

// ParseLevel reads a level's name ("" and unknown names are none).
func ParseLevel(s string) Level {
	for i, n := range levelNames {
		if n == s {
			return Level(i)
		}
	}
	return LevelNone
}

// The detectors.
const (
	DetectorCrisis   = "crisis"
	DetectorUrgent   = "urgent"
	DetectorPersonal = "personal"
)

// Finding is one thing a detector found: what, how serious, where (spans
// of the original text), which rule fired and what in the context changed
// its level. It never holds the text itself.
type Finding struct {
	Detector string `json:"detector"`
	Category string `json:"category"`
	Level    Level  `json:"level"`
	Spans    []Span `json:"spans"`
	Rule     string `json:"rule"`
	Context  string `json:"context,omitempty"` // negated, someone else, past, awareness, …
	// Score is the model's probability, for its own findings (rule
	// "….model") and for rules' findings it lowered.
	Score float32 `json:"score,omitempty"`
}

// Label says what a personal-data finding is, for its author.
func (f Finding) Label() string {
	if l, ok := personalLabels[f.Category]; ok {
		return l
	}
	return f.Category
}

// Report is the engine's answer for one text.
type Report struct {
	Version  string    `json:"version"`
	Lang     string    `json:"lang"`
	Findings []Finding `json:"findings"`
}

// Max is the highest level a detector reached.
func (r Report) Max(detector string) Level {
	max := LevelNone
	for _, f := range r.Findings {
		if f.Detector == detector && f.Level > max {
			max = f.Level
		}
	}
	return max
}

// Of lists one detector's findings.
func (r Report) Of(detector string) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Detector == detector {
			out = append(out, f)
		}
	}
	return out
}

// Analyze runs the three detectors over text. It is pure and
// deterministic: no network, no state, the same answer every time.
func Analyze(text string) Report {
	v := getView(text)
	defer putView(v)
	r := Report{Version: Version, Lang: v.language(), Findings: []Finding{}} // [] in JSON when nothing is found
	r.Findings = append(r.Findings, crisis(v)...)
	r.Findings = append(r.Findings, urgent(v)...)
	r.Findings = append(r.Findings, v.personal()...)
	sort.SliceStable(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if a.Detector != b.Detector {
			return a.Detector < b.Detector
		}
		return a.Level > b.Level
	})
	return r
}

// Detect runs one detector.
func Detect(detector, text string) []Finding {
	switch detector {
	case DetectorPersonal:
		return personal(text)
	case DetectorCrisis, DetectorUrgent:
		v := getView(text)
		defer putView(v)
		if detector == DetectorCrisis {
			return crisis(v)
		}
		return urgent(v)
	}
	return nil
}

// spanOf is the original-text span of tokens [from, to).
func (v *view) spanOf(from, to int) Span {
	return Span{Start: v.toks[from].start, End: v.toks[to-1].end}
}
