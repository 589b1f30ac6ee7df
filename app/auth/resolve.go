package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
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

// resolvedSession is one row of the resolver: the session, its user, the
// actor's lists and the figures as one JSON object.
type resolvedSession struct {
	Session     models.Session
	Token       models.APIToken
	User        models.User
	Moderated   []int64
	Professions []string
	Muted       []int64
	MFA         bool
	Figures     []byte
	// VerifiedUntil is when the earliest of the user's verified
	// credentials ends (nil: none), after which Professions is out of date.
	VerifiedUntil *time.Time
}

// column is one selected column and where it lands in a resolvedSession.
type column struct {
	sql   string // alias.column
	field func(r *resolvedSession) any
}

// columnsOf lists a model's columns with a pointer to each one's field,
// from gorm's reading of the model, so a column added to the model is
// selected without touching this file. (Scanned by pgx: gorm's scanner
// took a tenth of a signed-in page's CPU on this one row.)
func columnsOf(model any, alias string, of func(r *resolvedSession) reflect.Value) []column {
	sch, err := schema.Parse(model, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		panic(fmt.Sprintf("auth: columns of %T: %v", model, err))
	}
	var cols []column
	for _, f := range sch.Fields {
		if f.DBName == "" || !f.Readable || len(f.StructField.Index) == 0 {
			continue
		}
		index := f.StructField.Index
		cols = append(cols, column{sql: alias + "." + f.DBName, field: func(r *resolvedSession) any {
			return of(r).FieldByIndex(index).Addr().Interface()
		}})
	}
	return cols
}

var sessionColumns = sync.OnceValues(func() (string, []column) {
	cols := append(columnsOf(&models.Session{}, "s", func(r *resolvedSession) reflect.Value { return reflect.ValueOf(&r.Session).Elem() }),
		columnsOf(&models.User{}, "u", func(r *resolvedSession) reflect.Value { return reflect.ValueOf(&r.User).Elem() })...)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.sql
	}
	return strings.Join(names, ", "), cols
})

var tokenColumns = sync.OnceValues(func() (string, []column) {
	cols := append(columnsOf(&models.APIToken{}, "k", func(r *resolvedSession) reflect.Value { return reflect.ValueOf(&r.Token).Elem() }),
		columnsOf(&models.User{}, "u", func(r *resolvedSession) reflect.Value { return reflect.ValueOf(&r.User).Elem() })...)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.sql
	}
	return strings.Join(names, ", "), cols
})

// SetSessionFigures gives the resolver the figures to load: name → SQL
// expression over u.id yielding a number (a boolean cast to int). always
// come with every session and token; pages only with a session asking for
// a page (a GET: the bell's count is shown there and nowhere else, so a
// form post or an API write does not pay for it). Called once while
// wiring, before serving. A figure's tables must signal its members'
// changes for the session cache (migration 00054), which keeps figures
// between page reads.
func (s *Service) SetSessionFigures(always, pages map[string]string) {
	s.figuresSQL = figuresObject(always, nil)
	s.pageFiguresSQL = figuresObject(always, pages)
}

// figuresObject writes the figures as one json_build_object.
func figuresObject(sets ...map[string]string) string {
	all := map[string]string{}
	for _, set := range sets {
		for n, expr := range set {
			all[n] = expr
		}
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, "'"+n+"', ("+all[n]+")")
	}
	if len(parts) == 0 {
		return "'{}'::json"
	}
	return "json_build_object(" + strings.Join(parts, ", ") + ")"
}

// resolve loads a session by its token's hash with its user, the actor's
// lists and the figures, in one statement.
func (s *Service) resolve(ctx context.Context, hash []byte, page bool) (*resolvedSession, error) {
	figures := s.figuresSQL
	if page {
		figures = s.pageFiguresSQL
	}
	return s.resolveFrom(ctx, `sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, sessionColumns, hash, figures)
}

// resolveToken is resolve for an API token: the token's row lands in
// Token (its columns under alias k).
func (s *Service) resolveToken(ctx context.Context, hash []byte) (*resolvedSession, error) {
	return s.resolveFrom(ctx, `api_tokens k JOIN users u ON u.id = k.user_id WHERE k.token_hash = $1`, tokenColumns, hash, s.figuresSQL)
}

func (s *Service) resolveFrom(ctx context.Context, from string, columns func() (string, []column), hash []byte, figures string) (*resolvedSession, error) {
	if figures == "" {
		figures = "'{}'::json"
	}
	list, cols := columns()
	var r resolvedSession
	dest := make([]any, 0, len(cols)+5)
	for _, c := range cols {
		dest = append(dest, c.field(&r))
	}
	dest = append(dest, &r.Moderated, &r.Professions, &r.Muted, &r.MFA, &r.Figures, &r.VerifiedUntil)
	err := s.db.Pool.QueryRow(ctx, `SELECT `+list+`,
		ARRAY(SELECT forum_id FROM forum_moderators WHERE user_id = u.id),
		ARRAY(SELECT DISTINCT profession FROM credentials WHERE user_id = u.id AND clinician_verified(status, verified_until, $2) ORDER BY 1),
		ARRAY(SELECT muted_id FROM mutes WHERE user_id = u.id),
		EXISTS(SELECT 1 FROM mfa_totp WHERE user_id = u.id AND confirmed_at IS NOT NULL) OR EXISTS(SELECT 1 FROM webauthn_credentials WHERE user_id = u.id),
		`+figures+`,
		(SELECT min(verified_until) FROM credentials WHERE user_id = u.id AND clinician_verified(status, verified_until, $2))
		FROM `+from, hash, s.now().UTC()).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: session: %w", err)
	}
	return &r, nil
}

// actorOf builds the Actor from a resolved row (as LoadActor would).
func (r *resolvedSession) actor(u *models.User, s *Service) (models.Actor, map[string]int64, error) {
	a := models.Actor{User: u, Now: s.now(), ModeratedForums: map[int64]bool{}, Muted: map[int64]bool{}, Professions: r.Professions, MFA: r.MFA}
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
