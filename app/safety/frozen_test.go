package safety

import (
	"fmt"
	"strings"
	"testing"
)

// The frozen test split measures the engine on every run against issue
// 13's targets, which it meets (urgent false positives only just: 2 of 40
// look-alikes): any fall below them fails the run. Never tune rules,
// model or thresholds against the test texts.
type gate struct {
	detector                string
	targetRecall, targetFPR float64 // issue 13
	floorRecall, ceilingFPR float64 // reached, enforced
}

var gates = []gate{
	{detector: DetectorCrisis, targetRecall: 0.95, targetFPR: 0.05, floorRecall: 0.95, ceilingFPR: 0.05},
	{detector: DetectorUrgent, targetRecall: 0.95, targetFPR: 0.05, floorRecall: 0.95, ceilingFPR: 0.05},
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
