package search

import (
	"strings"
	"testing"
)

func TestSynonyms(t *testing.T) {
	if n := SynonymGroups(); n < 150 {
		t.Fatalf("%d synonym groups, want at least 150", n)
	}
	s := FileSynonyms()
	for term, want := range map[string]string{
		"heart attack": "myocardial infarction", "myocardial infarction": "heart attack", "t1d": "type 1 diabetes",
		"high blood pressure": "hypertension", "paracetamol": "acetaminophen", "epipen": "adrenaline auto-injector",
	} {
		if !contains(s[term], want) {
			t.Errorf("%q does not find %q: %v", term, want, s[term])
		}
	}
	if contains(s["heart attack"], "cardiac arrest") {
		t.Error("a heart attack is not a cardiac arrest")
	}
}

func TestParseGroup(t *testing.T) {
	g, err := ParseGroup(" Brain  Fog, cognitive fatigue,brain fog ")
	if err != nil || strings.Join(g, "|") != "brain fog|cognitive fatigue" {
		t.Fatalf("%q %v", g, err)
	}
	for _, bad := range []string{"", "one", "a, <b>", "a, b, c, d, e, f, g, h, i, j, k", "x, " + strings.Repeat("y", 61)} {
		if _, err := ParseGroup(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
