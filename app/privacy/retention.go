package privacy

import (
	"context"
	"errors"
	"time"

	"github.com/kindred-health/kindred/app/audit"
)

// Retention are the limits the daily job enforces (README, "Retention").
// Zero keeps forever.
type Retention struct {
	// IPs: sessions' IP addresses and browser names, and the audit log's
	// IP addresses (KINDRED_RETAIN_IP_DAYS, 30).
	IPs time.Duration
	// ReadNotifications (KINDRED_RETAIN_READ_NOTIFICATIONS_DAYS, 90).
	ReadNotifications time.Duration
	// Audit events (KINDRED_RETAIN_AUDIT_DAYS, 2,190: six years, HIPAA's
	// figure for its documentation).
	Audit time.Duration
}

// Pruners are the owners' retention operations (app/server wires them).
type Pruners struct {
	ForgetDevices      func(ctx context.Context, before time.Time) (int64, error)
	PruneNotifications func(ctx context.Context, before time.Time) (int64, error)
}

// SetPruners hands in the owners' retention operations.
func (s *Service) SetPruners(p Pruners) { s.pruners = p }

// Enforced counts what one pass removed.
type Enforced struct {
	Sessions      int64 // sessions whose IP and browser were forgotten
	IPCleared     int64 // audit events whose IP was blanked
	Notifications int64 // read notifications deleted
	AuditEvents   int64 // audit events past the limit deleted
}

// Total is everything counted.
func (e Enforced) Total() int64 {
	return e.Sessions + e.IPCleared + e.Notifications + e.AuditEvents
}

// Enforce applies every retention limit once.
func (s *Service) Enforce(ctx context.Context) (Enforced, error) {
	var res Enforced
	now := s.now().UTC()
	r := s.opts.Retention
	var errs []error
	if r.IPs > 0 && s.pruners.ForgetDevices != nil {
		n, err := s.pruners.ForgetDevices(ctx, now.Add(-r.IPs))
		res.Sessions, errs = n, append(errs, err)
	}
	if r.ReadNotifications > 0 && s.pruners.PruneNotifications != nil {
		n, err := s.pruners.PruneNotifications(ctx, now.Add(-r.ReadNotifications))
		res.Notifications, errs = n, append(errs, err)
	}
	if r.Audit > 0 || r.IPs > 0 {
		// A zero limit keeps: a time before every record.
		deleteBefore, ipBefore := time.Time{}, time.Time{}
		if r.Audit > 0 {
			deleteBefore = now.Add(-r.Audit)
		}
		if r.IPs > 0 {
			ipBefore = now.Add(-r.IPs)
		}
		d, c, err := audit.Prune(ctx, s.db.Gorm, deleteBefore, ipBefore)
		res.AuditEvents, res.IPCleared, errs = d, c, append(errs, err)
	}
	return res, errors.Join(errs...)
}
