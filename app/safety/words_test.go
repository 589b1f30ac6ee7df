package safety

import (
	"reflect"
	"testing"
)

func TestMatch(t *testing.T) {
	words := []Word{
		{Pattern: "miracle cure", Action: ActionBlock},
		{Pattern: "ass", Action: ActionFlag},
		{Pattern: "café", Action: ActionApproval},
		{Pattern: "kill myself", Action: ActionCrisis},
		{Pattern: "Ölbad", Action: ActionFlag},
		{Pattern: "self-harm", Action: ActionCrisis},
	}
	cases := []struct {
		text string
		want []string
	}{
		{"This MIRACLE   Cure works!", []string{"miracle cure"}},
		{"a miracle, cure", []string{"miracle cure"}}, // punctuation separates words only
		{"miraclecure", nil},                               // no match inside another word
		{"my class was great, we passed", nil},             // "ass" inside words
		{"what an ass.", []string{"ass"}},                  // at the end, with punctuation
		{"meet at the cafe", []string{"café"}},             // accents ignored in the text…
		{"meet at the CAFÉ", []string{"café"}},             // …and in the pattern, any case
		{"I want to kill myself", []string{"kill myself"}}, // phrases
		{"I want to kill my self", nil},
		{"ein olbad am Abend", []string{"Ölbad"}},
		{"thoughts of self harm", []string{"self-harm"}}, // hyphen or space
		{"selfharm", nil},
		{"", nil},
	}
	for _, tc := range cases {
		var got []string
		for _, h := range Match(tc.text, words) {
			got = append(got, h.Pattern)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestCheck(t *testing.T) {
	words := []Word{{Pattern: "miracle cure", Action: ActionBlock}, {Pattern: "buy now", Action: ActionApproval},
		{Pattern: "stop taking", Action: ActionFlag}, {Pattern: "suicide", Action: ActionCrisis}}
	r := Check("Buy now! A miracle cure, stop taking insulin. Thinking about suicide. Call 07700 900123", words)
	if !reflect.DeepEqual(r.Blocked, []string{"miracle cure"}) || !r.Approval || !reflect.DeepEqual(r.Flagged, []string{"stop taking"}) || !r.Crisis ||
		len(r.Personal) != 1 || r.Personal[0].Category != "phone" {
		t.Fatalf("%+v", r)
	}
	if r := Check("A good day.", words); r.Blocked != nil || r.Approval || r.Flagged != nil || r.Crisis || r.Personal != nil {
		t.Fatalf("clean text: %+v", r)
	}
}
