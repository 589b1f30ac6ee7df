// Package migrations embeds the goose SQL files that define Kindred's schema.
package migrations

import "embed"

// FS holds every NNNNN_name.sql migration.
//
//go:embed *.sql
var FS embed.FS
