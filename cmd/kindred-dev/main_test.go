package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/testenv"
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

// The S3 server's secret key stays off its command line, and `make test`
// hands the tests a working server.
func TestS3SecretStaysOutOfTheProcessList(t *testing.T) {
	root := testenv.RepoRoot(t)
	if _, err := os.Stat(filepath.Join(root, versityGWBinary)); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("versitygw missing: run `make test`")
		}
		t.Skip("versitygw missing: run `make test` (CI=true makes this a failure)")
	}
	t.Chdir(root)
	s := &services{temp: true, dataDir: t.TempDir()}
	t.Cleanup(s.stop)
	if err := s.startS3(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range s.env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	secret := env["S3_TEST_SECRET_KEY"]
	if len(secret) < 32 || env["S3_TEST_ENDPOINT"] == "" || env["S3_TEST_ACCESS_KEY"] == "" {
		t.Fatalf("S3 settings for the tests: %v", slices.Sorted(maps.Keys(env)))
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(s.s3PID) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cmdline), secret) {
		t.Error("the S3 secret key is on the server's command line")
	}
	srv := testenv.S3Server{Endpoint: env["S3_TEST_ENDPOINT"], Region: env["S3_TEST_REGION"], AccessKey: env["S3_TEST_ACCESS_KEY"], SecretKey: secret}
	b := srv.NewBucket(t)
	if keys := b.Keys(t); len(keys) != 0 {
		t.Errorf("a new bucket holds %v", keys)
	}
	wrong := srv
	wrong.SecretKey = strings.Repeat("0", len(secret))
	if err := testenv.WaitForS3(wrong.Client(t), 0); err == nil {
		t.Error("the S3 server accepts a wrong secret key")
	}
}
