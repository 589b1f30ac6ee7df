package main

import (
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/safety"
)

// TestDemoContentIsCalm: the demo forum is ordinary health talk (a
// sensor's alarms, a school trip, thanks for advice), the kind of text a
// real forum is made of. No rule may find a crisis or an emergency in it,
// nothing may reach high (every moderator alerted), and the model alone
// may misread at most one text: its measured false-alarm rate on ordinary
// forum writing is about 0.5% (README), and the demo has some sixty texts.
// More than one is a regression a fresh install would show as crisis
// reports in the moderators' queue.
func TestDemoContentIsCalm(t *testing.T) {
	t.Parallel()
	var byModel []string
	n := 0
	check := func(what, text string) {
		n++
		for _, f := range safety.Analyze(text).Findings {
			if f.Detector == safety.DetectorPersonal || f.Level < safety.LevelMedium {
				continue
			}
			if f.Level == safety.LevelHigh || !strings.HasSuffix(f.Rule, ".model") {
				t.Errorf("%s %q: %s %s (%s)", what, text, f.Detector, f.Level, f.Rule)
				continue
			}
			byModel = append(byModel, f.Detector+" "+f.Rule+": "+text)
		}
	}
	for _, dt := range demoThreads {
		check("thread", dt.Title+"\n"+dt.Body)
		for _, r := range dt.Replies {
			check("reply", r.Body)
		}
	}
	if n < 50 {
		t.Fatalf("only %d demo texts", n)
	}
	if len(byModel) > 1 {
		t.Errorf("the model alone misread %d of %d demo texts:\n%s", len(byModel), n, strings.Join(byModel, "\n"))
	}
	t.Logf("%d demo texts, %d misread by the model alone", n, len(byModel))
}
