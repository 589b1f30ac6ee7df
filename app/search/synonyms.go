package search

import (
	_ "embed"
	"strings"
)

//go:embed synonyms.txt
var synonymsFile string

// FileSynonyms turns the synonyms file into Meilisearch's map: every term of a
// group finds the others.
func FileSynonyms() map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(synonymsFile, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		MergeSynonyms(out, [][]string{SplitTerms(line)})
	}
	return out
}

// MergeSynonyms adds groups to a synonyms map (every term of a group finds
// the others) and returns it.
func MergeSynonyms(m map[string][]string, groups [][]string) map[string][]string {
	for _, group := range groups {
		for _, t := range group {
			for _, other := range group {
				if other != t && !contains(m[t], other) {
					m[t] = append(m[t], other)
				}
			}
		}
	}
	return m
}

// SynonymGroups counts the groups in the file.
func SynonymGroups() int {
	n := 0
	for _, line := range strings.Split(synonymsFile, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n
}

// SplitTerms reads a comma-separated group of terms, lowercased.
func SplitTerms(line string) []string {
	var group []string
	for _, t := range strings.Split(line, ",") {
		if t = strings.Join(strings.Fields(strings.ToLower(t)), " "); t != "" && !contains(group, t) {
			group = append(group, t)
		}
	}
	return group
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
