package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func valid() map[string]string {
	return map[string]string{
		"DATABASE_URL":       "postgres://localhost/kindred",
		"MEILI_URL":          "http://127.0.0.1:7700",
		"MEILI_API_KEY":      "key",
		"KINDRED_SECRET_KEY": strings.Repeat("s", 32),
	}
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(valid()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.SessionIdle != 14*24*time.Hour || c.StaffSessionIdle != 2*time.Hour || c.TLS() || c.SMTP.Host != "" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestLoadNamesEveryProblem(t *testing.T) {
	m := map[string]string{
		"KINDRED_SECRET_KEY":       "short",
		"KINDRED_BASE_URL":         "ftp://x",
		"KINDRED_MIGRATE_ON_START": "sometimes",
		"KINDRED_SESSION_IDLE":     "forever",
		"KINDRED_TRUSTED_PROXIES":  "10.0.0.0/8, not-an-ip",
		"KINDRED_SMTP_TLS":         "maybe",
		"KINDRED_OIDC_ISSUER":      "https://sso.example",
	}
	_, err := Load(env(m))
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"DATABASE_URL", "MEILI_URL", "MEILI_API_KEY", "KINDRED_SECRET_KEY", "KINDRED_BASE_URL",
		"KINDRED_MIGRATE_ON_START", "KINDRED_SESSION_IDLE", "KINDRED_TRUSTED_PROXIES", "KINDRED_SMTP_TLS", "KINDRED_OIDC_CLIENT_ID"} {
		if strings.Count(err.Error(), "\n  "+name+":") != 1 {
			t.Errorf("%s not named exactly once in:\n%s", name, err)
		}
	}
}

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "secret")
	if err := os.WriteFile(p, []byte(strings.Repeat("f", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := valid()
	delete(m, "KINDRED_SECRET_KEY")
	m["KINDRED_SECRET_KEY_FILE"] = p
	c, err := Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.SecretKey) != strings.Repeat("f", 40) {
		t.Fatal("secret not read from file")
	}
	m["KINDRED_SECRET_KEY_FILE"] = filepath.Join(dir, "missing")
	if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "KINDRED_SECRET_KEY_FILE") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestTrustedProxiesAndTLS(t *testing.T) {
	m := valid()
	m["KINDRED_TRUSTED_PROXIES"] = "10.0.0.0/8,192.0.2.7"
	m["KINDRED_BASE_URL"] = "https://kindred.example.org"
	c, err := Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[1].Bits() != 32 || !c.TLS() {
		t.Fatalf("%+v", c.TrustedProxies)
	}
}

func TestStorageSettings(t *testing.T) {
	c, err := Load(env(valid()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Storage != "local" || c.DocumentDir != "data/documents" {
		t.Fatalf("default storage: %q %q", c.Storage, c.DocumentDir)
	}

	// Every S3 problem at once.
	m := valid()
	m["KINDRED_STORAGE"] = "s3"
	m["KINDRED_S3_ENDPOINT"] = "http://minio.internal:9000"
	m["KINDRED_S3_BUCKET"] = "Kindred_Docs"
	m["KINDRED_S3_PREFIX"] = "../up"
	m["KINDRED_S3_TIMEOUT"] = "1h"
	_, err = Load(env(m))
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"KINDRED_S3_ENDPOINT", "KINDRED_S3_BUCKET", "KINDRED_S3_ACCESS_KEY", "KINDRED_S3_SECRET_KEY", "KINDRED_S3_PREFIX", "KINDRED_S3_TIMEOUT"} {
		if strings.Count(err.Error(), "\n  "+name+":") != 1 {
			t.Errorf("%s not named exactly once in:\n%s", name, err)
		}
	}
	if !strings.Contains(err.Error(), "KINDRED_S3_ALLOW_HTTP") {
		t.Errorf("plain http to another machine is refused without saying how to allow it:\n%s", err)
	}
	if strings.Contains(err.Error(), "KINDRED_S3_REGION") || strings.Contains(err.Error(), "KINDRED_S3_USE_PATH_STYLE") {
		t.Errorf("optional settings reported:\n%s", err)
	}

	// A valid set, the secret from a file; http to this machine is fine.
	secret := filepath.Join(t.TempDir(), "s3-secret")
	if err := os.WriteFile(secret, []byte("s3cr3t-from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m = valid()
	for k, v := range map[string]string{"KINDRED_STORAGE": "s3", "KINDRED_S3_ENDPOINT": "http://127.0.0.1:9000/", "KINDRED_S3_BUCKET": "kindred-docs",
		"KINDRED_S3_ACCESS_KEY": "kindred", "KINDRED_S3_SECRET_KEY_FILE": secret, "KINDRED_S3_PREFIX": "prod/documents",
		"KINDRED_S3_USE_PATH_STYLE": "true", "KINDRED_S3_TIMEOUT": "5s"} {
		m[k] = v
	}
	c, err = Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	want := S3{Endpoint: "http://127.0.0.1:9000", Region: "us-east-1", Bucket: "kindred-docs", AccessKey: "kindred", SecretKey: "s3cr3t-from-a-file",
		Prefix: "prod/documents/", PathStyle: true, Timeout: 5 * time.Second}
	if c.Storage != "s3" || c.S3 != want {
		t.Fatalf("S3 settings: %+v", c.S3)
	}

	// Plain http to another machine, when the operator vouches for the network.
	m["KINDRED_S3_ENDPOINT"] = "http://minio:9000"
	if _, err := Load(env(m)); err == nil {
		t.Fatal("plain http to another machine accepted")
	}
	m["KINDRED_S3_ALLOW_HTTP"] = "true"
	if _, err := Load(env(m)); err != nil {
		t.Fatal(err)
	}
	m["KINDRED_STORAGE"] = "ftp"
	if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "KINDRED_STORAGE: must be one of local, s3") {
		t.Fatalf("unknown storage: %v", err)
	}
}

// The page cache is on by default; KINDRED_PAGE_CACHE takes on or off only.
func TestPageCacheSettings(t *testing.T) {
	c, err := Load(env(valid()))
	if err != nil {
		t.Fatal(err)
	}
	if !c.PageCache || c.PageCacheTTL != 10*time.Second || c.PageCacheMB != 16 {
		t.Fatalf("defaults: %v %v %v", c.PageCache, c.PageCacheTTL, c.PageCacheMB)
	}
	m := valid()
	m["KINDRED_PAGE_CACHE"], m["KINDRED_PAGE_CACHE_TTL"] = "off", "1m"
	if c, err = Load(env(m)); err != nil || c.PageCache || c.PageCacheTTL != time.Minute {
		t.Fatalf("off: %v %v", c, err)
	}
	m["KINDRED_PAGE_CACHE"], m["KINDRED_PAGE_CACHE_MB"] = "false", "0"
	_, err = Load(env(m))
	if err == nil || !strings.Contains(err.Error(), "KINDRED_PAGE_CACHE: must be one of on, off") || !strings.Contains(err.Error(), "KINDRED_PAGE_CACHE_MB") {
		t.Fatalf("bad values: %v", err)
	}
}
