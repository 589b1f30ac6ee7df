package safety

import (
	"fmt"
	"strings"
	"testing"
)

// The frozen test split measures the engine on every run. Issue 13 sets
// the targets below; the engine does not meet them yet, so this test
// holds the floors the engine has reached (it fails on any fall below
// them) and prints the distance to the targets. Raise a floor when the
// engine improves; never tune rules against the test texts.
type gate struct {
	detector                string
	targetRecall, targetFPR float64 // issue 13
	floorRecall, ceilingFPR float64 // reached, enforced
}

var gates = []gate{
	{detector: DetectorCrisis, targetRecall: 0.95, targetFPR: 0.05, floorRecall: 0.79, ceilingFPR: 0.06},
	{detector: DetectorUrgent, targetRecall: 0.95, targetFPR: 0.05, floorRecall: 0.90, ceilingFPR: 0.08},
	{detector: DetectorPersonal, targetRecall: 0.95, targetFPR: 0.03, floorRecall: 0.95, ceilingFPR: 0.03},
}

func TestFrozenTestSplit(t *testing.T) {
	var table strings.Builder
	table.WriteString("\nsafety engine " + Version + " on the frozen test split\n")
	for _, g := range gates {
		ex, err := Corpus("test", g.detector)
		if err != nil {
			t.Fatal(err)
		}
		s := Evaluate(g.detector, ex)
		s.WriteTable(&table, false)
		status := "meets issue 13's targets"
		if s.Recall < g.targetRecall || s.FPR > g.targetFPR {
			status = "below issue 13's targets"
		}
		fmt.Fprintf(&table, "  → target recall ≥ %.2f, FPR ≤ %.2f: %s\n", g.targetRecall, g.targetFPR, status)
		if s.Recall < g.floorRecall {
			t.Errorf("%s recall %.3f fell below its floor %.2f", g.detector, s.Recall, g.floorRecall)
		}
		if s.FPR > g.ceilingFPR {
			t.Errorf("%s false-positive rate %.3f rose above its ceiling %.2f", g.detector, s.FPR, g.ceilingFPR)
		}
	}
	t.Log(table.String())
}
