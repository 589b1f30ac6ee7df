package database

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"
)

// gormLogger routes GORM's messages into slog. Queries are logged with
// placeholders only (ParamsFilter drops the values), so no e-mail address,
// hash or token ever reaches the log.
type gormLogger struct {
	log  *slog.Logger
	slow time.Duration
}

func newGormLogger(l *slog.Logger, slow time.Duration) *gormLogger {
	return &gormLogger{log: l.With("component", "gorm"), slow: slow}
}

func (g *gormLogger) LogMode(gormlogger.LogLevel) gormlogger.Interface { return g }

func (g *gormLogger) Info(ctx context.Context, msg string, args ...any) {
	g.log.InfoContext(ctx, msg, "args", len(args))
}

func (g *gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	g.log.WarnContext(ctx, msg, "args", len(args))
}

func (g *gormLogger) Error(ctx context.Context, msg string, args ...any) {
	g.log.ErrorContext(ctx, msg, "args", len(args))
}

// ParamsFilter implements gorm's logger.ParamsFilter: keep the SQL, drop the values.
func (g *gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

func (g *gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && !errors.Is(err, context.Canceled):
		sql, rows := fc()
		g.log.ErrorContext(ctx, "query failed", "sql", sql, "rows", rows, "elapsed", elapsed, "error", err)
	case g.slow > 0 && elapsed > g.slow:
		sql, rows := fc()
		g.log.WarnContext(ctx, "slow query", "sql", sql, "rows", rows, "elapsed", elapsed)
	}
}
