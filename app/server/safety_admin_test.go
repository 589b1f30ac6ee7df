package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/models"
)

const (
	urgentText    = "My face is drooping on one side and my right arm went weak ten minutes ago, my speech is slurred"
	notUrgentText = "My stroke three years ago left my hand clumsy."
)

// TestSafetyTryAText: an admin pastes a text and sees, per detector, the
// level, category, rule and lowering context of each finding, the text
// escaped with the evidence marked, the language and engine version; an
// empty state when nothing fires; a clear error past 20,000 characters.
// Nobody else may use it, pages or API, and the form needs its CSRF token.
func TestSafetyTryAText(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	admin := h.withRole("try_admin", models.RoleAdmin)
	admin.get("/admin/safety")

	r := admin.post("/admin/safety/try", url.Values{"text": {"<b>Help</b> " + urgentText}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("try: %d", r.StatusCode)
	}
	for _, want := range []string{"What fired", "Urgent symptoms: high", "<td>stroke</td>", "urgent.en.stroke.", "Language: <strong>en</strong>",
		"engine version <strong>2026.", "&lt;b&gt;Help&lt;/b&gt;", "<mark>face is drooping</mark>", "Crisis: nothing found"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("try: the page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "<b>Help</b>") {
		t.Error("the tried text reached the page unescaped")
	}
	// Context that lowered a finding is shown.
	r = admin.post("/admin/safety/try", url.Values{"text": {"I'm not suicidal, just tired of this pain."}})
	if !strings.Contains(r.body, "Crisis: low") || !strings.Contains(r.body, "<td>negated</td>") || !strings.Contains(r.body, "<mark>suicidal</mark>") {
		t.Error("a negated crisis finding is not shown with its context")
	}
	r = admin.post("/admin/safety/try", url.Values{"text": {notUrgentText}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Nothing fired") || strings.Contains(r.body, "<mark>") {
		t.Errorf("nothing fired: %d", r.StatusCode)
	}
	long := strings.Repeat("é", 20001)
	r = admin.post("/admin/safety/try", url.Values{"text": {long}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "at most 20,000 characters") || !strings.Contains(r.body, "20,001") {
		t.Errorf("too long: %d", r.StatusCode)
	}
	if r := admin.post("/admin/safety/try", url.Values{"text": {"  "}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Paste or type a text") {
		t.Errorf("empty: %d", r.StatusCode)
	}
	// Nothing of the text is kept.
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE reason LIKE '%drooping%'`); n != 0 {
		t.Error("the tried text was recorded")
	}
	// CSRF.
	if r := admin.postRaw("/admin/safety/try", url.Values{"text": {urgentText}, "csrf_token": {"forged"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("forged CSRF token: %d", r.StatusCode)
	}
	// Roles.
	mod := h.withRole("try_mod", models.RoleModerator)
	member := h.member("try_member")
	for name, b := range map[string]*browser{"moderator": mod, "member": member} {
		b.get("/")
		if r := b.post("/admin/safety/try", url.Values{"text": {urgentText}}); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s tries a text: %d", name, r.StatusCode)
		}
		if r := b.get("/admin/safety"); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s opens the safety page: %d", name, r.StatusCode)
		}
	}
	visitor := h.browser()
	visitor.get("/")
	if r := visitor.post("/admin/safety/try", url.Values{"text": {urgentText}}); r.StatusCode == http.StatusOK || strings.Contains(r.body, "What fired") {
		t.Errorf("visitor tries a text: %d", r.StatusCode)
	}
	if r := visitor.get("/admin/safety"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
		t.Errorf("visitor opens the safety page: %d %s", r.StatusCode, r.Header.Get("Location"))
	}

	// The API.
	tok := admin.token("write")
	a := h.api("POST", "/api/v1/admin/safety/analyze", tok, map[string]any{"text": urgentText})
	if a.Status != http.StatusOK || a.Body["version"] == "" || a.Body["lang"] != "en" || !strings.Contains(a.Body["html"].(string), "<mark>") {
		t.Fatalf("analyze: %d %s", a.Status, a.Raw)
	}
	f := a.Body["findings"].([]any)[0].(map[string]any)
	if f["detector"] != "urgent" || f["level"] != "high" || f["category"] != "stroke" || len(f["spans"].([]any)) == 0 {
		t.Errorf("analyze finding: %v", f)
	}
	if a := h.api("POST", "/api/v1/admin/safety/analyze", tok, map[string]any{"text": notUrgentText}); a.Status != http.StatusOK || len(a.Body["findings"].([]any)) != 0 {
		t.Errorf("analyze, nothing: %d %s", a.Status, a.Raw)
	}
	a = h.api("POST", "/api/v1/admin/safety/analyze", tok, map[string]any{"text": long})
	if a.Status != http.StatusUnprocessableEntity || !strings.Contains(a.Raw, `"text"`) {
		t.Errorf("analyze, too long: %d %s", a.Status, a.Raw)
	}
	if a := h.api("POST", "/api/v1/admin/safety/analyze", member.token("write"), map[string]any{"text": urgentText}); a.Status != http.StatusForbidden {
		t.Errorf("member analyzes: %d", a.Status)
	}
	if a := h.api("POST", "/api/v1/admin/safety/analyze", mod.token("write"), map[string]any{"text": urgentText}); a.Status != http.StatusForbidden {
		t.Errorf("moderator analyzes: %d", a.Status)
	}
	if a := h.api("POST", "/api/v1/admin/safety/analyze", "", map[string]any{"text": urgentText}); a.Status != http.StatusUnauthorized {
		t.Errorf("no token analyzes: %d", a.Status)
	}
}

// TestCrisisResourcesPerLanguageAndRegion: members see the version for
// their language and region (exact, then country, then language, then the
// default), visitors the one for their browser; admins add, change and
// delete versions after confirming, never the default; nobody else may.
func TestCrisisResourcesPerLanguageAndRegion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	m := h.member("locale_member")
	support := func(b *browser) string { return b.get("/support").body }
	if s := support(m); !strings.Contains(s, "call your local emergency number") {
		t.Fatal("a member with no language sees no default text")
	}
	setLocale := func(lang, region string) *resp {
		m.get("/account")
		return m.post("/account/locale", url.Values{"language": {lang}, "region": {region}})
	}
	for _, tc := range []struct{ lang, region, want string }{
		{"fr", "ca-qc", "1 866 APPELLE"}, // exact
		{"fr", "CA-ON", "988 Ligne d"},   // the country
		{"fr", "BE", "112 en Europe"},    // the language
		{"fr", "FR", "3114"},             // exact
		{"en", "GB", "116 123"},          // exact
		{"en", "CA-QC", "1 866 APPELLE"}, // exact, in English
		{"en", "US", "988 Suicide &amp; Crisis Lifeline"},
		{"de", "DE", "call your local emergency number"},
	} {
		if r := setLocale(tc.lang, tc.region); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s-%s: %d %s", tc.lang, tc.region, r.StatusCode, r.body)
		}
		if s := support(m); !strings.Contains(s, tc.want) {
			t.Errorf("%s-%s: /support lacks %q", tc.lang, tc.region, tc.want)
		}
	}
	if u := h.user("locale_member"); u.Language != "de" || u.Region != "DE" {
		t.Errorf("stored locale %q %q", u.Language, u.Region)
	}
	r := setLocale("french", "Québec")
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Choose a language from the list") || !strings.Contains(r.body, "Enter a country code") || !strings.Contains(r.body, `value="Québec"`) {
		t.Errorf("bad locale: %d", r.StatusCode)
	}
	if r := m.postRaw("/account/locale", url.Values{"language": {"fr"}, "csrf_token": {"forged"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("locale with a forged CSRF token: %d", r.StatusCode)
	}
	// The API.
	mtok := m.token("write")
	if a := h.api("PUT", "/api/v1/me/locale", mtok, map[string]any{"language": "FR", "region": "fr"}); a.Status != http.StatusOK || a.Body["language"] != "fr" || a.Body["region"] != "FR" {
		t.Errorf("PUT locale: %d %s", a.Status, a.Raw)
	}
	if a := h.api("GET", "/api/v1/me", mtok, nil); a.Body["language"] != "fr" || a.Body["region"] != "FR" {
		t.Errorf("me: %s", a.Raw)
	}
	if a := h.api("PUT", "/api/v1/me/locale", mtok, map[string]any{"language": "fra"}); a.Status != http.StatusUnprocessableEntity || !strings.Contains(a.Raw, `"language"`) {
		t.Errorf("PUT bad locale: %d %s", a.Status, a.Raw)
	}
	if a := h.api("GET", "/api/v1/crisis-resources", mtok, nil); !strings.Contains(a.Body["text"].(string), "3114") {
		t.Errorf("the member's crisis resources over the API: %s", a.Raw)
	}
	// Sign-up takes the browser's language; visitors get theirs too.
	b := h.browser()
	b.get("/signup")
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/signup", strings.NewReader(url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {"quebecoise"}, "email": {"q@example.org"}, "password": {goodPassword}, "csrf_token": {b.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "fr-CA,fr;q=0.9,en;q=0.5")
	if r := b.do(req); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-up: %d", r.StatusCode)
	}
	if u := h.user("quebecoise"); u.Language != "fr" || u.Region != "CA" {
		t.Errorf("sign-up locale %q %q", u.Language, u.Region)
	}
	v := h.browser()
	req, _ = http.NewRequest(http.MethodGet, h.srv.URL+"/support", nil)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.8")
	if r := v.do(req); !strings.Contains(r.body, "116 123") || !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Accept-Language") {
		t.Error("a visitor from the UK does not see Samaritans, or caches may mix languages")
	}

	// Admins: add, change, refuse duplicates and bad input, delete after confirming.
	admin := h.withRole("res_admin", models.RoleAdmin)
	page := admin.get("/admin/safety").body
	for _, want := range []string{"CA-QC", "Default", "Add a language or region"} {
		if !strings.Contains(page, want) {
			t.Errorf("the safety page lacks %q", want)
		}
	}
	admin.get("/admin/safety/resources/new")
	text := "## Hilfe\n\nIn Deutschland: **112** im Notfall."
	if r := admin.post("/admin/safety/resources", url.Values{"language": {"DE"}, "region": {""}, "text": {text}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add de: %d %s", r.StatusCode, r.body)
	}
	m.get("/account")
	m.post("/account/locale", url.Values{"language": {"de"}, "region": {"AT"}})
	if !strings.Contains(support(m), "im Notfall") {
		t.Error("a member in German does not see the German version")
	}
	r = admin.post("/admin/safety/resources", url.Values{"language": {"de"}, "region": {""}, "text": {text}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "already a version for this language and region") {
		t.Errorf("duplicate: %d", r.StatusCode)
	}
	r = admin.post("/admin/safety/resources", url.Values{"language": {"deutsch"}, "region": {"Bavaria"}, "text": {"112"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "two-letter language code") || !strings.Contains(r.body, "CA-QC, or leave it empty") || !strings.Contains(r.body, "20 to 10,000 characters") || !strings.Contains(r.body, `value="Bavaria"`) {
		t.Errorf("invalid: %d", r.StatusCode)
	}
	var deID, defID int64
	h.app.DB.Gorm.Raw(`SELECT id FROM crisis_resources WHERE language = 'de'`).Scan(&deID)
	h.app.DB.Gorm.Raw(`SELECT id FROM crisis_resources WHERE is_default`).Scan(&defID)
	// The default cannot stop being one except by another taking its place.
	admin.get("/admin/safety/resources/" + itoa(defID) + "/edit")
	r = admin.post("/admin/safety/resources/"+itoa(defID), url.Values{"language": {"en"}, "text": {"## Help\n\nCall your local emergency number."}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "make another version the default instead") {
		t.Errorf("default unchecked: %d", r.StatusCode)
	}
	if r := admin.get("/admin/safety/resources/" + itoa(defID) + "/delete"); r.StatusCode != http.StatusConflict {
		t.Errorf("delete page of the default: %d", r.StatusCode)
	}
	admin.get("/admin/safety")
	if r := admin.post("/admin/safety/resources/"+itoa(defID)+"/delete", nil); r.StatusCode != http.StatusSeeOther || countWhere(t, h, `SELECT count(*) FROM crisis_resources WHERE id = ?`, defID) != 1 {
		t.Errorf("deleting the default: %d", r.StatusCode)
	}
	// Making German the default moves the mark.
	admin.get("/admin/safety/resources/" + itoa(deID) + "/edit")
	if r := admin.post("/admin/safety/resources/"+itoa(deID), url.Values{"language": {"de"}, "text": {text}, "default": {"on"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("make de the default: %d %s", r.StatusCode, r.body)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM crisis_resources WHERE is_default AND id = ?`, deID); n != 1 || countWhere(t, h, `SELECT count(*) FROM crisis_resources WHERE is_default`) != 1 {
		t.Error("the default did not move")
	}
	// Delete asks first, then deletes.
	admin.post("/admin/safety/resources/"+itoa(defID), url.Values{"language": {"en"}, "text": {"## Help\n\nCall your local emergency number."}})
	conf := admin.get("/admin/safety/resources/" + itoa(defID) + "/delete")
	if conf.StatusCode != http.StatusOK || !strings.Contains(conf.body, "Delete the crisis resources for en?") || countWhere(t, h, `SELECT count(*) FROM crisis_resources WHERE id = ?`, defID) != 1 {
		t.Errorf("delete confirmation: %d", conf.StatusCode)
	}
	if r := admin.post("/admin/safety/resources/"+itoa(defID)+"/delete", nil); r.StatusCode != http.StatusSeeOther || countWhere(t, h, `SELECT count(*) FROM crisis_resources WHERE id = ?`, defID) != 0 {
		t.Errorf("delete: %d", r.StatusCode)
	}
	if countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action IN ('crisis_resources.save', 'crisis_resources.delete')`) != 4 {
		t.Error("changes to crisis resources are not all audited")
	}
	// CSRF and roles.
	if r := admin.postRaw("/admin/safety/resources/"+itoa(deID)+"/delete", url.Values{"csrf_token": {"forged"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("forged delete: %d", r.StatusCode)
	}
	mod := h.withRole("res_mod", models.RoleModerator)
	for name, b := range map[string]*browser{"moderator": mod, "member": m} {
		b.get("/")
		for _, p := range []string{"/admin/safety/resources/new", "/admin/safety/resources/" + itoa(deID) + "/edit", "/admin/safety/resources/" + itoa(deID) + "/delete"} {
			if r := b.get(p); r.StatusCode != http.StatusForbidden {
				t.Errorf("%s GET %s: %d", name, p, r.StatusCode)
			}
		}
		if r := b.post("/admin/safety/resources", url.Values{"language": {"it"}, "text": {text}}); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s adds: %d", name, r.StatusCode)
		}
		if r := b.post("/admin/safety/resources/"+itoa(deID)+"/delete", nil); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s deletes: %d", name, r.StatusCode)
		}
		if r := b.post("/admin/safety/resources/"+itoa(deID), url.Values{"language": {"de"}, "text": {text + " Geändert."}, "default": {"on"}}); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s changes: %d", name, r.StatusCode)
		}
	}
	if r := admin.postRaw("/admin/safety/resources", url.Values{"language": {"it"}, "text": {text}, "csrf_token": {"forged"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("forged add: %d", r.StatusCode)
	}
	if r := admin.postRaw("/admin/safety/resources/"+itoa(deID), url.Values{"language": {"de"}, "text": {"## Weg\n\nNichts mehr hier, gar nichts."}, "default": {"on"}, "csrf_token": {"forged"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("forged change: %d", r.StatusCode)
	}
	if countWhere(t, h, `SELECT count(*) FROM crisis_resources WHERE language IN ('it') OR body LIKE '%Geändert%' OR body LIKE '%Weg%'`) != 0 {
		t.Error("a refused request changed the crisis resources")
	}
	visitor := h.browser()
	for _, p := range []string{"/admin/safety/resources/new", "/admin/safety/resources/" + itoa(deID) + "/edit"} {
		if r := visitor.get(p); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
			t.Errorf("visitor GET %s: %d", p, r.StatusCode)
		}
	}
	if r := visitor.get("/account"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("visitor opens the account settings: %d", r.StatusCode)
	}
	if a := h.api("PUT", "/api/v1/me/locale", "", map[string]any{"language": "fr"}); a.Status != http.StatusUnauthorized {
		t.Errorf("PUT locale without a token: %d", a.Status)
	}
	if a := h.api("PUT", "/api/v1/me/locale", m.token("read"), map[string]any{"language": "fr"}); a.Status != http.StatusForbidden {
		t.Errorf("PUT locale with a read token: %d", a.Status)
	}

	// The admin API.
	tok := admin.token("write")
	a := h.api("GET", "/api/v1/admin/safety/crisis-resources", tok, nil)
	if a.Status != http.StatusOK || len(a.Body["crisis_resources"].([]any)) < 8 {
		t.Fatalf("list: %d %s", a.Status, a.Raw)
	}
	if a := h.api("POST", "/api/v1/admin/safety/crisis-resources", admin.token("read"), map[string]any{"language": "es", "text": "## Ayuda\n\nLlame al **911** ahora."}); a.Status != http.StatusForbidden {
		t.Errorf("create with a read token: %d", a.Status)
	}
	if a := h.api("GET", "/api/v1/admin/safety/crisis-resources", "", nil); a.Status != http.StatusUnauthorized {
		t.Errorf("list without a token: %d", a.Status)
	}
	a = h.api("POST", "/api/v1/admin/safety/crisis-resources", tok, map[string]any{"language": "es", "region": "mx", "text": "## Ayuda\n\nLlame al **911** ahora."})
	if a.Status != http.StatusCreated || a.Body["region"] != "MX" {
		t.Fatalf("create: %d %s", a.Status, a.Raw)
	}
	id := int64(a.Body["id"].(float64))
	if a := h.api("PUT", "/api/v1/admin/safety/crisis-resources/"+itoa(id), tok, map[string]any{"language": "es", "region": "MX", "text": "short"}); a.Status != http.StatusUnprocessableEntity || !strings.Contains(a.Raw, `"text"`) {
		t.Errorf("update, too short: %d %s", a.Status, a.Raw)
	}
	if a := h.api("DELETE", "/api/v1/admin/safety/crisis-resources/"+itoa(deID), tok, nil); a.Status != http.StatusConflict {
		t.Errorf("delete the default: %d", a.Status)
	}
	if a := h.api("DELETE", "/api/v1/admin/safety/crisis-resources/"+itoa(id), tok, nil); a.Status != http.StatusNoContent {
		t.Errorf("delete: %d", a.Status)
	}
	if a := h.api("DELETE", "/api/v1/admin/safety/crisis-resources/"+itoa(id), tok, nil); a.Status != http.StatusNotFound {
		t.Errorf("delete again: %d", a.Status)
	}
	for name, b := range map[string]*browser{"moderator": mod, "member": m} {
		tk := b.token("write")
		if a := h.api("GET", "/api/v1/admin/safety/crisis-resources", tk, nil); a.Status != http.StatusForbidden {
			t.Errorf("%s lists: %d", name, a.Status)
		}
		if a := h.api("POST", "/api/v1/admin/safety/crisis-resources", tk, map[string]any{"language": "it", "text": text}); a.Status != http.StatusForbidden {
			t.Errorf("%s creates: %d", name, a.Status)
		}
		if a := h.api("PUT", "/api/v1/admin/safety/crisis-resources/"+itoa(deID), tk, map[string]any{"language": "de", "default": true, "text": text}); a.Status != http.StatusForbidden {
			t.Errorf("%s changes: %d", name, a.Status)
		}
		if a := h.api("DELETE", "/api/v1/admin/safety/crisis-resources/"+itoa(defID+1), tk, nil); a.Status != http.StatusForbidden {
			t.Errorf("%s deletes: %d", name, a.Status)
		}
		if a := h.api("GET", "/api/v1/admin/safety/urgent-guidance", tk, nil); a.Status != http.StatusForbidden {
			t.Errorf("%s reads the guidance setting: %d", name, a.Status)
		}
	}
}
