package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSafetyEvalOnALabelledFile: anyone can measure the engine on their
// own texts; with --json the last line is the figures.
func TestSafetyEvalOnALabelledFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "mine.tsv")
	data := "label\ttext\n1\tI took all my pills an hour ago and I feel strange\n1\tThis is my last post, goodbye everyone\n0\tthis heat is killing me\n0\tI'd kill for a coffee\n"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"safety", "eval", "--detector", "crisis", "--json", file}, func(string) string { return "" }, nil, &out, &errb); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var got struct {
		Detector  string  `json:"detector"`
		NPos      int     `json:"n_pos"`
		NNeg      int     `json:"n_neg"`
		Recall    float64 `json:"recall"`
		FPR       float64 `json:"fpr"`
		Precision float64 `json:"precision"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	if got.Detector != "crisis" || got.NPos != 2 || got.NNeg != 2 || got.Recall != 1 || got.FPR != 0 || got.Precision != 1 {
		t.Errorf("figures %+v", got)
	}
	// Without a detector, or with a bad file, it says what is wrong.
	if err := run(t.Context(), []string{"safety", "eval", file}, func(string) string { return "" }, nil, &out, &errb); err == nil || !strings.Contains(err.Error(), "--detector") {
		t.Errorf("no detector: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.tsv")
	os.WriteFile(bad, []byte("yes\tsomething\n"), 0o600)
	if err := run(t.Context(), []string{"safety", "eval", "--detector", "urgent", bad}, func(string) string { return "" }, nil, &out, &errb); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad file: %v", err)
	}
}

// TestSafetyCheckPrintsFindings: a text on stdin comes back as findings
// with spans and rules, never the text.
func TestSafetyCheckPrintsFindings(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	text := "Her face is drooping and she can't lift her arm, call me on 613-555-0142"
	if err := run(t.Context(), []string{"safety", "check"}, func(string) string { return "" }, strings.NewReader(text), &out, &errb); err != nil {
		t.Fatal(err)
	}
	var r struct {
		Version  string `json:"version"`
		Findings []struct {
			Detector, Category, Level, Rule string
			Spans                           []struct{ Start, End int }
		} `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, f := range r.Findings {
		kinds[f.Detector+"/"+f.Category+"/"+f.Level] = true
		if f.Rule == "" || len(f.Spans) == 0 {
			t.Errorf("finding without evidence: %+v", f)
		}
	}
	if !kinds["urgent/stroke/high"] || !kinds["personal/phone/medium"] || r.Version == "" {
		t.Errorf("findings %s", out.String())
	}
	if strings.Contains(out.String(), "drooping") {
		t.Error("the findings repeat the text")
	}
	// The corpus run names every detector.
	out.Reset()
	if err := run(t.Context(), []string{"safety", "eval", "--split", "dev"}, func(string) string { return "" }, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"crisis: recall", "urgent: recall", "personal: recall"} {
		if !strings.Contains(out.String(), d) {
			t.Errorf("eval output lacks %q", d)
		}
	}
}

// TestSafetyEvalCross: leaving each development file out in turn prints a
// line per file and the total, rules alone beside rules with the model.
func TestSafetyEvalCross(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"safety", "eval", "--cross", "--detector", "urgent"}, func(string) string { return "" }, nil, &out, &errb); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	s := out.String()
	if !strings.Contains(s, "urgent.tsv") || !strings.Contains(s, "rules + model") {
		t.Fatalf("output:\n%s", s)
	}
	var total, borrowed string
	for _, l := range strings.Split(s, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == "all" {
			if total == "" {
				total = l
			} else {
				borrowed = l
			}
		}
	}
	var pos, neg int
	var rr, rf, mr, mf float64
	if _, err := fmt.Sscanf(strings.TrimSpace(total), "all %d %d %f / %f %f / %f", &pos, &neg, &rr, &rf, &mr, &mf); err != nil {
		t.Fatalf("total line %q: %v", total, err)
	}
	// The model must earn its place on files it never saw.
	if pos < 1000 || neg < 1000 || mr <= rr || mr < 0.9 {
		t.Errorf("cross-validation: %q", total)
	}
	// The crisis files' texts that are no emergency, read for false alarms.
	var n int
	var ruleFA, modelFA float64
	if _, err := fmt.Sscanf(strings.TrimSpace(borrowed), "all %d false alarms: rules alone %f, rules + model %f", &n, &ruleFA, &modelFA); err != nil || n < 1000 || modelFA > 0.02 {
		t.Errorf("false alarms on the other detector's texts: %q (%v)", borrowed, err)
	}
	if err := run(t.Context(), []string{"safety", "eval", "--cross", "--detector", "personal"}, func(string) string { return "" }, nil, &out, &errb); err == nil {
		t.Error("cross-validation of personal data (no model) should say it is not offered")
	}
}

// TestSafetyCheckQuietText: a text with nothing in it answers an empty
// list, not null, so scripts can loop over it.
func TestSafetyCheckQuietText(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"safety", "check"}, func(string) string { return "" }, strings.NewReader("The garden is full of tomatoes this year."), &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"findings": []`) {
		t.Errorf("output %s", out.String())
	}
}
