package migrations

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"

	"github.com/kindred-health/kindred/app/input"
)

// Go lists the migrations written in Go, for goose.WithGoMigrations;
// GoFingerprint changes whenever one of them does (test templates are
// keyed by it and the SQL files).
var Go = []*goose.Migration{
	named("00022_handle_skeletons.go", goose.NewGoMigration(22, &goose.GoFunc{RunTx: upHandleSkeletons}, &goose.GoFunc{RunTx: downHandleSkeletons})),
}

// named gives a Go migration the file name `kindred migrate` reports.
func named(source string, m *goose.Migration) *goose.Migration {
	m.Source = source
	return m
}

// GoFingerprint names the Go migrations and their revision.
const GoFingerprint = "00022_handle_skeletons r1"

// upHandleSkeletons adds users.handle_skeleton (input.Skeleton of the
// handle) with a unique index, so two accounts can never hold handles a
// reader could mistake for each other, even when they sign up at the same
// moment. Existing handles are backfilled oldest first; a later account
// whose skeleton an older one already holds keeps NULL: its handle stays
// its own, and the older row still blocks that skeleton for everyone else.
// The skeleton is computed in Go (Unicode's confusables table is not in
// PostgreSQL), hence a Go migration.
func upHandleSkeletons(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `ALTER TABLE users ADD COLUMN handle_skeleton text`); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, handle FROM users ORDER BY id`)
	if err != nil {
		return err
	}
	var ids []int64
	var skeletons []string
	seen := map[string]bool{}
	for rows.Next() {
		var id int64
		var handle string
		if err := rows.Scan(&id, &handle); err != nil {
			rows.Close()
			return err
		}
		sk := input.Skeleton(handle)
		if seen[sk] {
			continue // a younger lookalike: left NULL
		}
		seen[sk] = true
		ids, skeletons = append(ids, id), append(skeletons, sk)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// One statement for every row, in batches that keep the parameters small.
	const batch = 5000
	for i := 0; i < len(ids); i += batch {
		j := min(i+batch, len(ids))
		if _, err := tx.ExecContext(ctx, `UPDATE users u SET handle_skeleton = v.sk
			FROM unnest($1::bigint[], $2::text[]) AS v(id, sk) WHERE u.id = v.id`, ids[i:j], skeletons[i:j]); err != nil {
			return fmt.Errorf("backfill handle skeletons: %w", err)
		}
	}
	_, err = tx.ExecContext(ctx, `CREATE UNIQUE INDEX users_handle_skeleton_key ON users (handle_skeleton)`)
	return err
}

func downHandleSkeletons(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `ALTER TABLE users DROP COLUMN handle_skeleton`)
	return err
}
