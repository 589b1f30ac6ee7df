package server_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// TestVisitorPagesReadTheReplica: with KINDRED_REPLICA_DATABASE_URL, a
// signed-out visitor's forum and thread pages (and the API's) come from
// the replica, here a copy lagging one edit behind; members' pages and
// every write stay on the primary. When the replica cannot be reached,
// visitors are served from the primary (no error), and
// /healthz/details says the replica is down while /readyz stays up.
func TestVisitorPagesReadTheReplica(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{replica: true})
	f := h.forum("heart", nil)
	h.account("writer", models.RoleMember)
	th := h.thread("writer", f, "Training for a 5k after my ablation", "Three months on, the rhythm is steady.", false)

	// The replica has every row but has not yet seen the latest edit of
	// the title.
	replica := testenv.OpenDB(t, h.replicaURL, h.clock.Now)
	for _, q := range []struct{ table, where string }{
		{"users", "handle = 'writer'"}, {"forums", "slug = 'heart'"},
		{"threads", "id = " + strconv.FormatInt(th.ID, 10)}, {"posts", "thread_id = " + strconv.FormatInt(th.ID, 10)},
	} {
		var rows []string
		if err := h.app.DB.Gorm.Raw(`SELECT row_to_json(x)::text FROM ` + q.table + ` x WHERE ` + q.where).Scan(&rows).Error; err != nil || len(rows) == 0 {
			t.Fatalf("%s: %v", q.table, err)
		}
		for _, r := range rows {
			if err := replica.Gorm.Exec(`INSERT INTO `+q.table+` SELECT * FROM json_populate_record(NULL::`+q.table+`, ?::json)`, r).Error; err != nil {
				t.Fatalf("copy %s: %v", q.table, err)
			}
		}
	}
	if err := h.app.DB.Gorm.Exec(`UPDATE threads SET title = 'Training for a 5k after my ablation (week 6)' WHERE id = ?`, th.ID).Error; err != nil {
		t.Fatal(err)
	}
	newTitle, oldTitle := "(week 6)", "Training for a 5k after my ablation"
	threadPath := "/t/" + strconv.FormatInt(th.ID, 10)

	visitor := h.browser()
	for _, path := range []string{"/f/heart", threadPath} {
		r := visitor.get(path)
		if r.StatusCode != http.StatusOK || !strings.Contains(r.body, oldTitle) || strings.Contains(r.body, newTitle) {
			t.Errorf("visitor %s: %d, not the replica's copy", path, r.StatusCode)
		}
	}
	if r := h.api("GET", "/api/v1/threads/"+strconv.FormatInt(th.ID, 10)+"/posts", "", nil); r.Status != http.StatusOK || strings.Contains(r.Raw, newTitle) {
		t.Errorf("visitor API posts: %d %s", r.Status, r.Raw)
	}
	// A thread the replica has not received yet is read from the
	// primary: a shared link to it never answers 404.
	fresh := h.thread("writer", f, "Posted a second ago", "Not on the replica yet.", false)
	if r := visitor.get("/t/" + strconv.FormatInt(fresh.ID, 10)); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Posted a second ago") {
		t.Errorf("visitor on a thread the replica lacks: %d", r.StatusCode)
	}
	if err := h.app.DB.Gorm.Exec(`UPDATE forums SET slug = 'heart-new' WHERE slug = 'heart'`).Error; err != nil {
		t.Fatal(err)
	}
	if r := visitor.get("/f/heart-new"); r.StatusCode != http.StatusOK {
		t.Errorf("visitor on a forum address the replica lacks: %d", r.StatusCode)
	}
	if err := h.app.DB.Gorm.Exec(`UPDATE forums SET slug = 'heart' WHERE slug = 'heart-new'`).Error; err != nil {
		t.Fatal(err)
	}
	member := h.member("reader")
	for _, path := range []string{"/f/heart", threadPath} {
		if r := member.get(path); r.StatusCode != http.StatusOK || !strings.Contains(r.body, newTitle) {
			t.Errorf("member %s: %d, not the primary's", path, r.StatusCode)
		}
	}

	// The replica goes away: visitors are served from the primary.
	h.replicaProxy.Down()
	for _, path := range []string{"/f/heart", threadPath} {
		if r := visitor.get(path); r.StatusCode != http.StatusOK || !strings.Contains(r.body, newTitle) {
			t.Errorf("visitor %s with the replica down: %d", path, r.StatusCode)
		}
	}
	if r := visitor.get("/readyz"); r.StatusCode != http.StatusOK {
		t.Errorf("readyz with only the replica down: %d", r.StatusCode)
	}
	var details map[string]any
	d := visitor.get("/healthz/details")
	_ = json.Unmarshal([]byte(d.body), &details)
	if d.StatusCode != http.StatusServiceUnavailable || details["postgres_replica"] != "unavailable" || details["postgres"] != "ok" {
		t.Errorf("healthz/details with the replica down: %d %s", d.StatusCode, d.body)
	}
	// Nothing was ever written to the replica.
	var n int64
	replica.Gorm.Raw(`SELECT count(*) FROM threads`).Scan(&n)
	if n != 1 {
		t.Errorf("the replica holds %d threads", n)
	}
}
