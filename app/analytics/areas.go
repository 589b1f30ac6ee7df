package analytics

import (
	"context"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/kindred-health/kindred/models"
)

// Report builds one area's figures for the period, as the scope may see
// them. An area the scope may not open is ErrForbidden, an unknown one
// ErrNotFound.
func (s *Service) Report(ctx context.Context, scope Scope, area string, p Period) (_ *Report, err error) {
	defer wrap("report "+area, &err)
	info, ok := areaInfo(area)
	if !ok {
		return nil, models.ErrNotFound
	}
	if !scope.MayOpen(area) {
		return nil, models.ErrForbidden
	}
	prev := p.Previous()
	r := &Report{Area: area, Title: info.Title, From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly),
		PreviousFrom: prev.From.Format(time.DateOnly), PreviousTo: prev.To.Format(time.DateOnly), ScopedToForums: !scope.All}
	if r.DaysNotRolled, err = s.notRolled(ctx, p); err != nil {
		return nil, err
	}
	fs, err := s.forums(ctx, scope)
	if err != nil {
		return nil, err
	}
	restricted := map[int64]bool{}
	for _, f := range fs {
		restricted[f.ID] = f.Restricted
	}
	b := builder{s: s, ctx: ctx, scope: scope, p: p, forums: fs, restricted: restricted, r: r}
	// A forum's moderator whose forums are all sensitive or clinician-only
	// has no open figure: every total and daily chart would read 0. They
	// get the per-forum rows alone, and are told why.
	if !scope.All && len(fs) > 0 {
		r.OnlyRestricted = true
		for _, f := range fs {
			r.OnlyRestricted = r.OnlyRestricted && f.Restricted
		}
	}
	if r.OnlyRestricted && (area == AreaCommunity || area == AreaModeration) {
		r.Notes = append(r.Notes, OnlyRestrictedNote)
	}
	switch area {
	case AreaCommunity:
		err = b.community()
	case AreaModeration:
		err = b.moderation()
	case AreaQuestions:
		err = b.questions()
	case AreaClinicians:
		err = b.clinicians()
	case AreaSearch:
		err = b.search()
	}
	if err != nil {
		return nil, err
	}
	r.fillLists()
	return r, nil
}

// OnlyRestrictedNote explains the pages of a moderator whose forums are
// all restricted.
const OnlyRestrictedNote = "The forums you moderate are all sensitive or clinician-only. To keep small counts from pointing at anyone, those forums are never added into headline figures or drawn per day, so this page has no totals or daily charts: their figures are in the per-forum table, where a count of 1 to 4 reads “fewer than 5”."

type builder struct {
	s          *Service
	ctx        context.Context
	scope      Scope
	p          Period
	forums     []forumInfo
	restricted map[int64]bool
	r          *Report
}

// open tells whether the scope has open figures to total (see
// Report.OnlyRestricted).
func (b *builder) open() bool { return !b.r.OnlyRestricted }

// total is a headline count over the open figures.
func (b *builder) total(c counts, key, label, metric string, k *string) {
	if !b.open() {
		return
	}
	b.r.Figures = append(b.r.Figures, figure(key, label, "", num(float64(c.open(metric, b.restricted, k, 0))), num(float64(c.open(metric, b.restricted, k, 1)))))
}

func str(s string) *string { return &s }

func forumLabel(f forumInfo) string {
	if f.Restricted {
		return f.Name + " (restricted)"
	}
	return f.Name
}

// perForumBar draws a count per forum, this period beside the previous,
// with suppressed cells hidden.
func (b *builder) perForumBar(key, title string, c counts, metric string) {
	sr := Series{Key: key, Title: title, Kind: "bar", XTitle: "Forum", Lines: []Line{{Name: "This period"}, {Name: "Previous period"}}}
	for _, f := range b.forums {
		sr.Labels = append(sr.Labels, forumLabel(f))
		for i := range 2 {
			sr.Lines[i].Values = append(sr.Lines[i].Values, count(c.forumTotal(metric, f.ID, i), f.Restricted))
		}
	}
	if len(sr.Labels) > 0 {
		b.r.Charts = append(b.r.Charts, sr)
	}
}

