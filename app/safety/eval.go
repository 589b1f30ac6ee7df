package safety

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Example is one labelled text of a corpus.
type Example struct {
	Fire     bool   // the detector should fire
	Level    string // crisis corpora: high, medium, low, none
	Category string
	Lang     string
	Text     string
	// Why, after an evaluation: the rule and context behind a miss or a
	// false alarm.
	Why string
}

// ReadExamples reads a labelled file: one example per line, tab-separated.
// Three layouts are understood, by their first line or column count:
//
//	label<TAB>text                        (1 = should fire, 0 = should not)
//	label<TAB>category<TAB>lang<TAB>text
//	level<TAB>category<TAB>lang<TAB>text  (crisis: high and medium fire)
//
// A first line naming the columns is skipped, as are empty lines.
func ReadExamples(r io.Reader) ([]Example, error) {
	var out []Example
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(s) == "" {
			continue
		}
		f := strings.Split(s, "\t")
		if line == 1 && (f[0] == "label" || f[0] == "level") {
			continue
		}
		var ex Example
		switch len(f) {
		case 2:
			ex.Text = f[1]
		case 4:
			ex.Category, ex.Lang, ex.Text = f[1], f[2], f[3]
		default:
			return nil, fmt.Errorf("line %d: want 2 or 4 tab-separated columns, got %d", line, len(f))
		}
		switch f[0] {
		case "1":
			ex.Fire = true
		case "0":
		case "high", "medium":
			ex.Fire, ex.Level = true, f[0]
		case "low", "none":
			ex.Level = f[0]
		default:
			return nil, fmt.Errorf("line %d: the label must be 1, 0, high, medium, low or none, not %q", line, f[0])
		}
		out = append(out, ex)
	}
	return out, sc.Err()
}

// Fires says whether a detector's findings count as firing: crisis at
// medium or high, urgent at medium or high, personal data at all.
func Fires(detector string, f []Finding) bool {
	for _, x := range f {
		if x.Detector != detector {
			continue
		}
		if detector == DetectorPersonal || x.Level >= LevelMedium {
			return true
		}
	}
	return false
}

// Scores are a detector's figures over a labelled set.
type Scores struct {
	Detector  string  `json:"detector"`
	NPos      int     `json:"n_pos"`
	NNeg      int     `json:"n_neg"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	Recall    float64 `json:"recall"`
	FPR       float64 `json:"fpr"`
	Precision float64 `json:"precision"`
	// By category: how many of each fired, of how many.
	Categories []CategoryScore `json:"-"`
	Misses     []Example       `json:"-"` // should fire, did not
	False      []Example       `json:"-"` // fired, should not
}

// CategoryScore is one category's line.
type CategoryScore struct {
	Category string
	Fire     bool // positives (recall) or negatives (false alarms)
	N, Fired int
}

// Evaluate runs detector over the examples.
func Evaluate(detector string, examples []Example) Scores {
	s := Scores{Detector: detector}
	cats := map[string]*CategoryScore{}
	for _, ex := range examples {
		found := Detect(detector, ex.Text)
		fired := Fires(detector, found)
		key := fmt.Sprintf("%v/%s", ex.Fire, ex.Category)
		c := cats[key]
		if c == nil {
			c = &CategoryScore{Category: ex.Category, Fire: ex.Fire}
			cats[key] = c
		}
		c.N++
		if fired {
			c.Fired++
		}
		switch {
		case ex.Fire:
			s.NPos++
			if fired {
				s.TP++
			} else {
				ex.Why = why(found)
				s.Misses = append(s.Misses, ex)
			}
		default:
			s.NNeg++
			if fired {
				s.FP++
				ex.Why = why(found)
				s.False = append(s.False, ex)
			}
		}
	}
	if s.NPos > 0 {
		s.Recall = float64(s.TP) / float64(s.NPos)
	}
	if s.NNeg > 0 {
		s.FPR = float64(s.FP) / float64(s.NNeg)
	}
	if s.TP+s.FP > 0 {
		s.Precision = float64(s.TP) / float64(s.TP+s.FP)
	}
	for _, c := range cats {
		s.Categories = append(s.Categories, *c)
	}
	sort.Slice(s.Categories, func(i, j int) bool {
		a, b := s.Categories[i], s.Categories[j]
		if a.Fire != b.Fire {
			return a.Fire
		}
		return a.Category < b.Category
	})
	return s
}

// why names the strongest finding: its rule, level and context.
func why(found []Finding) string {
	if len(found) == 0 {
		return "nothing matched"
	}
	best := found[0]
	for _, f := range found[1:] {
		if f.Level > best.Level {
			best = f
		}
	}
	w := best.Rule + " " + best.Level.String()
	if best.Context != "" {
		w += " (" + best.Context + ")"
	}
	return w
}

// WriteTable prints the scores for people: totals, each category, and
// (when misses is true) every miss and false alarm.
func (s Scores) WriteTable(w io.Writer, misses bool) {
	fmt.Fprintf(w, "%s: recall %.3f (%d/%d), false-positive rate %.3f (%d/%d), precision %.3f\n",
		s.Detector, s.Recall, s.TP, s.NPos, s.FPR, s.FP, s.NNeg, s.Precision)
	for _, c := range s.Categories {
		if c.Category == "" {
			continue
		}
		what := "fired"
		if !c.Fire {
			what = "false alarms"
		}
		fmt.Fprintf(w, "  %-4s %-22s %3d/%-3d %s\n", map[bool]string{true: "+", false: "-"}[c.Fire], c.Category, c.Fired, c.N, what)
	}
	if !misses {
		return
	}
	for _, ex := range s.Misses {
		fmt.Fprintf(w, "  missed      [%s %s] %s\n                {%s}\n", ex.Category, ex.Lang, ex.Text, ex.Why)
	}
	for _, ex := range s.False {
		fmt.Fprintf(w, "  false alarm [%s %s] %s\n                {%s}\n", ex.Category, ex.Lang, ex.Text, ex.Why)
	}
}
