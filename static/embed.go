// Package static embeds Kindred's stylesheets, scripts and images.
package static

import "embed"

// FS holds the files served under /static/<content-hash>/.
//
//go:embed css js img
var FS embed.FS
