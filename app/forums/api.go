package forums

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// API serves the forum endpoints under /api/v1. Reads work without a token
// where the pages do; writes need a write-scope token.
type API struct {
	h *Handlers
}

// NewAPI wires the JSON handlers.
func NewAPI(h *Handlers) *API { return &API{h: h} }

type forumJSON struct {
	Slug           string     `json:"slug"`
	Name           string     `json:"name"`
	Description    string     `json:"description"`
	GuidelinesHTML string     `json:"guidelines_html"`
	Sensitive      bool       `json:"sensitive"`
	ClinicianOnly  bool       `json:"clinician_only"`
	Specialties    []string   `json:"specialties"`
	ThreadCount    int        `json:"thread_count"`
	ArchivedAt     *time.Time `json:"archived_at"`
	Joined         bool       `json:"joined"`
	Following      bool       `json:"following"`
	UnreadThreads  int        `json:"unread_threads"`
}

func toForumJSON(f *ForumItem) forumJSON {
	specs := []string(f.Specialties)
	if specs == nil {
		specs = []string{}
	}
	return forumJSON{Slug: f.Slug, Name: f.Name, Description: f.Description, GuidelinesHTML: f.GuidelinesHTML, Sensitive: f.Sensitive,
		ClinicianOnly: f.ClinicianOnly, Specialties: specs, ThreadCount: f.ThreadCount, ArchivedAt: f.ArchivedAt, Joined: f.Joined, Following: f.Following, UnreadThreads: f.Unread}
}

func (a *API) forums(c echo.Context, mine bool) error {
	v, err := a.h.viewer(c)
	if err != nil {
		return err
	}
	items, err := a.h.svc.Forums(c.Request().Context(), v, mine)
	if err != nil {
		return err
	}
	out := make([]forumJSON, 0, len(items))
	for i := range items {
		out = append(out, toForumJSON(&items[i]))
	}
	return c.JSON(http.StatusOK, map[string]any{"forums": out})
}

// Forums lists readable forums.
func (a *API) Forums(c echo.Context) error { return a.forums(c, false) }

// MyForums lists joined forums.
func (a *API) MyForums(c echo.Context) error { return a.forums(c, true) }

// Forum returns one forum.
func (a *API) Forum(c echo.Context) error {
	v, f, err := a.h.viewerAndForum(c)
	if err != nil {
		return err
	}
	if v.IsAdmin() {
		return a.adminForumJSON(c, http.StatusOK, f)
	}
	return c.JSON(http.StatusOK, toForumJSON(f))
}

// adminForumJSON is the forum with its crisis mapping, for admins.
func (a *API) adminForumJSON(c echo.Context, status int, f *ForumItem) error {
	m, err := a.h.svc.CrisisActions(c.Request().Context(), f.ID)
	if err != nil {
		return err
	}
	return c.JSON(status, struct {
		forumJSON
		CrisisActions map[string][]string `json:"crisis_actions"`
	}{toForumJSON(f), CrisisActionsJSON(m)})
}

// CreateForum makes a forum (admins).
func (a *API) CreateForum(c echo.Context) error { return a.saveForum(c, 0) }

// UpdateForum changes a forum (admins).
//
// PATCH changes only the fields the body names: the others keep their
// values.
func (a *API) UpdateForum(c echo.Context) error {
	v, f, err := a.h.viewerAndForum(c)
	if err != nil {
		return err
	}
	cur, mods, err := a.h.svc.ForumByID(c.Request().Context(), v, f.ID)
	if err != nil {
		return err
	}
	m, err := a.h.svc.CrisisActions(c.Request().Context(), cur.ID)
	if err != nil {
		return err
	}
	form := ForumForm{Slug: cur.Slug, Name: cur.Name, Description: cur.Description, Guidelines: cur.Guidelines,
		Sensitive: cur.Sensitive, ClinicianOnly: cur.ClinicianOnly, Specialties: cur.Specialties, Moderators: mods, Position: cur.Position,
		CrisisActions: CrisisActionsJSON(m)}
	return a.saveForm(c, f.ID, form)
}

func (a *API) saveForum(c echo.Context, id int64) error {
	return a.saveForm(c, id, ForumForm{})
}