const restrictedNote = "Sensitive and clinician-only forums (marked restricted) appear only in their own rows, where a count of 1 to 4 reads “fewer than 5”; they are left out of every total and daily chart, so no total minus the rows shown gives a hidden count away."

func (b *builder) community() error {
	c, err := b.s.readCounts(b.ctx, b.scope, b.p, "new_members", "threads", "replies", "threads_replied_24h", "threads_clinician_7d", "dau",
		"retention_base_7", "retained_7", "retention_base_30", "retained_30")
	if err != nil {
		return err
	}
	end, err := b.s.atEnd(b.ctx, b.scope, b.p, "wau", "mau")
	if err != nil {
		return err
	}
	days := float64(b.p.Days())
	avg := func(metric string, forum int64, i int, restricted bool) Cell {
		v := float64(c.forumTotal(metric, forum, i)) / days
		if restricted && v > 0 && v < SuppressBelow {
			return hidden()
		}
		return num(math.Round(v*10) / 10)
	}
	if b.scope.All {
		b.total(c, "new_members", "New members", "new_members", nil)
		b.r.Figures = append(b.r.Figures,
			figure("daily_active", "Daily active members (average per day)", "", avg("dau", 0, 0, false), avg("dau", 0, 1, false)),
			figure("weekly_active", "Weekly active members (the 7 days ending on the last day)", "", num(float64(end.get("wau", 0, "", 0))), num(float64(end.get("wau", 0, "", 1)))),
			figure("monthly_active", "Monthly active members (the 30 days ending on the last day)", "", num(float64(end.get("mau", 0, "", 0))), num(float64(end.get("mau", 0, "", 1)))),
			figure("retention_7", "New members who came back in days 7–13", "%",
				share(c.get("retained_7", 0, "", 0), c.get("retention_base_7", 0, "", 0), false), share(c.get("retained_7", 0, "", 1), c.get("retention_base_7", 0, "", 1), false)),
			figure("retention_30", "New members who came back in days 30–36", "%",
				share(c.get("retained_30", 0, "", 0), c.get("retention_base_30", 0, "", 0), false), share(c.get("retained_30", 0, "", 1), c.get("retention_base_30", 0, "", 1), false)))
	}
	b.total(c, "threads", "Threads started (open forums)", "threads", nil)
	b.total(c, "replies", "Replies (open forums)", "replies", nil)
	openShare := func(part, whole string, i int) Cell {
		return share(c.open(part, b.restricted, nil, i), c.open(whole, b.restricted, nil, i), false)
	}
	if b.open() {
		b.r.Figures = append(b.r.Figures,
			figure("replied_24h", "Threads with a reply from someone else within 24 hours (open forums)", "%", openShare("threads_replied_24h", "threads", 0), openShare("threads_replied_24h", "threads", 1)),
			figure("clinician_7d", "Threads a verified clinician answered within 7 days (open forums)", "%", openShare("threads_clinician_7d", "threads", 0), openShare("threads_clinician_7d", "threads", 1)))
	}

	t := Table{Key: "forums", Title: "Per forum", Columns: []string{"Forum", "Threads", "Previous", "Replies", "Previous", "Replied within 24 h", "Clinician within 7 days", "Daily active (average)", "Monthly active (last day)"},
		Units: []string{"", "", "", "", "%", "%", "", ""}, Note: restrictedNote}
	for _, f := range b.forums {
		t.Rows = append(t.Rows, Row{Label: forumLabel(f), Cells: []Cell{
			count(c.forumTotal("threads", f.ID, 0), f.Restricted), count(c.forumTotal("threads", f.ID, 1), f.Restricted),
			count(c.forumTotal("replies", f.ID, 0), f.Restricted), count(c.forumTotal("replies", f.ID, 1), f.Restricted),
			share(c.forumTotal("threads_replied_24h", f.ID, 0), c.forumTotal("threads", f.ID, 0), f.Restricted),
			share(c.forumTotal("threads_clinician_7d", f.ID, 0), c.forumTotal("threads", f.ID, 0), f.Restricted),
			avg("dau", f.ID, 0, f.Restricted), count(end.get("mau", f.ID, "", 0), f.Restricted),
		}})
	}
	if b.open() {
		t.Rows = append(t.Rows, Row{Label: "All open forums", Cells: []Cell{
			num(float64(c.open("threads", b.restricted, nil, 0))), num(float64(c.open("threads", b.restricted, nil, 1))),
			num(float64(c.open("replies", b.restricted, nil, 0))), num(float64(c.open("replies", b.restricted, nil, 1))),
			openShare("threads_replied_24h", "threads", 0), openShare("threads_clinician_7d", "threads", 0), {}, {},
		}})
	}
	b.r.Tables = append(b.r.Tables, t)

	if b.open() {
		d, err := b.s.daily(b.ctx, b.scope, b.p, "threads", "replies")
		if err != nil {
			return err
		}
		b.r.Charts = append(b.r.Charts, Series{Key: "posts_per_day", Title: "Threads and replies per day (open forums)", Kind: "line", XTitle: "Day (UTC)",
			Labels: dayLabels(b.p), Lines: []Line{{Name: "Threads", Values: cells(d["threads"])}, {Name: "Replies", Values: cells(d["replies"])}}})
	}
	if b.scope.All {
		// forum 0 holds the site's count; per-forum rows would count a
		// member once per forum.
		da, err := b.s.siteDaily(b.ctx, b.p, "dau")
		if err != nil {
			return err
		}
		b.r.Charts = append(b.r.Charts, Series{Key: "active_per_day", Title: "Members active each day", Kind: "line", XTitle: "Day (UTC)",
			Labels: dayLabels(b.p), Lines: []Line{{Name: "Active members", Values: cells(da)}}})
	}
	b.perForumBar("threads_per_forum", "Threads per forum", c, "threads")
	b.r.Notes = append(b.r.Notes,
		"Active means having contributed that day: a thread, a reply or a reaction in a forum, a private question or a message in one, or a private message. Reading is never counted: Kindred keeps no browsing history.",
		"Coming back: a member who signed up on a day counts as back after 7 days if they contributed on any day from the 7th to the 13th after it, and after 30 days from the 30th to the 36th; members whose window has not ended by yesterday are left out of both sides of the share.",
		restrictedNote)
	if !b.scope.All {
		b.r.Notes = append(b.r.Notes, "You see the forums you moderate. Site-wide figures (new members, active members, retention) are for admins and global moderators.")
	}
	return nil
}

