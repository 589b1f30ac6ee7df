package safety

import (
	"embed"
	"fmt"
)

// corpusFS is the labelled corpus written for Kindred: corpus/dev is for
// building the rules, corpus/test is frozen (written first, never tuned
// against) and measures them.
//
//go:embed corpus
var corpusFS embed.FS

// Corpus reads one detector's examples from a split ("dev" or "test").
func Corpus(split, detector string) ([]Example, error) {
	if split != "dev" && split != "test" {
		return nil, fmt.Errorf("safety: split %q: use dev or test", split)
	}
	f, err := corpusFS.Open("corpus/" + split + "/" + detector + ".tsv")
	if err != nil {
		return nil, fmt.Errorf("safety: corpus: %w", err)
	}
	defer f.Close()
	return ReadExamples(f)
}
