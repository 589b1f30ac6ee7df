package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"kindred/app/testenv"
)

// `make run` starts Meilisearch without its master key on the command
// line (which everyone on the machine can read in the process list): the
// key is in a file only its owner can read, and Kindred itself gets the
// limited key only.
func TestMeiliMasterKeyStaysOutOfTheProcessList(t *testing.T) {
	root := testenv.RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, meiliBinary)); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("meilisearch binary missing: run `make test`")
		}
		t.Skip("meilisearch binary missing: run `make test` (CI=true makes this a failure)")
	}
	t.Chdir(root)
	s := &services{temp: false, dataDir: t.TempDir()} // as `make run`, in a throwaway directory
	t.Cleanup(s.stop)
	if err := s.startMeili(); err != nil {
		t.Fatal(err)
	}
	master, err := s.persistentSecret("meili-master-key")
	if err != nil || len(master) < 32 {
		t.Fatalf("master key: %q %v", master, err)
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(s.meiliPID) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	environ, err := os.ReadFile("/proc/" + strconv.Itoa(s.meiliPID) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cmdline), master) || strings.Contains(string(environ), master) {
		t.Error("the master key is on Meilisearch's command line or in its environment")
	}
	conf := filepath.Join(s.dataDir, "meilisearch.toml")
	st, err := os.Stat(conf)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s is %v, want 0600", conf, st.Mode().Perm())
	}
	for _, kv := range s.env {
		if strings.Contains(kv, master) {
			t.Errorf("Kindred's environment holds the master key: %s=…", strings.SplitN(kv, "=", 2)[0])
		}
		if strings.HasPrefix(kv, "MEILI_API_KEY=") && len(kv) <= len("MEILI_API_KEY=") {
			t.Error("Kindred gets no API key")
		}
	}
}