// siteDaily reads a site-wide (forum 0) metric per day.
func (s *Service) siteDaily(ctx context.Context, p Period, metric string) ([]float64, error) {
	var rows []struct {
		Day time.Time
		N   int64
	}
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT day, n FROM analytics_counts WHERE metric = ? AND forum_id = 0 AND day BETWEEN ?::date AND ?::date`,
		metric, p.From.Format(time.DateOnly), p.To.Format(time.DateOnly)).Scan(&rows).Error
	out := make([]float64, p.Days())
	for _, r := range rows {
		if i := int(Day(r.Day).Sub(p.From) / (24 * time.Hour)); i >= 0 && i < len(out) {
			out[i] = float64(r.N)
		}
	}
	return out, err
}

var reasonLabels = map[string]string{"misinformation": "Misinformation", "harassment": "Harassment", "spam": "Spam", "self_harm": "Self-harm",
	"privacy": "Privacy", "off_topic": "Off topic", "other": "Other"}

func label(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	if k == "" {
		return "None"
	}
	return k
}

// keyTable lists a metric by key over the open figures: this period,
// previous, change.
func (b *builder) keyTable(c counts, key, title, col, metric string, labels map[string]string) Table {
	t := Table{Key: key, Title: title, Columns: []string{col, "This period", "Previous", "Change"}, Units: []string{"", "", ""}}
	ks := c.keys(metric, b.restricted)
	for k := range labels {
		if c.open(metric, b.restricted, str(k), 0)+c.open(metric, b.restricted, str(k), 1) == 0 {
			continue
		}
		found := false
		for _, x := range ks {
			found = found || x == k
		}
		if !found {
			ks = append(ks, k)
		}
	}
	sort.Slice(ks, func(i, j int) bool {
		a, b2 := c.open(metric, b.restricted, str(ks[i]), 0), c.open(metric, b.restricted, str(ks[j]), 0)
		if a != b2 {
			return a > b2
		}
		return ks[i] < ks[j]
	})
	for _, k := range ks {
		v, p := num(float64(c.open(metric, b.restricted, str(k), 0))), num(float64(c.open(metric, b.restricted, str(k), 1)))
		t.Rows = append(t.Rows, Row{Label: label(labels, k), Cells: []Cell{v, p, change(v, p)}})
	}
	return t
}

func (b *builder) pctFigures(ps map[string][2]pct, metric, key, label string) {
	v := ps[metric]
	b.r.Figures = append(b.r.Figures,
		figure(key+"_p50", label+", median (p50)", " h", hours(v[0], "p50"), hours(v[1], "p50")),
		figure(key+"_p90", label+", p90", " h", hours(v[0], "p90"), hours(v[1], "p90")))
}

func (b *builder) moderation() error {
	c, err := b.s.readCounts(b.ctx, b.scope, b.p, "reports", "report_outcomes", "auto_hidden", "crisis_items", "crisis_acknowledged",
		"appeals", "appeal_decisions", "held", "held_outcomes", "watched_word_hits")
	if err != nil {
		return err
	}
	ps, err := b.s.percentilesOutside(b.ctx, b.scope, b.p, b.restricted, "first_action", "crisis_ack", "held_approval")
	if err != nil {
		return err
	}
	// Counts and durations leave restricted forums out ("open forums"):
	// their own rows below carry their figures, suppressed as counts are.
	b.total(c, "reports", "Reports by members (open forums)", "reports", nil)
	b.total(c, "reports_upheld", "Reports upheld (open forums)", "report_outcomes", str(models.ReportUpheld))
	b.total(c, "reports_dismissed", "Reports dismissed (open forums)", "report_outcomes", str(models.ReportDismissed))
	if b.open() {
		b.pctFigures(ps, "first_action", "first_action", "Time from a report to the moderator's decision (open forums)")
	}
	b.total(c, "auto_hidden", "Hidden automatically, reports past the threshold (open forums)", "auto_hidden", nil)
	b.total(c, "crisis_items", "Crisis items (open forums)", "crisis_items", nil)
	b.total(c, "crisis_acknowledged", "Crisis items acknowledged (open forums)", "crisis_acknowledged", nil)
	if b.open() {
		b.pctFigures(ps, "crisis_ack", "crisis_ack", "Time to acknowledge a crisis item (open forums)")
	}
	b.total(c, "appeals", "Appeals (open forums)", "appeals", nil)
	b.total(c, "appeals_upheld", "Appeals upheld, the decision stood (open forums)", "appeal_decisions", str("upheld"))
	b.total(c, "appeals_overturned", "Appeals overturned (open forums)", "appeal_decisions", str("overturned"))
	b.total(c, "held", "Posts held for approval (open forums)", "held", nil)
	b.total(c, "held_approved", "Held posts approved (open forums)", "held_outcomes", str("approved"))
	if b.open() {
		b.pctFigures(ps, "held_approval", "held_approval", "Time to approve a held post (open forums)")
	}
	b.total(c, "watched_word_hits", "Watched-word hits (open forums)", "watched_word_hits", nil)

	if b.open() {
		b.r.Tables = append(b.r.Tables,
			b.keyTable(c, "reasons", "Reports by reason (open forums)", "Reason", "reports", reasonLabels),
			b.keyTable(c, "outcomes", "Reports decided, by outcome (open forums)", "Outcome", "report_outcomes", map[string]string{"upheld": "Upheld", "dismissed": "Dismissed"}),
			b.keyTable(c, "crisis_levels", "Crisis items by level (open forums)", "Level", "crisis_items", map[string]string{"low": "Low", "medium": "Medium", "high": "High"}),
			b.keyTable(c, "watched_words", "Watched-word hits by action (open forums)", "Action", "watched_word_hits", map[string]string{"flag": "Flagged for review", "require_approval": "Held for approval"}))
	}
	// Each forum's crisis handling, sensitive ones included (where crisis
	// items mostly are), with the usual suppression.
	ack, err := b.s.forumPercentiles(b.ctx, b.scope, b.p, "crisis_ack")
	if err != nil {
		return err
	}
	t := Table{Key: "forums", Title: "Per forum", Columns: []string{"Forum", "Reports", "Previous", "Hidden automatically", "Crisis items", "Crisis items acknowledged",
		"Time to acknowledge (p50)", "Held for approval", "Watched-word hits"},
		Units: []string{"", "", "", "", "", " h", "", ""}, Note: restrictedNote + " A time is shown once it comes from 5 cases or more."}
	for _, f := range b.forums {
		row := Row{Label: forumLabel(f)}
		for _, m := range []struct {
			metric string
			i      int
		}{{"reports", 0}, {"reports", 1}, {"auto_hidden", 0}, {"crisis_items", 0}, {"crisis_acknowledged", 0}, {"", 0}, {"held", 0}, {"watched_word_hits", 0}} {
			if m.metric == "" {
				row.Cells = append(row.Cells, hours(ack[f.ID], "p50"))
				continue
			}
			row.Cells = append(row.Cells, count(c.forumTotal(m.metric, f.ID, m.i), f.Restricted))
		}
		t.Rows = append(t.Rows, row)
	}
	b.r.Tables = append(b.r.Tables, t)

	if b.open() {
		d, err := b.s.daily(b.ctx, b.scope, b.p, "reports", "crisis_items", "held")
		if err != nil {
			return err
		}
		b.r.Charts = append(b.r.Charts, Series{Key: "reports_per_day", Title: "Reports, crisis items and held posts per day (open forums)", Kind: "line", XTitle: "Day (UTC)",
			Labels: dayLabels(b.p), Lines: []Line{{Name: "Reports", Values: cells(d["reports"])}, {Name: "Crisis items", Values: cells(d["crisis_items"])}, {Name: "Held posts", Values: cells(d["held"])}}})
		reasons := b.r.Tables[0]
		bar := Series{Key: "reports_by_reason", Title: "Reports by reason (open forums)", Kind: "bar", XTitle: "Reason", Lines: []Line{{Name: "This period"}, {Name: "Previous period"}}}
		for _, row := range reasons.Rows {
			bar.Labels = append(bar.Labels, row.Label)
			bar.Lines[0].Values = append(bar.Lines[0].Values, row.Cells[0])
			bar.Lines[1].Values = append(bar.Lines[1].Values, row.Cells[1])
		}
		if len(bar.Labels) > 0 {
			b.r.Charts = append(b.r.Charts, bar)
		}
	}
	b.r.Notes = append(b.r.Notes,
		"Reports are members' reports; Kindred's own (watched words, crisis language, held posts) are counted in their own figures. Time to decision runs from a report to the moderator's action that closed it; the times are computed from every case in the period, not from daily figures.",
		"A crisis item is a post or message in which the safety engine found crisis language that the forum sends to moderators; acknowledging it is the first step of the follow-up.",
		"An appeal upheld means the moderator's decision stood; overturned means it was reversed.",
		restrictedNote)
	if !b.scope.All {
		b.r.Notes = append(b.r.Notes, "You see the forums you moderate. Reports about members or private messages (not tied to a forum) are for admins and global moderators.")
	}
	return nil
}

func (b *builder) questions() error {
	c, err := b.s.readCounts(b.ctx, b.scope, b.p, "q_asked", "q_routed", "q_offer_outcomes", "q_accepted_in_time", "q_answered_24h", "q_answered_48h",
		"q_pooled", "q_stranded", "q_ratings", "q_load_offers", "q_load_accepted", "q_load_answered")
	if err != nil {
		return err
	}
	ps, err := b.s.percentiles(b.ctx, b.scope, b.p, "q_answer_time")
	if err != nil {
		return err
	}
	sh := func(part, whole string, pk, wk *string, i int) Cell {
		return share(c.open(part, b.restricted, pk, i), c.open(whole, b.restricted, wk, i), false)
	}
	b.total(c, "asked", "Questions asked", "q_asked", nil)
	b.total(c, "routed", "Asked and offered to a clinician", "q_routed", nil)
	b.r.Figures = append(b.r.Figures,
		figure("accepted_in_time", "Offers accepted before their deadline, of offers accepted, declined or timed out", "%",
			sh("q_accepted_in_time", "q_offer_outcomes", nil, nil, 0), sh("q_accepted_in_time", "q_offer_outcomes", nil, nil, 1)),
		figure("answered_24h", "Questions answered within 24 hours of asking", "%", sh("q_answered_24h", "q_asked", nil, nil, 0), sh("q_answered_24h", "q_asked", nil, nil, 1)),
		figure("answered_48h", "Questions answered within 48 hours of asking", "%", sh("q_answered_48h", "q_asked", nil, nil, 0), sh("q_answered_48h", "q_asked", nil, nil, 1)))
	b.total(c, "pooled", "Questions that went to the open pool", "q_pooled", nil)
	b.total(c, "stranded", "Questions that waited too long (admins alerted)", "q_stranded", nil)
	b.total(c, "rated_helpful", "Rated helpful", "q_ratings", str("helpful"))
	b.total(c, "rated_not_helpful", "Rated not helpful", "q_ratings", str("not_helpful"))
	b.pctFigures(ps, "q_answer_time", "answer_time", "Time from asking to the first answer")
	spec, err := b.s.labels(b.ctx, `SELECT code, label FROM specialties`)
	if err != nil {
		return err
	}
	spec[""] = "No specialty chosen"
	st := b.keyTable(c, "specialties", "Questions asked per specialty", "Specialty", "q_asked", spec)
	b.r.Tables = append(b.r.Tables, st)
	bar := Series{Key: "per_specialty", Title: "Questions asked per specialty", Kind: "bar", XTitle: "Specialty", Lines: []Line{{Name: "This period"}, {Name: "Previous period"}}}
	for _, row := range st.Rows {
		bar.Labels = append(bar.Labels, row.Label)
		bar.Lines[0].Values = append(bar.Lines[0].Values, row.Cells[0])
		bar.Lines[1].Values = append(bar.Lines[1].Values, row.Cells[1])
	}
	// The clinicians' load names clinicians at work: admins only (the
	// area is theirs).
	var ids []int64
	for _, m := range []string{"q_load_offers", "q_load_accepted", "q_load_answered"} {
		for k, v := range c[m][0] {
			if id, err := strconv.ParseInt(k, 10, 64); err == nil && v[0] > 0 {
				ids = append(ids, id)
			}
		}
	}
	handles, err := b.s.labels(b.ctx, `SELECT id::text, handle FROM users WHERE id IN ?`, append(ids, -1))
	if err != nil {
		return err
	}
	lt := Table{Key: "clinician_load", Title: "Clinicians' load", Columns: []string{"Clinician", "Offers received", "Accepted", "Answered"}, Units: []string{"", "", ""},
		Note: "Shown to admins only: these are counts about clinicians at work."}
	keys := make([]string, 0, len(handles))
	for id := range handles {
		keys = append(keys, id)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, z := c.get("q_load_offers", 0, keys[i], 0), c.get("q_load_offers", 0, keys[j], 0)
		if a != z {
			return a > z
		}
		return handles[keys[i]] < handles[keys[j]]
	})
	for _, id := range keys {
		lt.Rows = append(lt.Rows, Row{Label: handles[id], Cells: []Cell{num(float64(c.get("q_load_offers", 0, id, 0))),
			num(float64(c.get("q_load_accepted", 0, id, 0))), num(float64(c.get("q_load_answered", 0, id, 0)))}})
	}
	b.r.Tables = append(b.r.Tables, lt)
	d, err := b.s.daily(b.ctx, b.scope, b.p, "q_asked", "q_pooled")
	if err != nil {
		return err
	}
	b.r.Charts = append(b.r.Charts, Series{Key: "asked_per_day", Title: "Questions asked and pooled per day", Kind: "line", XTitle: "Day (UTC)",
		Labels: dayLabels(b.p), Lines: []Line{{Name: "Asked", Values: cells(d["q_asked"])}, {Name: "Pooled", Values: cells(d["q_pooled"])}}})
	if len(bar.Labels) > 0 {
		b.r.Charts = append(b.r.Charts, bar)
	}
	b.r.Notes = append(b.r.Notes,
		"Answered within 24 or 48 hours and ratings are about the questions asked in the period. Figures only: never a question's title or text.")
	return nil
}

// labels reads a code → name list.
func (s *Service) labels(ctx context.Context, q string, args ...any) (map[string]string, error) {
	var rows []struct{ A, B string }
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT x.* FROM (`+q+`) x(a, b)`, args...).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.A] = r.B
	}
	return out, nil
}

