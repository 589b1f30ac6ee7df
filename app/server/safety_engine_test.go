package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/models"
)

// TestCanadianAndFrenchPersonalData: the personal-data check in every flow
// knows the formats Canadian and French-speaking members write (postal
// codes, SIN with its check digit, health cards, obfuscated e-mail,
// messaging handles, French addresses and birth dates) and leaves
// helplines and clinical numbers alone.
func TestCanadianAndFrenchPersonalData(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("heart", nil)
	b := h.member("sharer")
	tok := b.token("write")
	refused := map[string]string{
		"SIN":           "The pharmacy asked for my SIN, 046 454 286, is that normal?",
		"health card":   "My OHIP is 1234-567-890-AB, the clinic lost it twice.",
		"RAMQ":          "Ma carte RAMQ c'est TREM 1234 5678, ils l'ont mal tapée.",
		"postal code":   "I'm in K1A 0B1 if anyone wants to meet for coffee.",
		"obfuscated":    "write me at rosa dot lima at example dot com",
		"handle":        "WhatsApp me on +1 613 555 0142 for the group chat",
		"adresse":       "J'habite au 12 rue des Lilas, passez quand vous voulez.",
		"date de naiss": "Je suis née le 3 mai 1958, est-ce trop tard pour le dépistage?",
	}
	for name, body := range refused {
		a := h.api("POST", "/api/v1/forums/heart/threads", tok, map[string]any{"title": "About " + name, "body": body})
		if e, _ := a.Body["error"].(map[string]any); a.Status != http.StatusUnprocessableEntity || e["code"] != "personal_data" {
			t.Errorf("%s: %d %s", name, a.Status, a.Raw)
		}
	}
	if n := h.count("threads"); n != 0 {
		t.Fatalf("%d threads saved before confirmation", n)
	}
	passed := []string{
		"If you're in crisis call 988 or 911 right away; in France it's 3114.",
		"HbA1c 7.2, eGFR 45, INR 2.5 and 12 units of Lantus at night.",
		"I'm in trial NCT04567890 and my next visit is on 14/03/2026.",
		"Order 046 454 287 arrived, the test strips are the new kind.",
	}
	for i, body := range passed {
		if a := h.api("POST", "/api/v1/forums/heart/threads", tok, map[string]any{"title": "Numbers " + itoa(int64(i)), "body": body}); a.Status != http.StatusCreated {
			t.Errorf("%q: %d %s", body, a.Status, a.Raw)
		}
	}
	// The form says what it found, in words.
	b.get("/f/heart/new")
	r := b.post("/f/heart/threads", url.Values{"title": {"Coffee"}, "body": {"text me, my insta is @jen_rides"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "a messaging or social media contact") {
		t.Errorf("form: %d", r.StatusCode)
	}
}

// TestCrisisLanguageWithoutWatchedWords: the safety engine recognises
// crisis language no watched word names, in a post and a reply: the author
// is shown a check-in with the crisis resources, the post is published with
// a self-harm report; grief, idioms and negation pass without any of it.
func TestCrisisLanguageWithoutWatchedWords(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("caregivers", nil)
	h.account("mod_ivy", models.RoleModerator)
	// No watched words at all: only the engine.
	h.app.DB.Gorm.Exec(`DELETE FROM watched_words`)
	b := h.member("tired_carer")
	b.get("/f/caregivers/new")
	r := b.post("/f/caregivers/threads", url.Values{"title": {"Six years of this"}, "body": {"Honestly everyone would be better off without me. I've started saving my mum's morphine."}})
	// Ideation without a plan (medium): a check-in with the resources, in
	// the same response, and a report; nobody is paged.
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "How are you doing right now?") || !strings.Contains(r.body, "call your local emergency number") {
		t.Fatalf("crisis post: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if n := countWhere(t, h, `SELECT count(*) FROM reports WHERE reason = 'self_harm' AND reporter_id IS NULL`); n != 1 {
		t.Errorf("%d self-harm reports", n)
	}
	if notifCount(t, h, "mod_ivy", models.NotifyReportUrgent) != 0 {
		t.Error("a medium finding paged the moderator")
	}
	th := h.thread("mod_ivy", f, "Weekly check-in", "How is everyone?", false)
	for _, calm := range []string{
		"We lost my uncle to suicide three years ago, thinking of his kids today.",
		"This heat is killing me and the care home AC is broken again.",
		"I'm not suicidal, just worn out. Respite care starts Monday.",
	} {
		b.get("/t/" + itoa(th.ID))
		r := b.post("/t/"+itoa(th.ID)+"/replies", url.Values{"body": {calm}})
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || strings.HasPrefix(loc, "/support") {
			t.Errorf("%q: %d %s", calm, r.StatusCode, loc)
		}
	}
	if n := countWhere(t, h, `SELECT count(*) FROM reports WHERE reason = 'self_harm'`); n != 1 {
		t.Errorf("calm replies filed %d more self-harm reports", n-1)
	}
}
