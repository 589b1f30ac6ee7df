// Package analytics gives admins and moderators figures about their
// community: daily rollups computed by a River job from the tables Kindred
// already keeps (posts, reports, questions, credentials, …) and search
// counters kept for this purpose, shown per period beside the previous
// one as pages with charts, CSV and JSON. Aggregates only: a cell counting
// fewer than five people in a sensitive or clinician-only forum is never
// shown, and moderators see only the forums they moderate.
package analytics

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Service computes rollups and reads figures.
type Service struct {
	db     *database.DB
	now    func() time.Time
	log    *slog.Logger
	secret []byte // keys the search-member tokens
}

// New builds the service; secret is the server's secret key.
func New(db *database.DB, now func() time.Time, log *slog.Logger, secret []byte) (*Service, error) {
	switch {
	case db == nil:
		return nil, errors.New("analytics: no database")
	case now == nil:
		return nil, errors.New("analytics: no clock")
	case log == nil:
		return nil, errors.New("analytics: no logger")
	case len(secret) < 16:
		return nil, errors.New("analytics: no secret key")
	}
	return &Service{db: db, now: now, log: log, secret: secret}, nil
}

// Areas, in the order the index lists them.
const (
	AreaCommunity  = "community"
	AreaModeration = "moderation"
	AreaQuestions  = "questions"
	AreaClinicians = "clinicians"
	AreaSearch     = "search"
)

// AreaInfo names an area and says who may open it.
type AreaInfo struct {
	Key, Title, About string
	AdminOnly         bool
}

// Areas lists every area.
var Areas = []AreaInfo{
	{AreaCommunity, "Community", "New and active members, retention, threads and replies per forum, replies within a day, clinicians' answers.", false},
	{AreaModeration, "Moderation", "Reports by reason and outcome, automatic hiding, time to first action, crisis items, appeals, held posts, watched words.", false},
	{AreaQuestions, "Private questions", "Asked, routed, accepted in time, answered within 24 and 48 hours, pooled, stranded, ratings, specialties, clinicians' load.", true},
	{AreaClinicians, "Clinicians", "Applications, decision time, verified clinicians by profession, verifications ending soon.", true},
	{AreaSearch, "Search", "Searches per day, the share that found nothing, and the most frequent queries that found nothing.", true},
}

func areaInfo(key string) (AreaInfo, bool) {
	for _, a := range Areas {
		if a.Key == key {
			return a, true
		}
	}
	return AreaInfo{}, false
}

// Scope is what an actor may see: admins and global moderators every
// forum and the figures tied to none (All); a forum's moderators their
// forums only. Admin opens the areas only admins see.
type Scope struct {
	All    bool
	Admin  bool
	Forums []int64
}

// ScopeOf decides who may open analytics at all (ErrNotFound for anyone
// who is not staff or a forum's moderator: the pages are not theirs to
// know about).
func ScopeOf(a models.Actor) (Scope, error) {
	switch {
	case a.IsAdmin():
		return Scope{All: true, Admin: true}, nil
	case a.IsStaff():
		return Scope{All: true}, nil
	case a.User != nil && len(a.ModeratedForums) > 0:
		s := Scope{}
		for id, ok := range a.ModeratedForums {
			if ok {
				s.Forums = append(s.Forums, id)
			}
		}
		return s, nil
	}
	return Scope{}, models.ErrNotFound
}

// MayOpen tells whether the scope opens an area.
func (s Scope) MayOpen(area string) bool {
	info, ok := areaInfo(area)
	return ok && (s.Admin || !info.AdminOnly)
}

// Day is a UTC calendar day at midnight.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Yesterday is the last whole UTC day: pages end there, today is not
// rolled up until its night.
func (s *Service) Yesterday() time.Time { return Day(s.now()).AddDate(0, 0, -1) }

// token is a member's search token for one query: distinct members can be
// counted, nobody can be named without the key, and a member's tokens for
// two queries have nothing in common.
func (s *Service) token(query string, userID int64) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("analytics-search\x00"))
	m.Write([]byte(query))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(userID, 10)))
	return m.Sum(nil)[:16]
}

func wrap(op string, err *error) {
	if *err != nil {
		*err = fmt.Errorf("analytics: %s: %w", op, *err)
	}
}

// RecordDownload puts a CSV download in the audit log: figures leaving
// Kindred (aggregates, but the questions area names clinicians).
func (s *Service) RecordDownload(ctx context.Context, actor models.Actor, r *Report, ip string) error {
	id := actor.ID()
	return audit.Record(ctx, s.db.Gorm, models.AuditEvent{ActorID: &id, Action: "analytics.csv", TargetKind: "analytics",
		Reason: r.Area + " " + r.From + " to " + r.To, IP: ip})
}

// EraseMember removes what analytics holds about one member: the
// clinicians' load rows keyed by them, their search tokens (found by
// computing the member's token for every stored query), and a query that
// found nothing when no other member searched it that day (its text may
// be theirs alone).
func (s *Service) EraseMember(ctx context.Context, tx *database.Tx, e models.Erasure) (err error) {
	defer wrap("erase member", &err)
	db := tx.WithContext(ctx)
	// A rollup running now read the clinician before this erasure and
	// would write their load back after it: wait for it (the rollup's own
	// lock), so the next one sees the tombstone.
	if err := db.Exec(`SELECT pg_advisory_xact_lock(hashtext('kindred.analytics.rollup'))`).Error; err != nil {
		return err
	}
	if err := db.Exec(`DELETE FROM analytics_counts WHERE metric LIKE 'q_load_%' AND key = ?`, strconv.FormatInt(e.UserID, 10)).Error; err != nil {
		return err
	}
	if err := db.Exec(`DELETE FROM analytics_weekly_subscribers WHERE user_id = ?`, e.UserID).Error; err != nil {
		return err
	}
	var queries []string
	if err := db.Raw(`SELECT DISTINCT query FROM analytics_search_members`).Scan(&queries).Error; err != nil {
		return err
	}
	if len(queries) == 0 {
		return nil
	}
	tokens := make([][]byte, len(queries))
	for i, q := range queries {
		tokens[i] = s.token(q, e.UserID)
	}
	// The statement's parts see the table as it was before the DELETE:
	// "another member's token" is a token other than this member's.
	return db.Exec(`WITH mine AS (SELECT unnest(?::text[]) AS query, unnest(?::bytea[]) AS token),
		gone AS (DELETE FROM analytics_search_members m USING mine WHERE m.query = mine.query AND m.token = mine.token RETURNING m.day, m.query, m.token)
		DELETE FROM analytics_search_queries q USING gone WHERE q.day = gone.day AND q.query = gone.query
		  AND NOT EXISTS (SELECT 1 FROM analytics_search_members o WHERE o.day = gone.day AND o.query = gone.query AND o.token <> gone.token)`,
		pq.StringArray(queries), pq.ByteaArray(tokens)).Error
}
