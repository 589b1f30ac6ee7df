package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/config"
)

const ssoUsage = `usage: kindred sso relink --provider KEY --from ISSUER --to ISSUER [--to-provider KEY] [--map FILE.csv] [--apply]`

// ssoCommand runs the single sign-on admin commands. `relink` moves the
// identities of one issuer to another when an organisation changes its
// sign-in provider; without --apply it only counts.
func ssoCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "relink" {
		return errors.New(ssoUsage)
	}
	fs := flag.NewFlagSet("sso relink", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var p auth.RelinkPlan
	var mapFile string
	fs.StringVar(&p.Provider, "provider", "", "the identities' provider key (oidc for KINDRED_OIDC_ISSUER)")
	fs.StringVar(&p.FromIssuer, "from", "", "the old issuer URL")
	fs.StringVar(&p.ToIssuer, "to", "", "the new issuer URL")
	fs.StringVar(&p.ToProvider, "to-provider", "", "the new provider key, when it changes")
	fs.StringVar(&mapFile, "map", "", "a CSV file of old_subject,new_subject lines, when the new provider numbers people differently")
	fs.BoolVar(&p.Apply, "apply", false, "make the change (without it, only count)")
	if err := fs.Parse(args[1:]); err != nil {
		return errors.New(ssoUsage)
	}
	if p.Provider == "" || p.FromIssuer == "" || p.ToIssuer == "" || fs.NArg() > 0 {
		return errors.New(ssoUsage)
	}
	if mapFile != "" {
		m, err := readSubjectMap(mapFile)
		if err != nil {
			return err
		}
		p.Subjects = m
	}
	cfg, err := config.LoadDatabaseOnly(getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := auth.RelinkIdentities(ctx, db, p)
	if err != nil {
		return err
	}
	verb := "would move"
	if p.Apply {
		verb = "moved"
	}
	fmt.Fprintf(stdout, "%s %d identities from %s to %s; %d already existed at the new issuer (left alone); %d not in the map (left alone)\n",
		verb, r.Moved, p.FromIssuer, p.ToIssuer, r.Conflicts, r.Unmapped)
	if !p.Apply {
		fmt.Fprintln(stdout, "dry run: nothing changed; add --apply to make the change")
	}
	return nil
}

// readSubjectMap reads old_subject,new_subject lines (a header line whose
// first field is "old_subject" is skipped).
func readSubjectMap(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m := map[string]string{}
	for i, row := range rows {
		if len(row) != 2 || row[0] == "" || row[1] == "" {
			return nil, fmt.Errorf("%s line %d: want old_subject,new_subject", path, i+1)
		}
		if i == 0 && row[0] == "old_subject" {
			continue
		}
		if _, dup := m[row[0]]; dup {
			return nil, fmt.Errorf("%s line %d: %q is listed twice", path, i+1, row[0])
		}
		m[row[0]] = row[1]
	}
	return m, nil
}
