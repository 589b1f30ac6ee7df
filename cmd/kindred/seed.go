package main

import (
	"context"
	"fmt"
	"io"

	"kindred/app/config"
	"kindred/models"
)

// DemoPassword is the password of every demo account. Demo data is for
// trying Kindred locally, never for a public deployment.
const DemoPassword = "kindred-demo-2026"

type demoAccount struct {
	Handle string
	Email  string
	Role   models.Role
}

var demoAccounts = []demoAccount{
	{"demo_admin", "admin@demo.kindred.test", models.RoleAdmin},
	{"demo_moderator", "moderator@demo.kindred.test", models.RoleModerator},
	{"maya_t1d", "maya@demo.kindred.test", models.RoleMember},
	{"sam_cares", "sam@demo.kindred.test", models.RoleMember},
	{"quiet_heart", "quiet@demo.kindred.test", models.RoleMember},
}

func seedDemo(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.LoadDatabaseOnly(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := accountService(db, log)
	added := 0
	for _, a := range demoAccounts {
		var n int64
		if err := db.Gorm.WithContext(ctx).Model(&models.User{}).Where("lower(handle) = lower(?)", a.Handle).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if _, err := svc.SeedAccount(ctx, a.Handle, a.Email, DemoPassword, a.Role); err != nil {
			return fmt.Errorf("seed %s: %w", a.Handle, err)
		}
		added++
	}
	fmt.Fprintf(stdout, "demo data: %d account(s) added; every demo password is %q\n", added, DemoPassword)
	return nil
}
