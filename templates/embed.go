// Package templates embeds Kindred's HTML and e-mail templates.
package templates

import "embed"

// FS holds every template; the renderer parses them all at start-up.
//
//go:embed layouts partials pages errors email
var FS embed.FS
