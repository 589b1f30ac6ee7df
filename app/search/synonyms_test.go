package search

import "testing"

func TestSynonyms(t *testing.T) {
	if n := SynonymGroups(); n < 150 {
		t.Fatalf("%d synonym groups, want at least 150", n)
	}
	s := Synonyms()
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
