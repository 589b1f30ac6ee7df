package search

import (
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/models"
)

func TestHighlighted(t *testing.T) {
	in := "<script>alert(1)</script> \x02heart\x03 & <b>soul</b>"
	want := "&lt;script&gt;alert(1)&lt;/script&gt; <mark>heart</mark> &amp; &lt;b&gt;soul&lt;/b&gt;"
	if got := highlighted(in); got != want {
		t.Fatalf("%q\nwant %q", got, want)
	}
	if Clean("a\x02b\x03c") != "abc" {
		t.Fatal("markers not removed")
	}
}

func TestFiltersTakeOnlyAllowedValues(t *testing.T) {
	all := []string{"public", "members", "clinicians"}
	q := Query{Audiences: []string{"public", `x" OR audience = "clinicians`}, Forum: "heart", Tag: "type-1", Answered: true,
		From: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}
	got, ok := q.filters(true)
	want := `(audience = "public") AND forum = "heart" AND tags = "type-1" AND has_clinician_answer = true AND created_at >= 1767312000`
	if !ok || got != want {
		t.Fatalf("%v %q\nwant %q", ok, got, want)
	}
	if got, _ := q.filters(false); strings.Contains(got, "forum") {
		t.Errorf("the facet query kept the forum filter: %q", got)
	}
	for _, bad := range []Query{
		{Audiences: all, Forum: `x" OR audience = "clinicians`},
		{Audiences: all, Tag: `a" OR tags EXISTS`},
		{Audiences: all, Tag: "UPPER"},
		{Audiences: []string{"everyone"}},
		{},
	} {
		if f, ok := bad.filters(true); ok {
			t.Errorf("%+v became a filter: %q", bad, f)
		}
	}
}

func TestSettings(t *testing.T) {
	s := threadSettings([][]string{{"brain fog", "cognitive fatigue"}})
	if !contains(s.Synonyms["brain fog"], "cognitive fatigue") || !contains(s.Synonyms["heart attack"], "myocardial infarction") {
		t.Error("the admins' groups and the file's are not both in the synonyms")
	}
	// "the change" (menopause) and "shortness of breath" keep their words.
	for _, w := range []string{"the", "of"} {
		if contains(s.StopWords, w) {
			t.Errorf("%q is a stop word but a synonym phrase needs it", w)
		}
	}
	if !contains(s.StopWords, "anyone") || !contains(s.StopWords, "has") {
		t.Error("common words of questions are not stop words")
	}
	if !s.TypoTolerance.DisableOnNumbers {
		t.Error("typos are allowed in numbers: 7.2 would find 7.3")
	}
}

func TestSeal(t *testing.T) {
	a := models.PostDoc{ID: "p1", ThreadID: 1, PostID: 1, Title: "A", Tags: []string{"x"}}
	b := a
	b.Tags = []string{"y"}
	Seal(&a)
	Seal(&b)
	if a.Digest == "" || a.Digest == b.Digest {
		t.Fatalf("digests %q %q", a.Digest, b.Digest)
	}
	c := a
	Seal(&c)
	if c.Digest != a.Digest {
		t.Error("sealing twice changed the digest")
	}
	// A reply's counts are left out of its digest (only the head keeps
	// them current), not its thread's fields.
	r := models.PostDoc{ID: "p2", ThreadID: 1, PostID: 2, Title: "A", Tags: []string{"x"}, ReplyCount: 3}
	later := r
	later.ReplyCount, later.LastActivity = 9, 100
	Seal(&r)
	Seal(&later)
	if r.Digest != later.Digest || r.ThreadDigest != a.ThreadDigest || r.ThreadDigest == b.ThreadDigest {
		t.Errorf("reply digests %q %q, thread digests %q %q %q", r.Digest, later.Digest, r.ThreadDigest, a.ThreadDigest, b.ThreadDigest)
	}
	head, busier := a, a
	head.Head, busier.Head, busier.ReplyCount = true, true, 9
	Seal(&head)
	Seal(&busier)
	if head.Digest == busier.Digest {
		t.Error("a head's reply count is not in its digest")
	}
}
