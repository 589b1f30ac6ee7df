// Package ratelimit counts attempts in fixed windows stored in PostgreSQL,
// so every app instance sees the same counts.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/models"
)

// Rule is a limit of Max events per Window.
type Rule struct {
	Max    int
	Window time.Duration
}

// Limiter counts events per key.
type Limiter struct {
	db  *gorm.DB
	now func() time.Time
}

// New makes a limiter over db using the clock now.
func New(db *gorm.DB, now func() time.Time) *Limiter {
	return &Limiter{db: db, now: now}
}

// Key builds a key whose personal part (an e-mail, a handle) is hashed so
// the table never holds it in clear.
func Key(scope, personal string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(personal)))
	return scope + ":" + hex.EncodeToString(sum[:16])
}

func (l *Limiter) window(r Rule) (time.Time, time.Duration) {
	now := l.now().UTC()
	start := now.Truncate(r.Window)
	return start, start.Add(r.Window).Sub(now)
}

// Hit counts one event and refuses it once the window holds more than Max.
func (l *Limiter) Hit(ctx context.Context, key string, r Rule) error {
	start, left := l.window(r)
	var count int
	err := l.db.WithContext(ctx).Raw(`INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1 RETURNING count`, key, start).Scan(&count).Error
	if err != nil {
		return fmt.Errorf("ratelimit: %w", err)
	}
	if count > r.Max {
		return &models.RateLimitedError{RetryAfter: left}
	}
	return nil
}

// Check refuses when the window already holds Max events, without counting.
func (l *Limiter) Check(ctx context.Context, key string, r Rule) error {
	start, left := l.window(r)
	var count int
	err := l.db.WithContext(ctx).Raw(`SELECT coalesce(max(count), 0) FROM rate_limits WHERE key = ? AND window_start = ?`, key, start).Scan(&count).Error
	if err != nil {
		return fmt.Errorf("ratelimit: %w", err)
	}
	if count >= r.Max {
		return &models.RateLimitedError{RetryAfter: left}
	}
	return nil
}

// Record counts one event without judging it (a failed sign-in).
func (l *Limiter) Record(ctx context.Context, key string, r Rule) error {
	_, err := l.RecordCount(ctx, key, r)
	return err
}

// RecordCount counts one event without judging it and returns how many
// the window now holds.
func (l *Limiter) RecordCount(ctx context.Context, key string, r Rule) (int, error) {
	start, _ := l.window(r)
	var count int
	err := l.db.WithContext(ctx).Raw(`INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1 RETURNING count`, key, start).Scan(&count).Error
	if err != nil {
		return 0, fmt.Errorf("ratelimit: %w", err)
	}
	return count, nil
}

// Prune deletes windows that ended before cutoff.
func (l *Limiter) Prune(ctx context.Context, cutoff time.Time) (int64, error) {
	res := l.db.WithContext(ctx).Exec(`DELETE FROM rate_limits WHERE window_start < ?`, cutoff)
	return res.RowsAffected, res.Error
}
