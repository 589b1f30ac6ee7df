// Package world, for tests only, builds Kindred's real services (the same
// composition as `kindred serve`, through server.New) on a freshly migrated
// database and a Meilisearch prefix of the test's own, without an HTTP
// server, and makes fixtures through those services: the tests of a feature
// package (questions_test, moderation_test, clinicians_test) set up a world
// as Kindred's own users would leave it, never with SQL.
//
// It lives beside app/testenv rather than in it because it imports
// app/server, and packages that app/server imports (app/search) use
// app/testenv in their internal tests: that would be an import cycle.
package world

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/alexedwards/argon2id"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/config"
	"github.com/kindred-health/kindred/app/notify"
	"github.com/kindred-health/kindred/app/server"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// cheapHash keeps argon2id but at a cost that suits hundreds of test
// accounts.
var cheapHash = &argon2id.Params{Memory: 8 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Settings are operator settings (environment variables) that differ from
// the test defaults, such as KINDRED_QUESTION_MAX_OFFERS.
type Settings map[string]string

// World is one Kindred for one test.
type World struct {
	T       testing.TB
	App     *server.App
	Clock   *testenv.Clock
	Mailbox *testenv.Mailbox
	Config  *config.Config

	admin        *models.User
	jurisdiction bool
}

// New builds Kindred for t on a database of its own, with the fake clock
// at testenv.NewClock's instant. Like app/server's tests, new members post
// without waiting for approval unless settings say otherwise
// (KINDRED_NEW_MEMBER_APPROVALS "" restores the default).
func New(t testing.TB, settings Settings) *World {
	t.Helper()
	clock := testenv.NewClock()
	db := testenv.DB(t, clock.Now)
	meiliURL, meiliKey, prefix := testenv.Meili(t)
	mb := testenv.NewMailbox(t)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	env := map[string]string{
		"DATABASE_URL":                 "postgres://unused", // the world opens its own database
		"MEILI_URL":                    meiliURL,
		"MEILI_API_KEY":                meiliKey,
		"KINDRED_MEILI_INDEX_PREFIX":   prefix,
		"KINDRED_SECRET_KEY":           hex.EncodeToString(secret),
		"KINDRED_BASE_URL":             "http://kindred.test",
		"KINDRED_SMTP_HOST":            mb.Host,
		"KINDRED_SMTP_PORT":            strconv.Itoa(mb.Port),
		"KINDRED_SMTP_TLS":             "none",
		"KINDRED_SMTP_FROM":            "Kindred <no-reply@kindred.test>",
		"KINDRED_DOCUMENT_DIR":         filepath.Join(t.TempDir(), "documents"),
		"KINDRED_IMAGE_DIR":            filepath.Join(t.TempDir(), "images"),
		"KINDRED_NEW_MEMBER_APPROVALS": "0",
	}
	maps.Copy(env, settings)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := notify.NewSMTPMailer(notify.SMTPConfig(cfg.SMTP))
	if err != nil {
		t.Fatal(err)
	}
	app, err := server.New(cfg, server.Deps{DB: db, Log: testenv.Logger(t), Now: clock.Now, Mailer: mailer, HashParams: cheapHash, Limits: auth.DefaultLimits})
	if err != nil {
		t.Fatal(err)
	}
	return &World{T: t, App: app, Clock: clock, Mailbox: mb, Config: cfg}
}

// User reads the account with this handle as it is now.
func (w *World) User(handle string) *models.User {
	w.T.Helper()
	return UserByHandle(w.T, w.App, handle)
}

// Actor is u as a request of theirs would find them now (their account
// read again, the forums they moderate, their verification): what every
// service takes.
func (w *World) Actor(u *models.User) models.Actor {
	w.T.Helper()
	return ActorOf(w.T, w.App, u)
}

// UserByHandle reads the account with this handle from app's database,
// for app/server's harness as for World.
func UserByHandle(t testing.TB, app *server.App, handle string) *models.User {
	t.Helper()
	var u models.User
	if err := app.DB.Gorm.Where("lower(handle) = lower(?)", handle).First(&u).Error; err != nil {
		t.Fatalf("world: user %s: %v", handle, err)
	}
	return &u
}

// ActorOf reads u's account again and loads the models.Actor a request
// of theirs would carry (web.LoadActor does the same).
func ActorOf(t testing.TB, app *server.App, u *models.User) models.Actor {
	t.Helper()
	ctx := context.Background()
	fresh, err := app.Auth.User(ctx, u.ID)
	if err != nil {
		t.Fatalf("world: user %d: %v", u.ID, err)
	}
	a, err := app.Auth.Actor(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Count runs a query that counts something (SELECT count(*) …).
func (w *World) Count(sql string, args ...any) int64 {
	w.T.Helper()
	var n int64
	if err := w.App.DB.Gorm.Raw(sql, args...).Scan(&n).Error; err != nil {
		w.T.Fatal(err)
	}
	return n
}

// Notifications counts u's in-app notifications of one kind.
func (w *World) Notifications(u *models.User, kind string) int64 {
	w.T.Helper()
	return w.Count(`SELECT count(*) FROM notifications WHERE user_id = ? AND kind = ?`, u.ID, kind)
}