// saveForm reads the body over form (fields it does not name keep their
// value) and saves the forum.
func (a *API) saveForm(c echo.Context, id int64, form ForumForm) error {
	v, err := a.h.viewer(c)
	if err != nil {
		return err
	}
	// The Binder decodes over form: fields the body leaves out keep their value.
	if err := c.Bind(&form); err != nil {
		return err
	}
	f, err := a.h.svc.SaveForum(c.Request().Context(), v, id, form)
	if err != nil {
		return err
	}
	item, err := a.h.svc.Forum(c.Request().Context(), v, f.Slug)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	return a.adminForumJSON(c, status, item)
}

func (a *API) forumToggle(c echo.Context, act func(Viewer, *models.Forum) error) error {
	v, f, err := a.h.viewerAndForum(c)
	if err != nil {
		return err
	}
	if err := act(v, &f.Forum); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Join, Leave, Follow and Unfollow a forum.
func (a *API) Join(c echo.Context) error {
	return a.forumToggle(c, func(v Viewer, f *models.Forum) error { return a.h.svc.SetMembership(c.Request().Context(), v, f, true) })
}

// Leave a forum.
func (a *API) Leave(c echo.Context) error {
	return a.forumToggle(c, func(v Viewer, f *models.Forum) error {
		return a.h.svc.SetMembership(c.Request().Context(), v, f, false)
	})
}

// FollowForum subscribes to new threads.
func (a *API) FollowForum(c echo.Context) error {
	return a.forumToggle(c, func(v Viewer, f *models.Forum) error {
		return a.h.svc.SetForumFollow(c.Request().Context(), v, f, true)
	})
}

// UnfollowForum unsubscribes.
func (a *API) UnfollowForum(c echo.Context) error {
	return a.forumToggle(c, func(v Viewer, f *models.Forum) error {
		return a.h.svc.SetForumFollow(c.Request().Context(), v, f, false)
	})
}

// Threads lists a forum's threads with a cursor.
func (a *API) Threads(c echo.Context) error {
	v, f, err := a.h.viewerAndForum(c)
	if err != nil {
		return err
	}
	rows, next, err := a.h.svc.Threads(c.Request().Context(), v, &f.Forum, c.QueryParam("cursor"), c.QueryParam("clinician_answered") == "true")
	if err != nil {
		return err
	}
	return threadList(c, rows, next)
}

// threadList answers {"threads": [...], "next_cursor": "…"}.
func threadList(c echo.Context, rows []ThreadRow, next string) error {
	if rows == nil {
		rows = []ThreadRow{}
	}
	out := map[string]any{"threads": rows}
	if next != "" {
		out["next_cursor"] = next
	}
	return c.JSON(http.StatusOK, out)
}

// CreateThread starts a thread; Idempotency-Key makes retries safe.
func (a *API) CreateThread(c echo.Context) error {
	v, f, err := a.h.viewerAndForum(c)
	if err != nil {
		return err
	}
	var form ThreadForm
	if err := c.Bind(&form); err != nil {
		return err // the Binder names what is wrong
	}
	t, err := a.h.svc.CreateThread(c.Request().Context(), v, &f.Forum, form, c.Request().Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	crisis, err := a.h.svc.crisisJSON(c.Request().Context(), v.User, CrisisShown{Level: safety.ParseLevel(t.CrisisLevel), Panel: t.CrisisPanel, Told: t.CrisisTold})
	if err != nil {
		return err
	}
	urgent, err := a.h.svc.Urgent(c.Request().Context(), urgentText(form.Title, form.Body))
	if err != nil {
		return err
	}
	return a.threadJSONWith(c, v, t.ID, http.StatusCreated, crisis, urgent)
}

type threadJSON struct {
	ID                 int64              `json:"id"`
	Forum              string             `json:"forum"`
	Title              string             `json:"title"`
	Anonymous          bool               `json:"anonymous"`
	AuthorHandle       string             `json:"author_handle"`
	State              models.ThreadState `json:"state"`
	Pinned             bool               `json:"pinned"`
	PinnedGlobally     bool               `json:"pinned_globally"`
	ReplyCount         int                `json:"reply_count"`
	HasClinicianAnswer bool               `json:"has_clinician_answer"`
	CreatedAt          time.Time          `json:"created_at"`
	LastPostAt         time.Time          `json:"last_post_at"`
	Following          bool               `json:"following"`
	Tags               []string           `json:"tags"`
	// LastReadPostID is the newest post the member was shown (0: never
	// opened, and for visitors); PUT …/read moves it.
	LastReadPostID int64       `json:"last_read_post_id"`
	Crisis         *CrisisJSON `json:"crisis,omitempty"`
	// Urgent is the emergency guidance for the author of a new thread
	// describing urgent symptoms (urgent.go); clients show it first.
	Urgent *UrgentNotice `json:"urgent,omitempty"`
}

func (a *API) threadJSON(c echo.Context, v Viewer, id int64, status int) error {
	return a.threadJSONWith(c, v, id, status, nil, nil)
}

// threadJSONWith answers with the thread and, after a write, what its
// author is shown: the crisis object when the forum acts on the crisis
// level, the emergency guidance when it describes urgent symptoms.
func (a *API) threadJSONWith(c echo.Context, v Viewer, id int64, status int, crisis *CrisisJSON, urgent *UrgentNotice) error {
	tv, err := a.h.svc.Thread(c.Request().Context(), v, id)
	if err != nil {
		return err
	}
	t := tv.Thread
	lastRead, err := a.h.svc.LastRead(c.Request().Context(), v, id)
	if err != nil {
		return err
	}
	return c.JSON(status, threadJSON{LastReadPostID: lastRead, Crisis: crisis, ID: t.ID, Forum: tv.Forum.Slug, Title: t.Title, Anonymous: t.Anonymous, AuthorHandle: tv.AuthorHandle,
		State: t.State, Pinned: t.Pinned, PinnedGlobally: tv.PinnedGlobally, ReplyCount: t.ReplyCount, HasClinicianAnswer: t.HasClinicianAnswer, CreatedAt: t.CreatedAt, LastPostAt: t.LastPostAt, Following: tv.Following, Tags: tagsOrEmpty(t.Tags), Urgent: urgent})
}

func tagsOrEmpty(t []string) []string {
	if t == nil {
		return []string{}
	}
	return t
}

// SetTags replaces a thread's tags: PUT /api/v1/threads/:id/tags {"tags": [...]}.
func (a *API) SetTags(c echo.Context) error {
	v, id, err := a.h.viewerAndID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tv, err := a.h.svc.Thread(ctx, v, id)
	if err != nil {
		return err
	}
	var body struct {
		Tags []string `json:"tags"`
	}
	if err := c.Bind(&body); err != nil {
		return err // the Binder names what is wrong
	}
	if _, err := a.h.svc.SetTags(ctx, v, tv, body.Tags); err != nil {
		return err
	}
	return a.threadJSON(c, v, id, http.StatusOK)
}

// Thread returns one thread.
func (a *API) Thread(c echo.Context) error {
	v, id, err := a.h.viewerAndID(c)
	if err != nil {
		return err
	}
	return a.threadJSON(c, v, id, http.StatusOK)
}

// Posts returns a page of a thread's posts (?after= or ?before=).
func (a *API) Posts(c echo.Context) error {
	v, id, err := a.h.viewerAndID(c)
	if err != nil {
		return err
	}
	after, err := web.CursorParam(c, "after")
	if err != nil {
		return err
	}
	before, err := web.CursorParam(c, "before")
	if err != nil {
		return err
	}
	_, page, err := a.h.svc.ThreadPage(c.Request().Context(), v, id, after, before)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPostPageJSON(page))
}

// Reply adds a post; Idempotency-Key makes retries safe.
func (a *API) Reply(c echo.Context) error {
	v, id, err := a.h.viewerAndID(c)
	if err != nil {
		return err
	}
	tv, err := a.h.svc.Thread(c.Request().Context(), v, id)
	if err != nil {
		return err
	}
	var form PostForm
	if err := c.Bind(&form); err != nil {
		return err // the Binder names what is wrong
	}
	p, err := a.h.svc.Reply(c.Request().Context(), v, tv, form, c.Request().Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	crisis, err := a.h.svc.crisisJSON(c.Request().Context(), v.User, CrisisShown{Level: safety.ParseLevel(p.CrisisLevel), Panel: p.CrisisPanel, Told: p.CrisisTold})
	if err != nil {
		return err
	}
	urgent, err := a.h.svc.UrgentFor(c.Request().Context(), p.UrgentEvidence)
	if err != nil {
		return err
	}
	// The thread and forum are those just checked: the answer needs the
	// post's row only.
	return a.postJSONIn(c, v, tv, p.ID, http.StatusCreated, crisis, urgent)
}

func (a *API) postJSON(c echo.Context, v Viewer, id int64, status int) error {
	return a.postJSONWith(c, v, id, status, nil, nil)
}

// postJSONWith answers with the post and, after a write, what its author
// is shown: the crisis object, the emergency guidance.
func (a *API) postJSONWith(c echo.Context, v Viewer, id int64, status int, crisis *CrisisJSON, urgent *UrgentNotice) error {
	pc, err := a.h.svc.PostContext(c.Request().Context(), v, id)
	if err != nil {
		return err
	}
	return a.postJSONIn(c, v, &ThreadView{Thread: pc.Thread, Forum: pc.Forum}, id, status, crisis, urgent)
}

// postJSONIn is postJSONWith for a post of thread tv, already loaded.
func (a *API) postJSONIn(c echo.Context, v Viewer, tv *ThreadView, id int64, status int, crisis *CrisisJSON, urgent *UrgentNotice) error {
	page, err := a.h.svc.Posts(c.Request().Context(), v, tv, id-1, 0)
	if err != nil {
		return err
	}
	if len(page.Posts) == 0 || page.Posts[0].ID != id {
		return models.ErrNotFound
	}
	post := toPostJSON(&page.Posts[0])
	if crisis != nil || urgent != nil {
		return c.JSON(status, struct {
			postJSON
			Crisis *CrisisJSON   `json:"crisis,omitempty"`
			Urgent *UrgentNotice `json:"urgent,omitempty"`
		}{post, crisis, urgent})
	}
	return c.JSON(status, post)
}

// Post returns one post.
func (a *API) Post(c echo.Context) error {
	v, id, err := a.h.viewerAndID(c)
	if err != nil {
		return err
	}
	return a.postJSON(c, v, id, http.StatusOK)
}

// EditPost changes a post's text.
func (a *API) EditPost(c echo.Context) error {
	v, pc, err := a.h.postContext(c)
	if err != nil {
		return err
	}
	var form PostForm
	if err := c.Bind(&form); err != nil {
		return err // the Binder names what is wrong
	}
	shown, err := a.h.svc.EditPost(c.Request().Context(), v, pc, form)
	if err != nil {
		return err
	}
	crisis, err := a.h.svc.crisisJSON(c.Request().Context(), v.User, shown)
	if err != nil {
		return err
	}
	urgent, err := a.h.svc.Urgent(c.Request().Context(), form.Body)
	if err != nil {
		return err
	}
	return a.postJSONWith(c, v, pc.Post.ID, http.StatusOK, crisis, urgent)
}

// DeletePost deletes the caller's post.
func (a *API) DeletePost(c echo.Context) error {
	v, pc, err := a.h.postContext(c)
	if err != nil {
		return err
	}
	if err := a.h.svc.DeletePost(c.Request().Context(), v, pc); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Revisions lists a post's earlier texts (moderators).
func (a *API) Revisions(c echo.Context) error {
	v, pc, err := a.h.postContext(c)
	if err != nil {
		return err
	}
	revs, err := a.h.svc.Revisions(c.Request().Context(), v, pc)
	if err != nil {
		return err
	}
	if revs == nil {
		revs = []RevisionRow{}
	}
	return c.JSON(http.StatusOK, map[string]any{"revisions": revs})
}

func (a *API) setReaction(c echo.Context, on bool) error {
	v, pc, err := a.h.postContext(c)
	if err != nil {
		return err
	}
	if err := a.h.svc.SetReaction(c.Request().Context(), v, pc, models.ReactionKind(c.Param("kind")), on); err != nil {
		return err
	}
	return a.postJSON(c, v, pc.Post.ID, http.StatusOK)
}

// AddReaction gives a reaction (idempotent).
func (a *API) AddReaction(c echo.Context) error { return a.setReaction(c, true) }

// RemoveReaction takes a reaction back (idempotent).
func (a *API) RemoveReaction(c echo.Context) error { return a.setReaction(c, false) }

func (a *API) threadFollow(c echo.Context, follow bool) error {
	v, id, err := a.h.viewerAndID(c)
	if err != nil {
		return err
	}
	tv, err := a.h.svc.Thread(c.Request().Context(), v, id)
	if err != nil {
		return err
	}
	if err := a.h.svc.SetThreadFollow(c.Request().Context(), v, tv, follow); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// FollowThread subscribes to replies.
func (a *API) FollowThread(c echo.Context) error { return a.threadFollow(c, true) }

// UnfollowThread unsubscribes.
func (a *API) UnfollowThread(c echo.Context) error { return a.threadFollow(c, false) }

// Profile returns a member's public page.
func (a *API) Profile(c echo.Context) error {
	v, err := a.h.viewer(c)
	if err != nil {
		return err
	}
	p, err := a.h.svc.Profile(c.Request().Context(), v, c.Param("handle"))
	if err != nil {
		return err
	}
	if p.Forums == nil {
		p.Forums = []ProfileForum{}
	}
	if p.RecentPosts == nil {
		p.RecentPosts = []ProfilePostRow{}
	}
	return c.JSON(http.StatusOK, p)
}

func (a *API) setArchived(c echo.Context, archived bool) error {
	v, f, err := a.h.viewerAndForum(c)
	if err != nil {
		return err
	}
	if err := a.h.svc.SetArchived(c.Request().Context(), v, f.ID, archived); err != nil {
		return err
	}
	f, err = a.h.svc.Forum(c.Request().Context(), v, f.Slug)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toForumJSON(f))
}

// ArchiveForum makes a forum read-only (admins).
func (a *API) ArchiveForum(c echo.Context) error { return a.setArchived(c, true) }

// RestoreForum reopens an archived forum (admins).
func (a *API) RestoreForum(c echo.Context) error { return a.setArchived(c, false) }

// Preview renders markdown as a post would show it, without saving it.
func (a *API) Preview(c echo.Context) error {
	var form PostForm
	if err := c.Bind(&form); err != nil {
		return err // the Binder names what is wrong
	}
	if err := form.Validate(); err != nil {
		return err
	}
	html, err := a.h.svc.Preview(c.Request().Context(), web.CurrentUser(c), form.Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"body_html": html})
}

// Mute mutes a member for the caller (PUT) or unmutes them (DELETE).
func (a *API) Mute(c echo.Context) error {
	v, err := a.h.viewer(c)
	if err != nil {
		return err
	}
	if err := a.h.svc.SetMute(c.Request().Context(), v, c.Param("handle"), c.Request().Method == http.MethodPut); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// FollowMember follows a member for the caller (PUT) or stops (DELETE).
func (a *API) FollowMember(c echo.Context) error {
	v, err := a.h.viewer(c)
	if err != nil {
		return err
	}
	if err := a.h.svc.SetFollowMember(c.Request().Context(), v, c.Param("handle"), c.Request().Method == http.MethodPut); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// postJSON is a post in the JSON API: PostRow's public fields, with the
// reaction counts and the caller's own reactions as maps.
type postJSON struct {
	ID                 int64                        `json:"id"`
	ThreadID           int64                        `json:"thread_id"`
	AuthorHandle       string                       `json:"author_handle"` // "" when anonymous
	AuthorRole         string                       `json:"author_role"`   // "" when anonymous
	Anonymous          bool                         `json:"anonymous"`
	Mine               bool                         `json:"mine"`
	Body               string                       `json:"body,omitempty"` // markdown, only for the author
	BodyHTML           string                       `json:"body_html"`
	AuthorWasClinician bool                         `json:"author_was_clinician"`
	ClinicianBadge     string                       `json:"clinician_badge"`
	Reactions          map[models.ReactionKind]int  `json:"reactions"`
	MyReactions        map[models.ReactionKind]bool `json:"my_reactions,omitempty"`
	CreatedAt          time.Time                    `json:"created_at"`
	EditedAt           *time.Time                   `json:"edited_at"`
	DeletedAt          *time.Time                   `json:"deleted_at"`
	ClinicianStatus    string                       `json:"clinician_status"`
	Bookmarked         bool                         `json:"bookmarked"` // by the caller
}

func toPostJSON(r *PostRow) postJSON {
	out := postJSON{ID: r.ID, ThreadID: r.ThreadID, AuthorHandle: r.AuthorHandle, AuthorRole: r.AuthorRole, Anonymous: r.Anonymous,
		Mine: r.Mine, Body: r.Body, BodyHTML: r.BodyHTML, AuthorWasClinician: r.AuthorWasClinician, ClinicianBadge: r.ClinicianBadge,
		Reactions: make(map[models.ReactionKind]int, 4), MyReactions: map[models.ReactionKind]bool{},
		CreatedAt: r.CreatedAt, EditedAt: r.EditedAt, DeletedAt: r.DeletedAt, ClinicianStatus: r.ClinicianStatus, Bookmarked: r.bookmarked}
	c := r.counts()
	for i, k := range models.ReactionKinds {
		out.Reactions[k] = c[i]
		if r.mine[i] {
			out.MyReactions[k] = true
		}
	}
	return out
}

// postPageJSON is a page of posts in the JSON API.
type postPageJSON struct {
	Posts  []postJSON `json:"posts"`
	Before int64      `json:"before,omitempty"` // pass as ?before= for the previous page
	After  int64      `json:"after,omitempty"`  // pass as ?after= for the next page
}

func toPostPageJSON(p *PostPage) postPageJSON {
	out := postPageJSON{Posts: make([]postJSON, len(p.Posts)), Before: p.Before, After: p.After}
	for i := range p.Posts {
		out.Posts[i] = toPostJSON(&p.Posts[i])
	}
	return out
}

// bookmarkJSON is a bookmark in the JSON API: of a post the caller may no
// longer read, only its id, the caller's note and dates.
type bookmarkJSON struct {
	ID         int64      `json:"id"`
	PostID     int64      `json:"post_id"`
	Available  bool       `json:"available"`
	ThreadID   int64      `json:"thread_id,omitempty"`
	Title      string     `json:"thread_title,omitempty"`
	ForumSlug  string     `json:"forum_slug,omitempty"`
	ForumName  string     `json:"forum_name,omitempty"`
	FirstPost  bool       `json:"first_post,omitempty"`
	Note       string     `json:"note"`
	RemindAt   *time.Time `json:"remind_at"`
	RemindedAt *time.Time `json:"reminded_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

func toBookmarkJSON(b *Bookmark) bookmarkJSON { return bookmarkJSON(*b) }

// draftJSON is a draft in the JSON API.
type draftJSON struct {
	ThreadID  int64     `json:"thread_id,omitempty"`
	ForumID   int64     `json:"forum_id,omitempty"`
	Title     string    `json:"title,omitempty"`
	Body      string    `json:"body"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toDraftJSON(d *Draft) draftJSON { return draftJSON(*d) }

// Latest lists threads with new activity in every forum the caller may
// read: GET /api/v1/latest?cursor=.
func (a *API) Latest(c echo.Context) error {
	v, err := a.h.viewer(c)
	if err != nil {
		return err
	}
	rows, next, err := a.h.svc.Latest(c.Request().Context(), v, c.QueryParam("cursor"), 0)
	if err != nil {
		return err
	}
	return threadList(c, rows, next)
}

// MarkRead moves the caller's read mark: PUT /api/v1/threads/:id/read
// {"post_id": N}, N a post of the thread (the mark never goes back).
func (a *API) MarkRead(c echo.Context) error {
	v, id, err := a.h.viewerAndID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tv, err := a.h.svc.Thread(ctx, v, id)
	if err != nil {
		return err
	}
	var body struct {
		PostID int64 `json:"post_id"`
	}
	if err := c.Bind(&body); err != nil {
		return err
	}
	if err := a.h.svc.MarkReadTo(ctx, v, tv, body.PostID); err != nil {
		return err
	}
	last, err := a.h.svc.LastRead(ctx, v, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int64{"last_read_post_id": last})
}
