package safety

import (
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzAnalyze: any text at all returns (no panic, no endless loop), with
// spans inside the text, and the same answer twice. `go test` runs the
// seeds; `go test -fuzz FuzzAnalyze ./app/safety` looks further.
func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{"", "@", "@@@@ $$$ !!!", "text me, my insta is @jen_rides", "j'", "'''", "1.2.3", "3,4 .5 5.", "su1c1de", "ÉTÉ À L'HÔPITAL",
		"I took all my pills 20 min ago", "né le 3 mai 1958", "\x00\xff", "a\u202Eb", "kms rn", "...", "?!?!", "l'l'l'l'", "t't't'", "o'd'd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var r Report
		done := make(chan struct{})
		go func() { r = Analyze(s); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Analyze(%q) runs for ever", s)
		}
		for _, x := range r.Findings {
			for _, sp := range x.Spans {
				if sp.Start < 0 || sp.End > len(s) || sp.Start > sp.End {
					t.Fatalf("span %+v outside %d bytes", sp, len(s))
				}
			}
		}
		if utf8.ValidString(s) && len(Analyze(s).Findings) != len(r.Findings) {
			t.Fatal("not deterministic")
		}
	})
}
