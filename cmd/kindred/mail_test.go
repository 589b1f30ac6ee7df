package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/testenv"
)

// TestMailSuppressCommand: `kindred mail suppress` stops notification mail
// to an address (case-insensitively), a later bounce does not soften a
// complaint, and `unsuppress` lifts it.
func TestMailSuppressCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := testenv.DatabaseURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "KINDRED_LOG_FORMAT": "text"}
	getenv := func(k string) string { return env[k] }
	kindred := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, args, getenv, strings.NewReader(""), &out, &errOut)
		return out.String(), err
	}
	for _, bad := range [][]string{{"mail"}, {"mail", "suppress"}, {"mail", "forget", "a@b.org"}, {"mail", "unsuppress", "a@b.org", "bounce"}} {
		if _, err := kindred(bad...); err == nil || !strings.Contains(err.Error(), "usage: kindred mail") {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if _, err := kindred("mail", "suppress", "Olu@Example.org", "whatever"); err == nil {
		t.Fatal("an unknown reason was taken")
	}
	out, err := kindred("mail", "suppress", "Olu@Example.org", "complaint")
	if err != nil || !strings.Contains(out, "O…@Example.org") || strings.Contains(out, "Olu@") {
		t.Fatalf("suppress: %q %v", out, err)
	}
	if _, err := kindred("mail", "suppress", "olu@example.org", "bounce"); err != nil {
		t.Fatal(err)
	}
	db, err := database.Open(ctx, dbURL, database.Options{MaxConns: 1, Logger: testenv.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var reason string
	db.Gorm.Raw(`SELECT reason FROM email_suppressions WHERE address = 'olu@example.org'`).Scan(&reason)
	if reason != "complaint" {
		t.Fatalf("reason %q, want the complaint kept", reason)
	}
	if out, err := kindred("mail", "unsuppress", "OLU@example.org"); err != nil || !strings.Contains(out, "again") {
		t.Fatalf("unsuppress: %q %v", out, err)
	}
	var n int64
	db.Gorm.Raw(`SELECT count(*) FROM email_suppressions`).Scan(&n)
	if n != 0 {
		t.Fatal("still suppressed")
	}
}
