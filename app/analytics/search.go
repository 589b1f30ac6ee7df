package analytics

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/models"
)

// MaxQuery is the longest query kept (in characters, after normalising).
const MaxQuery = 100

// recordTimeout bounds what recording may add to a search.
const recordTimeout = 250 * time.Millisecond

// SearchMemberRetention is how long the members' search tokens are kept:
// the longest period a page shows, so that "5 different members" can be
// counted over any of them.
const SearchMemberRetention = MaxDays * 24 * time.Hour

// NormalizeQuery is how a query is kept: lower case, spaces collapsed,
// at most MaxQuery characters; "" when it holds personal data (an e-mail
// address, a phone number, …: app/safety's detector), which is then
// counted but never stored.
func NormalizeQuery(text string) string {
	q := strings.Join(strings.FieldsFunc(strings.ToLower(text), unicode.IsSpace), " ")
	if utf8.RuneCountInString(q) > MaxQuery {
		q = strings.TrimSpace(string([]rune(q)[:MaxQuery]))
	}
	if q == "" || len(safety.PersonalData(text)) > 0 || len(safety.PersonalData(q)) > 0 {
		return ""
	}
	return q
}

// RecordSearch counts one search (forums.SearchRecorder): the day's
// searches and those that found nothing; for a signed-in member's query
// that found nothing, the query (normalised, without personal data) and
// the member's token for it. A visitor's search counts in the totals
// only: its text is not kept (no member could ask for it to be erased). It never fails the search: errors are
// logged without the query, and it gives up after recordTimeout.
func (s *Service) RecordSearch(ctx context.Context, actor models.Actor, text string, found int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	q := ""
	noResult := found == 0
	var token []byte
	if noResult && actor.User != nil {
		if q = NormalizeQuery(text); q != "" {
			token = s.token(q, actor.User.ID)
		}
	}
	nr := 0
	if noResult {
		nr = 1
	}
	err := s.db.Gorm.WithContext(ctx).Exec(`WITH d AS (
		  INSERT INTO analytics_search_days AS s (day, searches, no_result) VALUES ( @day ::date, 1, @nr)
		  ON CONFLICT (day) DO UPDATE SET searches = s.searches + 1, no_result = s.no_result + excluded.no_result RETURNING 1
		), q AS (
		  INSERT INTO analytics_search_queries AS s (day, query, searches) SELECT @day ::date, @q, 1 WHERE @q <> ''
		  ON CONFLICT (day, query) DO UPDATE SET searches = s.searches + 1 RETURNING 1
		)
		INSERT INTO analytics_search_members (day, query, token) SELECT @day ::date, @q, @token WHERE @q <> ''
		ON CONFLICT DO NOTHING`,
		map[string]any{"day": Day(s.now()).Format(time.DateOnly), "nr": nr, "q": q, "token": token}).Error
	if err != nil {
		s.log.WarnContext(ctx, "analytics: a search was not counted", "error", err.Error())
	}
}

// PruneSearches deletes the members' search tokens and the stored
// queries past SearchMemberRetention.
func (s *Service) PruneSearches(ctx context.Context) (err error) {
	defer wrap("prune searches", &err)
	before := Day(s.now().Add(-SearchMemberRetention)).Format(time.DateOnly)
	if err := s.db.Gorm.WithContext(ctx).Exec(`DELETE FROM analytics_search_members WHERE day < ?::date`, before).Error; err != nil {
		return err
	}
	return s.db.Gorm.WithContext(ctx).Exec(`DELETE FROM analytics_search_queries WHERE day < ?::date`, before).Error
}

// MaxNoResult is how many no-result queries the search page lists.
const MaxNoResult = 20

func (b *builder) search() error {
	args := map[string]any{"pfrom": b.p.Previous().From.Format(time.DateOnly), "from": b.p.From.Format(time.DateOnly), "to": b.p.To.Format(time.DateOnly)}
	var rows []struct {
		Day      time.Time
		Searches int64
		NoResult int64
	}
	if err := b.s.db.Gorm.WithContext(b.ctx).Raw(`SELECT day, searches, no_result FROM analytics_search_days WHERE day BETWEEN @pfrom ::date AND @to ::date`, args).Scan(&rows).Error; err != nil {
		return err
	}
	var tot, nr [2]int64
	perDay, perDayNR := make([]float64, b.p.Days()), make([]float64, b.p.Days())
	for _, r := range rows {
		i := 1
		if d := Day(r.Day); !d.Before(b.p.From) {
			i = 0
			perDay[int(d.Sub(b.p.From)/(24*time.Hour))] = float64(r.Searches)
			perDayNR[int(d.Sub(b.p.From)/(24*time.Hour))] = float64(r.NoResult)
		}
		tot[i] += r.Searches
		nr[i] += r.NoResult
	}
	days := float64(b.p.Days())
	b.r.Figures = append(b.r.Figures,
		figure("searches", "Searches", "", num(float64(tot[0])), num(float64(tot[1]))),
		figure("searches_per_day", "Searches per day (average)", "", num(float64(int64(10*float64(tot[0])/days))/10), num(float64(int64(10*float64(tot[1])/days))/10)),
		figure("no_result", "Searches that found nothing", "", num(float64(nr[0])), num(float64(nr[1]))),
		figure("no_result_share", "Share of searches that found nothing", "%", share(nr[0], tot[0], false), share(nr[1], tot[1], false)))
	b.r.Charts = append(b.r.Charts, Series{Key: "searches_per_day", Title: "Searches per day", Kind: "line", XTitle: "Day (UTC)", Labels: dayLabels(b.p),
		Lines: []Line{{Name: "Searches", Values: cells(perDay)}, {Name: "Found nothing", Values: cells(perDayNR)}}})
	var top []NoResult
	// DISTINCT then count: hashed, where count(DISTINCT) sorts each query's tokens.
	if err := b.s.db.Gorm.WithContext(b.ctx).Raw(`WITH m AS (
		  SELECT query, count(*) AS members FROM (SELECT DISTINCT query, token FROM analytics_search_members WHERE day BETWEEN @from ::date AND @to ::date) x
		  GROUP BY query HAVING count(*) >= @min)
		SELECT q.query, sum(q.searches) AS searches, m.members FROM analytics_search_queries q JOIN m ON m.query = q.query
		WHERE q.day BETWEEN @from ::date AND @to ::date GROUP BY q.query, m.members ORDER BY 2 DESC, 1 LIMIT @limit`,
		map[string]any{"from": args["from"], "to": args["to"], "min": SuppressBelow, "limit": MaxNoResult}).Scan(&top).Error; err != nil {
		return err
	}
	b.r.NoResult = top
	b.r.Notes = append(b.r.Notes,
		"A query that found nothing is listed only once at least 5 different signed-in members searched it in the period, with members' searches of it; visitors' searches count in the totals only, and their text is not kept. Who searched is never shown or stored: members are counted through a keyed hash of the query and the member that cannot be turned back into either.",
		"Queries are stored lower-case, at most 100 characters, and never when they contain personal data such as an e-mail address or a phone number (those searches are counted without their text).")
	return nil
}
