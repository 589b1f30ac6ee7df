package server_test

import (
	"net/http"
	"strings"
	"testing"
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
	r := b.post("/f/heart/threads", map[string][]string{"title": {"Coffee"}, "body": {"text me, my insta is @jen_rides"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "a messaging or social media contact") {
		t.Errorf("form: %d", r.StatusCode)
	}
}
