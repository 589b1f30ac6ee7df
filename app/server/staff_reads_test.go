package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/models"
)

// The texts of one private question; none may reach anyone but its
// participants, except the reported message while a report on it is open.
const (
	srTitle    = "Chest flutter TITLE-KOALA"
	srBody     = "Is it normal at night? BODY-EMU"
	srOther    = "Thank you, doctor. OTHER-WOMBAT"
	srReported = "Stop wasting my time. REPORTED-QUOKKA"
)

// leaks names the private texts in body other than the reported message.
func leaks(body string) []string {
	var out []string
	for _, s := range []string{"TITLE-KOALA", "BODY-EMU", "OTHER-WOMBAT"} {
		if strings.Contains(body, s) {
			out = append(out, s)
		}
	}
	return out
}

// clone copies a form: browser.post adds its CSRF token to the one it is given.
func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// staffRoute is one moderation route that takes a target kind and id.
type staffRoute struct {
	api    bool
	action string // "" for the item itself (GET)
}

func (r staffRoute) String() string {
	kind := "page"
	if r.api {
		kind = "API"
	}
	if r.action == "" {
		return kind + " GET item"
	}
	return kind + " POST " + r.action
}

func (r staffRoute) path(id int64) string {
	p := "/moderation/question_message/" + itoa(id)
	if r.api {
		p = "/api/v1/moderation/items/question_message/" + itoa(id)
	}
	if r.action != "" {
		p += "/" + r.action
	}
	return p
}

// writesSnapshot counts what a refused request must not change.
type writesSnapshot struct {
	actions, restricted, audit, notifications, open int64
}

