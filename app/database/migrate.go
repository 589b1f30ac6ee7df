package database

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/kindred-health/kindred/migrations"
)

func (d *DB) gooseProvider(ctx context.Context) (*goose.Provider, error) {
	// A session lock keeps two instances started together from migrating
	// at once. Advisory locks are the cluster's, not the database's: the
	// lock is named after the database, so Kindreds (or tests) sharing a
	// cluster do not queue behind each other's migrations, and a waiting
	// instance looks again every second, not every five.
	var name string
	if err := d.SQL.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name); err != nil {
		return nil, fmt.Errorf("database: goose: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("kindred migrations " + name))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, d.SQL, migrations.FS, goose.WithSessionLocker(locker),
		goose.WithGoMigrations(migrations.Go...))
	if err != nil {
		return nil, fmt.Errorf("database: goose: %w", err)
	}
	return p, nil
}

func (d *DB) riverMigrator() (*rivermigrate.Migrator[pgx.Tx], error) {
	return rivermigrate.New(riverpgxv5.New(d.Pool), nil)
}

// MigrateUp applies Kindred's migrations, then River's.
func (d *DB) MigrateUp(ctx context.Context, out io.Writer) error {
	p, err := d.gooseProvider(ctx)
	if err != nil {
		return err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("database: migrate up: %w", err)
	}
	for _, r := range res {
		fmt.Fprintf(out, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(1e6))
	}
	rm, err := d.riverMigrator()
	if err != nil {
		return err
	}
	rres, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("database: river migrate up: %w", err)
	}
	for _, v := range rres.Versions {
		fmt.Fprintf(out, "applied river %d (%s)\n", v.Version, v.Name)
	}
	return nil
}

// MigrateDown rolls back the newest Kindred migration. River's tables are
// left alone: they belong to the job queue, not to Kindred's schema.
func (d *DB) MigrateDown(ctx context.Context, out io.Writer) error {
	p, err := d.gooseProvider(ctx)
	if err != nil {
		return err
	}
	r, err := p.Down(ctx)
	if err != nil {
		if errors.Is(err, goose.ErrNoNextVersion) {
			fmt.Fprintln(out, "nothing to roll back")
			return nil
		}
		return fmt.Errorf("database: migrate down: %w", err)
	}
	fmt.Fprintf(out, "rolled back %s\n", r.Source.Path)
	return nil
}

// MigrationStatus describes every known migration and whether it is applied.
type MigrationStatus struct {
	Source  string
	Applied bool
}

// Status lists Kindred's and River's migrations.
func (d *DB) Status(ctx context.Context) ([]MigrationStatus, error) {
	p, err := d.gooseProvider(ctx)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("database: status: %w", err)
	}
	var out []MigrationStatus
	for _, s := range st {
		out = append(out, MigrationStatus{Source: s.Source.Path, Applied: s.State == goose.StateApplied})
	}
	rm, err := d.riverMigrator()
	if err != nil {
		return nil, err
	}
	applied := map[int]bool{}
	if existing, err := rm.ExistingVersions(ctx); err == nil {
		for _, m := range existing {
			applied[m.Version] = true
		}
	}
	for _, m := range rm.AllVersions() {
		out = append(out, MigrationStatus{Source: fmt.Sprintf("river %03d_%s", m.Version, m.Name), Applied: applied[m.Version]})
	}
	return out, nil
}

// Pending counts migrations not yet applied. Every start asks, so the
// usual answer (none) costs two queries and takes no lock; only when some
// are pending (or goose cannot tell, say applied out of order) does it
// list every migration's state.
func (d *DB) Pending(ctx context.Context) (int, error) {
	p, err := d.gooseProvider(ctx)
	if err != nil {
		return 0, err
	}
	if has, err := p.HasPending(ctx); err == nil && !has {
		rm, err := d.riverMigrator()
		if err != nil {
			return 0, err
		}
		applied, err := d.riverApplied(ctx, rm)
		if err == nil {
			n := 0
			for _, m := range rm.AllVersions() {
				if !applied[m.Version] {
					n++
				}
			}
			return n, nil
		}
	}
	st, err := d.Status(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range st {
		if !s.Applied {
			n++
		}
	}
	return n, nil
}

// riverApplied reads River's applied versions with one query on the table
// River's current layout has. When that fails (no table yet, or an older
// layout) it asks River's migrator, which looks the table and its columns
// up in the catalog first: some 30 ms more on a new connection, whose
// catalog caches are cold, and every start pays it.
func (d *DB) riverApplied(ctx context.Context, rm *rivermigrate.Migrator[pgx.Tx]) (map[int]bool, error) {
	applied := map[int]bool{}
	rows, err := d.Pool.Query(ctx, `SELECT version FROM river_migration WHERE line = 'main'`)
	if err == nil {
		var versions []int64
		if versions, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err == nil {
			for _, v := range versions {
				applied[int(v)] = true
			}
			return applied, nil
		}
	}
	existing, err := rm.ExistingVersions(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range existing {
		applied[m.Version] = true
	}
	return applied, nil
}
