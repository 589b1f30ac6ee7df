package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/models"
)

// The cards a member hid are theirs: in their export, and gone with
// their reach marker when they are erased (the campaign's count drops).
func TestOutreachExportAndErasure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("boss", models.RoleAdmin)
	h.account("hider", models.RoleMember)
	h.account("stayer", models.RoleMember)
	admin := h.signedIn("boss")
	campaign, _, _, card := h.campaignFixture(admin)
	b := h.signedIn("hider")
	b.get("/")
	if r := b.post(fmt.Sprintf("/announcements/%d/dismiss", card), url.Values{"next": {"/"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("dismiss: %d", r.StatusCode)
	}
	h.signedIn("stayer").get("/")
	if n := countWhere(t, h, `SELECT count(*) FROM campaign_reach WHERE campaign_id = ?`, campaign); n != 2 {
		t.Fatalf("reach %d, want 2", n)
	}

	b = h.signedIn("hider") // a fresh sign-in: asking for a copy needs one
	b.get("/account/export")
	if r := b.post("/account/export", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("asking for an export: %d", r.StatusCode)
	}
	h.exportNow()
	got := b.downloadExport(h.exportLink("hider@example.org"))
	if got.StatusCode != http.StatusOK {
		t.Fatalf("download: %d", got.StatusCode)
	}
	files := unzipAll(t, got.body)
	if body := files["json/announcement_dismissals.json"]; !bytes.Contains(body, []byte("Flu shots are free this week")) {
		t.Errorf("the export lacks the hidden announcement:\n%s", body)
	}

	hider := h.user("hider")
	before := countWhere(t, h, `SELECT count(*) FROM campaign_reach WHERE campaign_id = ?`, campaign)
	if err := h.app.Privacy.EraseNow(context.Background(), h.actor(h.user("boss")), hider.ID, models.EraseDelete, "asked by letter"); err != nil {
		t.Fatal(err)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM announcement_dismissals WHERE user_id = ?`, hider.ID); n != 0 {
		t.Errorf("%d dismissals left after erasure", n)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM campaign_reach WHERE campaign_id = ?`, campaign); n != before-1 {
		t.Errorf("reach after erasure %d, want %d (the erased member's marker gone)", n, before-1)
	}
	// An erased admin's announcements stay, without their id.
	boss := h.user("boss")
	h.account("boss2", models.RoleAdmin)
	if err := h.app.Privacy.EraseNow(context.Background(), h.actor(h.user("boss2")), boss.ID, models.EraseDelete, "left the team"); err != nil {
		t.Fatal(err)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM announcements WHERE author_id = ?`, boss.ID); n != 0 {
		t.Errorf("announcements still name the erased admin")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM announcements`); n == 0 || !strings.Contains(h.browser().get("/").body, "Flu week for everyone") {
		t.Errorf("the erased admin's announcements went with them")
	}
}
