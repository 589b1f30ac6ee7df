package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kindred-health/kindred/app/config"
	"github.com/kindred-health/kindred/app/notify"
)

const mailUsage = "usage: kindred mail suppress ADDRESS [bounce|complaint|manual] | kindred mail unsuppress ADDRESS"

// mailCommand marks an address that bounced or complained, when the mail
// provider cannot call the webhook (POST /hooks/email): notification mail
// to it stops until its owner asks for it again or changes address.
func mailCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) < 2 || len(args) > 3 || (args[0] != "suppress" && args[0] != "unsuppress") || (args[0] == "unsuppress" && len(args) != 2) {
		return errors.New(mailUsage)
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
	addr := args[1]
	if args[0] == "unsuppress" {
		was, err := notify.UnsuppressAddress(ctx, db.Gorm, addr)
		if err != nil {
			return err
		}
		if !was {
			fmt.Fprintf(stdout, "%s was not suppressed\n", notify.MaskEmail(addr))
			return nil
		}
		fmt.Fprintf(stdout, "%s will get notification e-mail again\n", notify.MaskEmail(addr))
		return nil
	}
	reason := "manual"
	if len(args) == 3 {
		reason = args[2]
	}
	used, err := notify.SuppressAddress(ctx, db.Gorm, time.Now(), addr, reason)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, mailUsage)
	}
	note := "no account uses it now; it stays suppressed if one does later"
	if used {
		note = "its owner sees why on their e-mail settings page"
	}
	fmt.Fprintf(stdout, "notification e-mail to %s stopped (%s): %s\n", notify.MaskEmail(addr), reason, note)
	return nil
}
