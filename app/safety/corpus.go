package safety

import (
	"embed"
	"fmt"
	"io/fs"
)

// corpusFS is the labelled corpus written for Kindred: corpus/dev is for
// building the rules, corpus/test is frozen (written first, never tuned
// against) and measures them.
//
//go:embed corpus
var corpusFS embed.FS

// Corpus reads one detector's examples from a split ("dev" or "test"):
// every file of the split named after the detector (crisis.tsv,
// crisis2.tsv, …).
func Corpus(split, detector string) ([]Example, error) {
	if split != "dev" && split != "test" {
		return nil, fmt.Errorf("safety: split %q: use dev or test", split)
	}
	names, err := fs.Glob(corpusFS, "corpus/"+split+"/"+detector+"*.tsv")
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("safety: corpus: no %s files in %s", detector, split)
	}
	var out []Example
	for _, name := range names {
		f, err := corpusFS.Open(name)
		if err != nil {
			return nil, fmt.Errorf("safety: corpus: %w", err)
		}
		ex, err := ReadExamples(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("safety: %s: %w", name, err)
		}
		out = append(out, ex...)
	}
	return out, nil
}