// TestStaffReadsOfPrivateMessages is the access matrix of invariant 9: every
// moderation route that takes a private-question message, for every kind of
// person, before the message is reported, while a participant's report on
// it is open, and after it was dismissed. Only global moderators and admins
// read it, only while the report is open, only that message, and every read
// is audited with the report it was for; everything else answers like a
// message that does not exist and writes nothing.
func TestStaffReadsOfPrivateMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	heart := h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	doc := h.clinician("dr_sharp", "cardiology")
	h.account("asker", models.RoleMember)
	q := h.ask("asker", "heart", srTitle, srBody)
	if err := h.app.Questions.Accept(ctx, h.actor(doc), q.ID); err != nil {
		t.Fatal(err)
	}
	other, err := h.app.Questions.Message(ctx, h.actor(h.user("asker")), q.ID, questions.MessageForm{Body: srOther})
	if err != nil {
		t.Fatal(err)
	}
	m, err := h.app.Questions.Message(ctx, h.actor(doc), q.ID, questions.MessageForm{Body: srReported})
	if err != nil {
		t.Fatal(err)
	}
	h.account("nosy", models.RoleMember)
	h.account("heart_mod", models.RoleMember)
	h.makeForumModerator("heart_mod", heart)
	h.account("mod_gia", models.RoleModerator)
	admin := h.ensureAdmin()

	type person struct {
		name  string
		b     *browser
		token string
		staff bool // a global moderator or admin
	}
	signIn := func(name, handle string, staff bool) person {
		b := h.browser()
		if r := b.signIn(handle, goodPassword); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in %s: %d", handle, r.StatusCode)
		}
		return person{name: name, b: b, token: b.token("write"), staff: staff}
	}
	visitor := person{name: "visitor", b: h.browser()}
	visitor.b.get("/signin") // a CSRF token
	people := []person{
		signIn("asker", "asker", false), signIn("assignee clinician", "dr_sharp", false), signIn("other member", "nosy", false),
		signIn("forum moderator", "heart_mod", false), signIn("global moderator", "mod_gia", true), signIn("admin", admin, true), visitor,
	}
	gm, adm := people[4], people[5]

	var routes []staffRoute
	for _, api := range []bool{false, true} {
		for _, action := range []string{"", "dismiss", "note", "warn", "suspend", "ban", "reveal", "move", "hide"} {
			routes = append(routes, staffRoute{api: api, action: action})
		}
	}
	until := h.clock.Now().Add(30 * 24 * time.Hour)
	form := url.Values{"reason": {"Please keep this conversation civil."}, "until": {until.Format("2006-01-02")},
		"reveal_reason": {"Who wrote this, for the record"}, "forum": {"heart"}, "expect_open": {"1"}}
	body := map[string]any{"reason": "Please keep this conversation civil.", "until": until, "forum": "heart", "expect_open": true}
	// call sends one request and answers its status, Location and body.
	call := func(p person, rt staffRoute, id int64) (int, string, string) {
		t.Helper()
		switch {
		case rt.api && rt.action == "":
			a := h.api("GET", rt.path(id), p.token, nil)
			return a.Status, "", a.Raw
		case rt.api:
			a := h.api("POST", rt.path(id), p.token, body)
			return a.Status, "", a.Raw
		case rt.action == "":
			r := p.b.get(rt.path(id))
			return r.StatusCode, r.Header.Get("Location"), r.body
		}
		r := p.b.post(rt.path(id), clone(form))
		return r.StatusCode, r.Header.Get("Location"), r.body
	}
	snapshot := func() writesSnapshot {
		t.Helper()
		return writesSnapshot{
			actions:       h.count("moderation_actions"),
			restricted:    countWhere(t, h, `SELECT count(*) FROM users WHERE status <> 'active' OR suspended_until IS NOT NULL`),
			audit:         h.count("audit_events"),
			notifications: h.count("notifications"),
			open:          countWhere(t, h, `SELECT count(*) FROM reports WHERE status = 'open'`),
		}
	}
	reads := 0 // answers that carried the reported message
	itemURL := "/moderation/question_message/" + itoa(m.ID)

	// refused checks one cell that must answer like a missing message: 404
	// (visitors: whatever the sign-in middleware answers, never 200), no
	// private text, nothing written.
	refused := func(phase string, p person, rt staffRoute) {
		t.Helper()
		before := snapshot()
		status, _, got := call(p, rt, m.ID)
		cell := fmt.Sprintf("%s / %s / %s", phase, p.name, rt)
		if p.name == "visitor" {
			if status == http.StatusOK {
				t.Errorf("%s: %d", cell, status)
			}
		} else if status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", cell, status)
		}
		if strings.Contains(got, "REPORTED-QUOKKA") || len(leaks(got)) > 0 {
			t.Errorf("%s: private text in the answer", cell)
		}
		if after := snapshot(); after != before {
			t.Errorf("%s: refused but wrote %+v → %+v", cell, before, after)
		}
	}
	// read checks an answer that carries the reported message only.
	read := func(cell string, got string) {
		t.Helper()
		if !strings.Contains(got, "REPORTED-QUOKKA") {
			t.Errorf("%s: the reported message is missing", cell)
		}
		if l := leaks(got); len(l) > 0 {
			t.Errorf("%s: shows %v beyond the reported message", cell, l)
		}
		reads++
	}

	// Phase 1: nobody has reported the message.
	for _, p := range people {
		for _, rt := range routes {
			refused("no report", p, rt)
		}
	}

	// Phase 2: the asker reports it.
	rep, err := h.report("asker", models.TargetQuestionMessage, m.ID, models.ReasonHarassment)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		for _, rt := range routes {
			cell := fmt.Sprintf("open report / %s / %s", p.name, rt)
			switch {
			case !p.staff, rt.action == "reveal", rt.action == "move", rt.action == "hide":
				// Not theirs to open; or no such action on a message.
				refused("open report", p, rt)
			case rt.action == "":
				status, _, got := call(p, rt, m.ID)
				if status != http.StatusOK {
					t.Fatalf("%s: %d", cell, status)
				}
				read(cell, got)
			case rt.action == "note", rt.action == "warn":
				before := h.count("moderation_actions")
				status, loc, got := call(p, rt, m.ID)
				switch {
				case rt.api && status == http.StatusOK:
					read(cell, got) // the API answers with the item again
				case !rt.api && status == http.StatusSeeOther && loc == itemURL:
				default:
					t.Errorf("%s: %d %q", cell, status, loc)
				}
				if h.count("moderation_actions") != before+1 {
					t.Errorf("%s: not recorded", cell)
				}
			}
			// Staff dismiss, suspend and ban while the report is open come
			// last, below: each changes what the rest of the matrix sees.
		}
	}
	// Only that message: another message of the same question stays closed.
	for _, p := range []person{gm, adm} {
		if r := p.b.get("/moderation/question_message/" + itoa(other.ID)); r.StatusCode != http.StatusNotFound || strings.Contains(r.body, "OTHER-WOMBAT") {
			t.Errorf("%s opens an unreported message of a reported question: %d", p.name, r.StatusCode)
		}
		if a := h.api("GET", "/api/v1/moderation/items/question_message/"+itoa(other.ID), p.token, nil); a.Status != http.StatusNotFound {
			t.Errorf("%s opens an unreported message by API: %d", p.name, a.Status)
		}
	}
	// The queue lists the reported message for global staff, without text.
	page := gm.b.get("/moderation")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, `href="`+itemURL+`"`) {
		t.Errorf("the reported message is not in the global moderator's queue: %d", page.StatusCode)
	}
	if strings.Contains(page.body, "REPORTED-QUOKKA") || len(leaks(page.body)) > 0 {
		t.Error("the queue shows text of the private question")
	}
	aq := h.api("GET", "/api/v1/moderation/queue", adm.token, nil)
	if aq.Status != http.StatusOK || !strings.Contains(aq.Raw, `"kind":"question_message","id":`+itoa(m.ID)) {
		t.Errorf("API queue: %d %s", aq.Status, aq.Raw)
	}
	if strings.Contains(aq.Raw, "REPORTED-QUOKKA") || len(leaks(aq.Raw)) > 0 {
		t.Error("the API queue shows text of the private question")
	}
	if r := people[3].b.get("/moderation"); strings.Contains(r.body, itemURL) {
		t.Error("the forum moderator's queue lists a private message")
	}
	// The global moderator dismisses the report.
	r := gm.b.post(itemURL+"/dismiss", url.Values{"expect_open": {"1"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/moderation" {
		t.Fatalf("dismiss: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if countWhere(t, h, `SELECT count(*) FROM reports WHERE id = ? AND status = 'dismissed'`, rep.ID) != 1 {
		t.Fatal("the report is not dismissed")
	}

	// Phase 3: the report is dismissed. A late dismissal by another
	// moderator is superseded, without text; everything else is not found.
	for _, p := range people {
		for _, rt := range routes {
			if !p.staff || rt.action != "dismiss" {
				refused("dismissed", p, rt)
				continue
			}
			cell := fmt.Sprintf("dismissed / %s / %s", p.name, rt)
			before := snapshot()
			status, loc, got := call(p, rt, m.ID)
			if rt.api && status != http.StatusConflict || !rt.api && (status != http.StatusSeeOther || loc != "/moderation") {
				t.Errorf("%s: %d %q", cell, status, loc)
			}
			if strings.Contains(got, "REPORTED-QUOKKA") || len(leaks(got)) > 0 {
				t.Errorf("%s: private text in the answer", cell)
			}
			after := snapshot()
			before.actions++ // the superseded attempt, recorded
			if after != before {
				t.Errorf("%s: wrote %+v, want %+v", cell, after, before)
			}
		}
	}

	// A message id that does not exist answers as an unreported one does,
	// word for word.
	missing := m.ID + 1000
	for _, p := range people[:6] {
		for _, rt := range []staffRoute{{api: true}, {api: true, action: "note"}, {api: true, action: "dismiss"}} {
			_, _, gone := call(p, rt, missing)
			_, _, unreported := call(p, rt, other.ID)
			if gone != unreported {
				t.Errorf("%s / %s: a missing message answers %s, an unreported one %s", p.name, rt, gone, unreported)
			}
		}
		for _, rt := range []staffRoute{{}, {action: "warn"}} {
			gone, _, _ := call(p, rt, missing)
			unreported, _, _ := call(p, rt, other.ID)
			if gone != http.StatusNotFound || unreported != http.StatusNotFound {
				t.Errorf("%s / %s: missing %d, unreported %d", p.name, rt, gone, unreported)
			}
		}
	}

	// The asker reports it again: suspension and ban apply only now, and an
	// API dismissal answers without the text.
	rep2, err := h.report("asker", models.TargetQuestionMessage, m.ID, models.ReasonPrivacy)
	if err != nil {
		t.Fatal(err)
	}
	if r := gm.b.post(itemURL+"/suspend", clone(form)); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != itemURL {
		t.Errorf("suspend with an open report: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if h.user("dr_sharp").Status != models.StatusSuspended {
		t.Error("the author is not suspended")
	}
	if a := h.api("POST", "/api/v1/moderation/items/question_message/"+itoa(m.ID)+"/ban", adm.token, body); a.Status != http.StatusOK {
		t.Errorf("ban with an open report: %d %s", a.Status, a.Raw)
	} else {
		read("ban by API", a.Raw)
	}
	if h.user("dr_sharp").Status != models.StatusBanned {
		t.Error("the author is not banned")
	}
	a := h.api("POST", "/api/v1/moderation/items/question_message/"+itoa(m.ID)+"/dismiss", adm.token, map[string]any{"expect_open": true})
	if a.Status != http.StatusOK || a.Body["open"] != false || strings.Contains(a.Raw, "REPORTED-QUOKKA") || len(leaks(a.Raw)) > 0 {
		t.Errorf("API dismissal: %d %s", a.Status, a.Raw)
	}
	if r := gm.b.get(itemURL); r.StatusCode != http.StatusNotFound {
		t.Errorf("the message after the second dismissal: %d", r.StatusCode)
	}

	// Every read is in the audit log, by a global moderator or admin, with
	// the report it was for in words the asker understands.
	var events []models.AuditEvent
	if err := h.app.DB.Gorm.Where("action = 'question_message.read'").Order("id").Find(&events).Error; err != nil {
		t.Fatal(err)
	}
	if len(events) != reads {
		t.Fatalf("%d reads audited, %d answers carried the message", len(events), reads)
	}
	staff := map[int64]bool{h.user("mod_gia").ID: true, h.user(admin).ID: true}
	for i, e := range events {
		want := fmt.Sprintf("Reviewing report #%d (harassment or abuse)", rep.ID)
		if i == len(events)-1 {
			want = fmt.Sprintf("Reviewing report #%d (shares someone's private information)", rep2.ID)
		}
		if e.TargetKind != models.TargetQuestionMessage || e.TargetID == nil || *e.TargetID != m.ID || e.ActorID == nil || !staff[*e.ActorID] || e.Reason != want {
			t.Errorf("audit event %+v, want reason %q", e, want)
		}
	}
}

// TestStaffReadWaitsForAResolution: the check that a report is open and the
// read of the message are one locked statement, so a moderator who opens the
// message (or warns its author) while another moderator's dismissal is being
// written waits for it, then finds nothing: no text, no audited read, no
// action.
func TestStaffReadWaitsForAResolution(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	doc := h.clinician("dr_slow", "cardiology")
	h.account("asker", models.RoleMember)
	q := h.ask("asker", "heart", srTitle, srBody)
	if err := h.app.Questions.Accept(ctx, h.actor(doc), q.ID); err != nil {
		t.Fatal(err)
	}
	m, err := h.app.Questions.Message(ctx, h.actor(doc), q.ID, questions.MessageForm{Body: srReported})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := h.report("asker", models.TargetQuestionMessage, m.ID, models.ReasonHarassment)
	if err != nil {
		t.Fatal(err)
	}
	h.account("mod_late", models.RoleModerator)
	mod := h.user("mod_late")

	// Another moderator's dismissal, written but not yet committed.
	tx := h.app.DB.Gorm.Begin()
	defer tx.Rollback()
	if err := tx.Exec(`UPDATE reports SET status = 'dismissed', resolution = 'dismiss' WHERE id = ?`, rep.ID).Error; err != nil {
		t.Fatal(err)
	}
	type result struct {
		text string
		err  error
	}
	read, warn := make(chan result, 1), make(chan error, 1)
	go func() {
		it, err := h.app.Moderation.Item(ctx, h.actor(mod), models.TargetQuestionMessage, m.ID)
		r := result{err: err}
		if it != nil {
			r.text = it.Target.BodyHTML
		}
		read <- r
	}()
	go func() {
		warn <- h.app.Moderation.ActOnMember(ctx, h.actor(mod), models.TargetQuestionMessage, m.ID, "warn", "Please keep this civil.", time.Time{})
	}()
	eventually(t, "the read and the warning wait for the dismissal", func() bool {
		var n int64
		h.app.DB.Gorm.Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		return n == 2
	})
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if r := <-read; !errors.Is(r.err, models.ErrNotFound) || strings.Contains(r.text, "REPORTED-QUOKKA") {
		t.Errorf("read after the dismissal: %v %q", r.err, r.text)
	}
	if err := <-warn; !errors.Is(err, models.ErrNotFound) {
		t.Errorf("warning after the dismissal: %v", err)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'question_message.read'`); n != 0 {
		t.Errorf("%d reads audited", n)
	}
	if n := h.count("moderation_actions"); n != 0 {
		t.Errorf("%d moderation actions written", n)
	}
}
