package server_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/kindred-health/kindred/app/forums"
)

// A sensitive or clinician-only forum, and the threads and posts in it,
// answer someone who may not read them exactly as something that does not
// exist: same status, same page, same JSON; nothing confirms they exist.
func TestHiddenPlacesAnswerLikeMissingOnes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	sensitive := h.forum("hidden-sensitive", func(f *forums.ForumForm) { f.Sensitive = true })
	clin := h.forum("hidden-clinicians", func(f *forums.ForumForm) { f.ClinicianOnly = true })
	h.clinician("hidden_doc", "cardiology")
	st := h.thread("hidden_doc", sensitive, "Nights are long", "Some nights I do not sleep.", false)
	ct := h.thread("hidden_doc", clin, "Dosing question among colleagues", "How do you titrate?", false)
	sp := h.firstPost(st.ID)
	cp := h.firstPost(ct.ID)
	member := h.member("hidden_member")
	memberToken := member.token("read")
	visitor := h.browser()

	norm := regexp.MustCompile(`(?s)<meta name="csrf-token"[^>]*>|name="csrf_token" value="[^"]*"|nonce="[^"]*"|next=[^"&]*|\d+|/(t|f|posts)/[^"\s<]*`)
	same := func(t *testing.T, who, hidden, missing string, get func(string) (int, string)) {
		t.Helper()
		hs, hb := get(hidden)
		ms, mb := get(missing)
		if hs != ms || norm.ReplaceAllString(hb, "") != norm.ReplaceAllString(mb, "") {
			t.Errorf("%s: %s answers %d, %s answers %d (or the pages differ)", who, hidden, hs, missing, ms)
		}
	}
	page := func(b *browser) func(string) (int, string) {
		return func(p string) (int, string) { r := b.get(p); return r.StatusCode, r.body }
	}
	api := func(token string) func(string) (int, string) {
		return func(p string) (int, string) { r := h.api(http.MethodGet, p, token, nil); return r.Status, r.Raw }
	}
	for _, c := range []struct{ hidden, missing string }{
		{"/t/" + itoa(st.ID), "/t/999999"},
		{"/f/hidden-sensitive", "/f/no-such-forum"},
		{"/posts/" + itoa(sp.ID) + "/revisions", "/posts/999999/revisions"},
		{"/report?kind=post&id=" + itoa(sp.ID), "/report?kind=post&id=999999"},
	} {
		same(t, "visitor", c.hidden, c.missing, page(visitor))
	}
	for _, c := range []struct{ hidden, missing string }{
		{"/api/v1/threads/" + itoa(st.ID), "/api/v1/threads/999999"},
		{"/api/v1/threads/" + itoa(st.ID) + "/posts", "/api/v1/threads/999999/posts"},
		{"/api/v1/forums/hidden-sensitive", "/api/v1/forums/no-such-forum"},
		{"/api/v1/forums/hidden-sensitive/threads", "/api/v1/forums/no-such-forum/threads"},
		{"/api/v1/posts/" + itoa(sp.ID), "/api/v1/posts/999999"},
	} {
		same(t, "visitor API", c.hidden, c.missing, api(""))
	}
	for _, c := range []struct{ hidden, missing string }{
		{"/t/" + itoa(ct.ID), "/t/999999"},
		{"/f/hidden-clinicians", "/f/no-such-forum"},
		{"/posts/" + itoa(cp.ID) + "/revisions", "/posts/999999/revisions"},
		{"/posts/" + itoa(cp.ID) + "/edit", "/posts/999999/edit"},
		{"/f/hidden-clinicians/new", "/f/no-such-forum/new"},
	} {
		same(t, "member", c.hidden, c.missing, page(member))
	}
	for _, c := range []struct{ hidden, missing string }{
		{"/api/v1/threads/" + itoa(ct.ID), "/api/v1/threads/999999"},
		{"/api/v1/forums/hidden-clinicians", "/api/v1/forums/no-such-forum"},
		{"/api/v1/posts/" + itoa(cp.ID), "/api/v1/posts/999999"},
		{"/api/v1/posts/" + itoa(cp.ID) + "/revisions", "/api/v1/posts/999999/revisions"},
	} {
		same(t, "member API", c.hidden, c.missing, api(memberToken))
	}
}
