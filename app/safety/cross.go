package safety

import (
	"fmt"
	"io"
	"io/fs"
	"path"
)

// CrossFile is one development file read by an engine whose model never
// saw it: the model is trained on the other files.
type CrossFile struct {
	File       string
	NPos, NNeg int
	// The rules alone (they were written with every development file in
	// view, so on older files they read better than on new text), then
	// rules and model together.
	RulesTP, RulesFP int
	TP, FP           int
}

// CrossValidate leaves each development file of a detector out in turn,
// trains the model on the rest and reads the file left out. It is how the
// thresholds that combine rules and model were chosen, and the fairest
// figure the development corpus can give for text the model has not seen.
func CrossValidate(detector string) ([]CrossFile, error) {
	th := crisisThresholds
	rules := crisisRules
	switch detector {
	case DetectorCrisis:
	case DetectorUrgent:
		th, rules = urgentThresholds, urgentRules
	default:
		return nil, fmt.Errorf("safety: cross-validation is for crisis and urgent")
	}
	names, err := fs.Glob(corpusFS, "corpus/dev/"+detector+"*.tsv")
	if err != nil || len(names) < 2 {
		return nil, fmt.Errorf("safety: cross-validation needs two %s files or more", detector)
	}
	files := make([][]Example, len(names))
	for i, n := range names {
		f, err := corpusFS.Open(n)
		if err != nil {
			return nil, err
		}
		files[i], err = ReadExamples(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("safety: %s: %w", n, err)
		}
	}
	var out []CrossFile
	for i, held := range files {
		var train []Example
		for j, f := range files {
			if j != i {
				train = append(train, f...)
			}
		}
		dm := th
		dm.detector = detector
		dm.anchored, dm.lower = crisisAnchored, crisisEveryday
		if detector == DetectorUrgent {
			dm.anchored, dm.lower = urgentAnchored, nil
		}
		dm.fire, dm.categories, dm.perCat = trainModels(train, defaultTrain)
		cf := CrossFile{File: path.Base(names[i])}
		for _, ex := range held {
			v := newTextView(ex.Text)
			found := rules(v)
			byRules := Fires(detector, found)
			fired := Fires(detector, dm.judge(v, found))
			if ex.Fire {
				cf.NPos++
				cf.RulesTP += b2i(byRules)
				cf.TP += b2i(fired)
			} else {
				cf.NNeg++
				cf.RulesFP += b2i(byRules)
				cf.FP += b2i(fired)
			}
		}
		out = append(out, cf)
	}
	return out, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// WriteCross prints a cross-validation: each file, then all of them.
func WriteCross(w io.Writer, detector string, files []CrossFile) {
	fmt.Fprintf(w, "%s, each development file left out of the model's training in turn:\n", detector)
	fmt.Fprintf(w, "  %-16s %5s %5s   %-15s %-15s\n", "file", "pos", "neg", "rules alone", "rules + model")
	var all CrossFile
	line := func(c CrossFile) {
		fmt.Fprintf(w, "  %-16s %5d %5d   %.3f / %.3f   %.3f / %.3f\n", c.File, c.NPos, c.NNeg,
			ratio(c.RulesTP, c.NPos), ratio(c.RulesFP, c.NNeg), ratio(c.TP, c.NPos), ratio(c.FP, c.NNeg))
	}
	for _, c := range files {
		line(c)
		all.NPos += c.NPos
		all.NNeg += c.NNeg
		all.RulesTP += c.RulesTP
		all.RulesFP += c.RulesFP
		all.TP += c.TP
		all.FP += c.FP
	}
	all.File = "all"
	line(all)
	fmt.Fprintln(w, "  (recall / false-positive rate)")
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
