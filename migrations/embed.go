// Package migrations embeds the goose SQL files that define Kindred's schema,
// and holds the few migrations that need Go (see Go).
package migrations

import "embed"

// FS holds every NNNNN_name.sql migration.
//
//go:embed *.sql
var FS embed.FS
