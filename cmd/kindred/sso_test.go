package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSSORelinkArguments(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{{"sso"}, {"sso", "relink"}, {"sso", "relink", "--provider", "hospital", "--from", "https://old.example"}, {"sso", "unlink"}} {
		err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "usage: kindred sso relink") {
			t.Errorf("%v: %v", args, err)
		}
	}
}

func TestReadSubjectMap(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "map.csv")
	if err := os.WriteFile(good, []byte("old_subject,new_subject\nemployee-1001,a8f3c2\nemployee-1002,b771d0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := readSubjectMap(good)
	if err != nil || !reflect.DeepEqual(m, map[string]string{"employee-1001": "a8f3c2", "employee-1002": "b771d0"}) {
		t.Fatalf("%v %v", m, err)
	}
	for name, text := range map[string]string{"dup.csv": "a,b\na,c\n", "short.csv": "a\n", "empty-field.csv": "a,\n"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readSubjectMap(p); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
