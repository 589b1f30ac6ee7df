package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/lib/pq"
	"gorm.io/gorm/schema"

	"github.com/kindred-health/kindred/models"
)

// A signed-in page needs, before its own data, the session, its user,
// what the user may do (the Actor) and a few per-member figures other
// features own (must they agree to new terms, how many notifications are
// unread). Asked one by one that was five round trips on every page; the
// resolver asks them in one statement. The figures come from their owners
// as SQL expressions over the user's id (the column u.id) that yield a
// number (SetSessionFigures); the answers reach handlers through
// web.Preloaded, and a feature that finds none asks itself.

// resolvedSession is one row of the resolver: session and user columns
// under prefixes, the actor's lists, the figures as one JSON object.
type resolvedSession struct {
	Session     models.Session `gorm:"embedded;embeddedPrefix:s_"`
	User        models.User    `gorm:"embedded;embeddedPrefix:u_"`
	Moderated   pq.Int64Array  `gorm:"column:a_moderated"`
	Professions pq.StringArray `gorm:"column:a_professions"`
	Muted       pq.Int64Array  `gorm:"column:a_muted"`
	MFA         bool           `gorm:"column:a_mfa"`
	Figures     []byte         `gorm:"column:a_figures"`
}

// columnsOf lists a model's columns as "alias.column AS prefixcolumn".
func columnsOf(model any, alias, prefix string) string {
	sch, err := schema.Parse(model, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		panic(fmt.Sprintf("auth: columns of %T: %v", model, err))
	}
	var cols []string
	for _, f := range sch.Fields {
		if f.DBName != "" && f.Readable {
			cols = append(cols, alias+"."+f.DBName+" AS "+prefix+f.DBName)
		}
	}
	return strings.Join(cols, ", ")
}

var sessionColumns = sync.OnceValue(func() string {
	return columnsOf(&models.Session{}, "s", "s_") + ", " + columnsOf(&models.User{}, "u", "u_")
})

// SetSessionFigures gives the resolver the figures to load with every
// session: name → SQL expression over u.id yielding a number (a boolean
// cast to int). Called once while wiring, before serving.
func (s *Service) SetSessionFigures(figures map[string]string) {
	names := make([]string, 0, len(figures))
	for n := range figures {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, "'"+n+"', ("+figures[n]+")")
	}
	if len(parts) == 0 {
		s.figuresSQL = "'{}'::json"
		return
	}
	s.figuresSQL = "json_build_object(" + strings.Join(parts, ", ") + ")"
}

// resolve loads a session by its token's hash with its user, the actor's
// lists and the figures, in one statement.
func (s *Service) resolve(ctx context.Context, hash []byte) (*resolvedSession, error) {
	figures := s.figuresSQL
	if figures == "" {
		figures = "'{}'::json"
	}
	var rows []resolvedSession
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT `+sessionColumns()+`,
		ARRAY(SELECT forum_id FROM forum_moderators WHERE user_id = u.id) AS a_moderated,
		ARRAY(SELECT DISTINCT profession FROM credentials WHERE user_id = u.id AND clinician_verified(status, verified_until, @now) ORDER BY 1) AS a_professions,
		ARRAY(SELECT muted_id FROM mutes WHERE user_id = u.id) AS a_muted,
		EXISTS(SELECT 1 FROM mfa_totp WHERE user_id = u.id AND confirmed_at IS NOT NULL) OR EXISTS(SELECT 1 FROM webauthn_credentials WHERE user_id = u.id) AS a_mfa,
		`+figures+` AS a_figures
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = @hash`,
		map[string]any{"hash": hash, "now": s.now().UTC()}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("auth: session: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// actorOf builds the Actor from a resolved row (as LoadActor would).
func (r *resolvedSession) actor(u *models.User, s *Service) (models.Actor, map[string]int64, error) {
	a := models.Actor{User: u, Now: s.now(), ModeratedForums: map[int64]bool{}, Muted: map[int64]bool{}, Professions: []string(r.Professions), MFA: r.MFA}
	if a.Professions == nil {
		a.Professions = []string{}
	}
	a.Clinician = len(a.Professions) > 0
	for _, id := range r.Moderated {
		a.ModeratedForums[id] = true
	}
	for _, id := range r.Muted {
		a.Muted[id] = true
	}
	figures := map[string]int64{}
	if len(r.Figures) > 0 {
		if err := json.Unmarshal(r.Figures, &figures); err != nil {
			return a, nil, fmt.Errorf("auth: session figures: %w", err)
		}
	}
	return a, figures, nil
}