// ExpiringWithin is how soon a verification ending counts as soon.
const ExpiringWithin = 30 * 24 * time.Hour

func (b *builder) clinicians() error {
	c, err := b.s.readCounts(b.ctx, b.scope, b.p, "applications", "decisions")
	if err != nil {
		return err
	}
	ps, err := b.s.percentiles(b.ctx, b.scope, b.p, "decision_time")
	if err != nil {
		return err
	}
	b.total(c, "applications", "Applications", "applications", nil)
	b.total(c, "verified", "Applications approved", "decisions", str("verified"))
	b.total(c, "rejected", "Applications rejected", "decisions", str("rejected"))
	b.pctFigures(ps, "decision_time", "decision_time", "Time from application to decision")
	prof, err := b.s.labels(b.ctx, `SELECT code, label FROM professions`)
	if err != nil {
		return err
	}
	b.r.Tables = append(b.r.Tables, b.keyTable(c, "applications", "Applications by profession", "Profession", "applications", prof))
	// Who is verified now, and until when, is the present state, not a
	// period's: read from credentials as it stands.
	now := b.s.now()
	var rows []struct {
		Profession string
		Verified   int64
		Expiring   int64
	}
	if err := b.s.db.Gorm.WithContext(b.ctx).Raw(`SELECT profession, count(*) AS verified, count(*) FILTER (WHERE verified_until < ?) AS expiring
		FROM credentials WHERE clinician_verified(status, verified_until, ?) GROUP BY 1 ORDER BY 2 DESC, 1`, now.Add(ExpiringWithin), now).Scan(&rows).Error; err != nil {
		return err
	}
	vt := Table{Key: "verified_now", Title: "Verified clinicians now, by profession", Columns: []string{"Profession", "Verified", "Verification ends within 30 days"}, Units: []string{"", ""}}
	bar := Series{Key: "verified_by_profession", Title: "Verified clinicians now, by profession", Kind: "bar", XTitle: "Profession", Lines: []Line{{Name: "Verified"}}}
	var verified, expiring int64
	for _, r := range rows {
		vt.Rows = append(vt.Rows, Row{Label: label(prof, r.Profession), Cells: []Cell{num(float64(r.Verified)), num(float64(r.Expiring))}})
		bar.Labels = append(bar.Labels, label(prof, r.Profession))
		bar.Lines[0].Values = append(bar.Lines[0].Values, num(float64(r.Verified)))
		verified += r.Verified
		expiring += r.Expiring
	}
	b.r.Figures = append(b.r.Figures,
		Figure{Key: "verified_now", Label: "Verified clinicians now", Value: num(float64(verified))},
		Figure{Key: "expiring_soon", Label: "Verifications ending within 30 days", Value: num(float64(expiring))})
	b.r.Tables = append(b.r.Tables, vt)
	d, err := b.s.daily(b.ctx, b.scope, b.p, "applications")
	if err != nil {
		return err
	}
	b.r.Charts = append(b.r.Charts, Series{Key: "applications_per_day", Title: "Applications per day", Kind: "line", XTitle: "Day (UTC)",
		Labels: dayLabels(b.p), Lines: []Line{{Name: "Applications", Values: cells(d["applications"])}}})
	if len(bar.Labels) > 0 {
		b.r.Charts = append(b.r.Charts, bar)
	}
	b.r.Notes = append(b.r.Notes, "“Verified now” and “ending within 30 days” describe today, whatever the period; the other figures are the period's.")
	return nil
}
