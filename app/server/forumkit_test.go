package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// viewer is the forum policy's view of a handle (nil user for "").
func (h *harness) viewer(handle string) forums.Viewer {
	h.t.Helper()
	var u *models.User
	if handle != "" {
		u = h.user(handle)
	}
	return h.actor(u)
}

// ensureAdmin makes the fixture admin that creates forums.
func (h *harness) ensureAdmin() string {
	h.t.Helper()
	var n int64
	h.app.DB.Gorm.Model(&models.User{}).Where("handle = 'fixture_admin'").Count(&n)
	if n == 0 {
		u, err := h.app.Auth.SeedAccount(context.Background(), "fixture_admin", "fixture_admin@example.org", goodPassword, models.RoleAdmin)
		if err != nil {
			h.t.Fatal(err)
		}
		if err := h.app.Privacy.Agree(context.Background(), h.app.DB.Gorm, u.ID); err != nil {
			h.t.Fatal(err)
		}
	}
	return "fixture_admin"
}

// account creates a confirmed account directly (no browser, no rate limit).
func (h *harness) account(handle string, role models.Role) {
	h.t.Helper()
	u, err := h.app.Auth.SeedAccount(context.Background(), handle, handle+"@example.org", goodPassword, role)
	if err != nil {
		h.t.Fatal(err)
	}
	// As if they had agreed at sign-up (seeded accounts are asked at
	// their first page otherwise: TestConsent…).
	if err := h.app.Privacy.Agree(context.Background(), h.app.DB.Gorm, u.ID); err != nil {
		h.t.Fatal(err)
	}
}

// forum creates a forum through the service.
func (h *harness) forum(slug string, edit func(*forums.ForumForm)) *models.Forum {
	h.t.Helper()
	form := forums.ForumForm{Slug: slug, Name: "Forum " + slug, Description: "About " + slug}
	if edit != nil {
		edit(&form)
	}
	f, err := h.app.Forums.SaveForum(context.Background(), h.viewer(h.ensureAdmin()), 0, form)
	if err != nil {
		h.t.Fatal(err)
	}
	return f
}

// thread starts a thread as handle through the service.
func (h *harness) thread(handle string, f *models.Forum, title, body string, anonymous bool) *models.Thread {
	h.t.Helper()
	t, err := h.app.Forums.CreateThread(context.Background(), h.viewer(handle), f, forums.ThreadForm{Title: title, Body: body, Anonymous: anonymous}, "")
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

// reply adds a reply as handle through the service.
func (h *harness) reply(handle string, threadID int64, body string, anonymous bool) *models.Post {
	h.t.Helper()
	v := h.viewer(handle)
	tv, err := h.app.Forums.Thread(context.Background(), v, threadID)
	if err != nil {
		h.t.Fatal(err)
	}
	p, err := h.app.Forums.Reply(context.Background(), v, tv, forums.PostForm{Body: body, Anonymous: anonymous}, "")
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *harness) firstPost(threadID int64) models.Post {
	h.t.Helper()
	var p models.Post
	if err := h.app.DB.Gorm.Where("thread_id = ?", threadID).Order("id").First(&p).Error; err != nil {
		h.t.Fatal(err)
	}
	return p
}

// token creates a personal API token for a signed-in browser.
func (b *browser) token(scope string) string {
	b.h.t.Helper()
	b.get("/account")
	r := b.post("/account/tokens", url.Values{"name": {"test " + scope}, "scope": {scope}})
	if loc := r.Header.Get("Location"); strings.HasPrefix(loc, "/reauth") {
		// Signed in long ago (the test's clock moved on): confirm first.
		b.get(loc)
		b.post("/reauth", url.Values{"password": {goodPassword}, "next": {"/account"}})
		b.get("/account")
		r = b.post("/account/tokens", url.Values{"name": {"test " + scope}, "scope": {scope}})
	}
	m := tokenRe.FindStringSubmatch(r.body)
	if m == nil {
		b.h.t.Fatalf("no token created: %d", r.StatusCode)
	}
	return m[1]
}

type apiResp struct {
	Status int
	Body   map[string]any
	Raw    string
	Header http.Header
}

// api calls the JSON API with an optional token and extra headers.
func (h *harness) api(method, path, token string, body any, headers ...string) apiResp {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	return h.apiRaw(method, path, token, rd, headers...)
}

// send makes an API request and decodes the JSON answer.
func (h *harness) send(req *http.Request) apiResp {
	h.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := apiResp{Status: res.StatusCode, Raw: string(raw), Header: res.Header}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

func (h *harness) makeForumModerator(handle string, f *models.Forum) {
	h.t.Helper()
	if err := h.app.DB.Gorm.Exec(`INSERT INTO forum_moderators (forum_id, user_id) VALUES (?, ?)`, f.ID, h.user(handle).ID).Error; err != nil {
		h.t.Fatal(err)
	}
}

func countWhere(t *testing.T, h *harness, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := h.app.DB.Gorm.Raw(sql, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
