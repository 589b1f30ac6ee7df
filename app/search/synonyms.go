package search

import (
	_ "embed"
	"strings"
)

//go:embed synonyms.txt
var synonymsFile string

// Synonyms turns the synonyms file into Meilisearch's map: every term of a
// group finds the others.
func Synonyms() map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(synonymsFile, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var group []string
		for _, t := range strings.Split(line, ",") {
			if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
				group = append(group, t)
			}
		}
		for _, t := range group {
			for _, other := range group {
				if other != t && !contains(out[t], other) {
					out[t] = append(out[t], other)
				}
			}
		}
	}
	return out
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

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
