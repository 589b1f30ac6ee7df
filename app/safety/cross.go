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
	// Borrowed: the file is the other detector's, read for false alarms.
	Borrowed bool
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
	names, files, err := devFiles(detector)
	if err != nil {
		return nil, err
	}
	otherNames, otherFiles, err := devFiles(otherDetector(detector))
	if err != nil {
		return nil, err
	}
	borrowedBy := make([][]Example, len(otherFiles))
	var borrowed []Example
	for j, f := range otherFiles {
		borrowedBy[j] = borrowedFrom(detector, f)
		borrowed = append(borrowed, borrowedBy[j]...)
	}
	// Ordinary forum writing (everyday*.tsv) is read the same way.
	if names, files, err := devFiles("everyday"); err == nil {
		for j, f := range files {
			for i := range f {
				f[i].Fire, f[i].Category = false, "borrowed"
			}
			otherNames = append(otherNames, names[j])
			borrowedBy = append(borrowedBy, f)
			borrowed = append(borrowed, f...)
		}
	}
	fc := featureCache{}
	model := func(train []Example) *detectorModel { return newDetectorModel(detector, th, train, fc) }
	read := func(dm *detectorModel, name string, held []Example) CrossFile {
		cf := CrossFile{File: name}
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
		return cf
	}
	var out []CrossFile
	for i, held := range files {
		train := append([]Example(nil), borrowed...)
		for j, f := range files {
			if j != i {
				train = append(train, f...)
			}
		}
		out = append(out, read(model(train), names[i], held))
	}
	// The other detector's texts this one must not fire on, each file
	// left out in turn too: false alarms on ordinary health talk.
	var mine []Example
	for _, f := range files {
		mine = append(mine, f...)
	}
	for j, held := range borrowedBy {
		train := append([]Example(nil), mine...)
		for k, b := range borrowedBy {
			if k != j {
				train = append(train, b...)
			}
		}
		cf := read(model(train), otherNames[j], held)
		cf.Borrowed = true
		out = append(out, cf)
	}
	return out, nil
}

// devFiles reads each development file of a detector.
func devFiles(detector string) ([]string, [][]Example, error) {
	names, err := fs.Glob(corpusFS, "corpus/dev/"+detector+"*.tsv")
	if err != nil || len(names) < 1 || (len(names) < 2 && detector != "everyday") {
		return nil, nil, fmt.Errorf("safety: cross-validation needs two %s files or more", detector)
	}
	files := make([][]Example, len(names))
	for i, n := range names {
		f, err := corpusFS.Open(n)
		if err != nil {
			return nil, nil, err
		}
		files[i], err = ReadExamples(f)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("safety: %s: %w", n, err)
		}
		names[i] = path.Base(n)
	}
	return names, files, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// WriteCross prints a cross-validation: each file, then all of them;
// then the other detector's files, read for false alarms.
func WriteCross(w io.Writer, detector string, files []CrossFile) {
	fmt.Fprintf(w, "%s, each development file left out of the model's training in turn:\n", detector)
	fmt.Fprintf(w, "  %-16s %5s %5s   %-15s %-15s\n", "file", "pos", "neg", "rules alone", "rules + model")
	line := func(c CrossFile) {
		fmt.Fprintf(w, "  %-16s %5d %5d   %.3f / %.3f   %.3f / %.3f\n", c.File, c.NPos, c.NNeg,
			ratio(c.RulesTP, c.NPos), ratio(c.RulesFP, c.NNeg), ratio(c.TP, c.NPos), ratio(c.FP, c.NNeg))
	}
	var all, borrowed CrossFile
	for _, c := range files {
		sum := &all
		if c.Borrowed {
			sum = &borrowed
		} else {
			line(c)
		}
		sum.NPos += c.NPos
		sum.NNeg += c.NNeg
		sum.RulesTP += c.RulesTP
		sum.RulesFP += c.RulesFP
		sum.TP += c.TP
		sum.FP += c.FP
	}
	all.File = "all"
	line(all)
	fmt.Fprintln(w, "  (recall / false-positive rate)")
	if borrowed.NNeg > 0 {
		fmt.Fprintf(w, "  %s texts that are not %s's business and ordinary forum writing, each file left out in turn:\n", otherDetector(detector), detector)
		for _, c := range files {
			if c.Borrowed {
				fmt.Fprintf(w, "  %-16s %5d   false alarms: rules alone %.3f, rules + model %.3f\n", c.File, c.NNeg, ratio(c.RulesFP, c.NNeg), ratio(c.FP, c.NNeg))
			}
		}
		fmt.Fprintf(w, "  %-16s %5d   false alarms: rules alone %.3f, rules + model %.3f\n", "all", borrowed.NNeg, ratio(borrowed.RulesFP, borrowed.NNeg), ratio(borrowed.FP, borrowed.NNeg))
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
