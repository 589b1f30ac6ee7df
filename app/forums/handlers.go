package forums

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Page templates, named by their paths under templates/.
const (
	TplIndex          = "pages/forums/index.html"
	TplForum          = "pages/forums/forum.html"
	TplLatest         = "pages/forums/latest.html"
	TplNewThread      = "pages/forums/new_thread.html"
	TplThread         = "pages/forums/thread.html"
	TplEditPost       = "pages/forums/edit_post.html"
	TplDeletePost     = "pages/forums/delete_post.html"
	TplRevisions      = "pages/forums/revisions.html"
	TplProfile        = "pages/forums/profile.html"
	TplAdminForums    = "pages/admin/forums.html"
	TplAdminForumForm = "pages/admin/forum_form.html"
	TplCrisis         = "pages/forums/crisis.html"
)

// Templates lists every page this package renders, checked at start-up.
var Templates = []string{TplSearch, TplIndex, TplForum, TplLatest, TplNewThread, TplThread, TplEditPost, TplDeletePost, TplRevisions, TplProfile, TplAdminForums, TplAdminForumForm, TplCrisis,
	TplBookmarks, TplBookmarkEdit, TplBookmarkRemove, TplResources, TplResourceEdit, TplResourceQueue}

// Handlers serves the forum pages.
type Handlers struct {
	svc      *Service
	r        *web.Renderer
	cookies  web.Cookies
	searcher Searcher
	recorder SearchRecorder
}

// NewHandlers wires the HTML handlers; searcher answers the search page
// and API (app/search), recorder counts the searches (app/analytics).
func NewHandlers(svc *Service, r *web.Renderer, cookies web.Cookies, searcher Searcher, recorder SearchRecorder) *Handlers {
	return &Handlers{svc: svc, r: r, cookies: cookies, searcher: searcher, recorder: recorder}
}

func (h *Handlers) viewer(c echo.Context) (Viewer, error) {
	return web.Actor(c), nil
}

// viewerAndForum loads the viewer and the :slug forum, if the viewer may read it.
func (h *Handlers) viewerAndForum(c echo.Context) (Viewer, *ForumItem, error) {
	v, err := h.viewer(c)
	if err != nil {
		return v, nil, err
	}
	f, err := h.svc.Forum(c.Request().Context(), v, c.Param("slug"))
	return v, f, err
}

// viewerAndID loads the viewer and the :id of the route.
func (h *Handlers) viewerAndID(c echo.Context) (Viewer, int64, error) {
	v, err := h.viewer(c)
	if err != nil {
		return v, 0, err
	}
	id, err := web.PathID(c, "id")
	return v, id, err
}

type indexData struct {
	Active   []ForumItem
	Archived []ForumItem
	Mine     bool
	// Latest is the start of the Latest page, on the home page.
	Latest     template.HTML
	HasLatest  bool
	MoreLatest bool
	// Pins are the threads admins pinned on the home page that the
	// viewer may read (pins.go).
	Pins    template.HTML
	HasPins bool
}

// homeLatest is how many threads with recent activity the home page lists.
const homeLatest = 5

func splitArchived(items []ForumItem) (active, archived []ForumItem) {
	for _, f := range items {
		if f.Archived() {
			archived = append(archived, f)
		} else {
			active = append(active, f)
		}
	}
	return
}

// Index lists the forums the viewer may read.
func (h *Handlers) Index(c echo.Context) error { return h.index(c, false) }

// MyForums lists the forums the viewer joined.
func (h *Handlers) MyForums(c echo.Context) error { return h.index(c, true) }

func (h *Handlers) index(c echo.Context, mine bool) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	items, err := h.svc.Forums(c.Request().Context(), v, mine)
	if err != nil {
		return err
	}
	title := "Kindred: support from people who understand"
	if mine {
		title = "My forums"
	}
	p := h.r.NewPage(c, title)
	d := indexData{Mine: mine}
	d.Active, d.Archived = splitArchived(items)
	if !mine && len(items) > 0 {
		rows, next, err := h.svc.Latest(c.Request().Context(), v, "", homeLatest)
		if err != nil {
			return err
		}
		d.Latest, d.HasLatest, d.MoreLatest = threadsHTML(rows, v.Now, web.Location(v.User)), len(rows) > 0, next != ""
		pins, err := h.svc.GlobalPins(c.Request().Context(), v)
		if err != nil {
			return err
		}
		d.Pins, d.HasPins = threadsHTML(pins, v.Now, web.Location(v.User)), len(pins) > 0
	}
	p.Data = d
	return h.r.Render(c, http.StatusOK, TplIndex, p)
}

type latestData struct {
	ThreadsHTML template.HTML
	Empty       bool
	Next        string
	First       bool
}

// LatestPage lists threads with recent activity across the forums the
// viewer may read, with a member's unread marks.
func (h *Handlers) LatestPage(c echo.Context) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	cursor := c.QueryParam("cursor")
	rows, next, err := h.svc.Latest(c.Request().Context(), v, cursor, 0)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Latest activity")
	p.Data = latestData{ThreadsHTML: threadsHTML(rows, v.Now, web.Location(v.User)), Empty: len(rows) == 0, Next: next, First: cursor == ""}
	return h.r.Render(c, http.StatusOK, TplLatest, p)
}

type forumData struct {
	Forum       *ForumItem
	Threads     []ThreadRow
	ThreadsHTML template.HTML
	Next        string
	First       bool
	CanPost     bool
	CanJoin     bool
	Moderates   bool
	Answered    bool // only threads a clinician answered
	// Resources are the approved links (resources.go); ManageResources
	// links the forum's moderators to their list.
	Resources       []ResourceVersionOf
	ResourcesHTML   template.HTML
	ManageResources bool
	// ReviewResources links verified clinicians to the review queue from
	// a forum that has resources.
	ReviewResources bool
}

// Forum shows a forum's threads.
func (h *Handlers) Forum(c echo.Context) error {
	v, f, err := h.viewerAndForum(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cursor := c.QueryParam("cursor")
	answered := c.QueryParam("answered") == "1"
	threads, next, err := h.svc.Threads(ctx, v, &f.Forum, cursor, answered)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, f.Name)
	p.Noindex = f.Sensitive || f.ClinicianOnly
	p.Data = forumData{Forum: f, Threads: threads, ThreadsHTML: threadsHTML(threads, v.Now, web.Location(v.User)), Next: next, First: cursor == "", CanPost: CanPostIn(v, &f.Forum),
		CanJoin: v.Active() && !f.Archived(), Moderates: v.ModeratesForum(&f.Forum), Answered: answered}
	if cursor == "" {
		d := p.Data.(forumData)
		if f.hasResources {
			if d.Resources, _, err = h.svc.Resources(ctx, v, &f.Forum); err != nil {
				return err
			}
			d.ResourcesHTML = resourcesHTML(d.Resources)
		}
		d.ManageResources = CanManageResources(v, &f.Forum)
		d.ReviewResources = f.hasResources && v.Active() && v.Clinician
		p.Data = d
	}
	return h.r.Render(c, http.StatusOK, TplForum, p)
}

func (h *Handlers) forumAction(c echo.Context, act func(v Viewer, f *ForumItem) error, flash string) error {
	v, f, err := h.viewerAndForum(c)
	if err != nil {
		return err
	}
	if err := act(v, f); err != nil {
		return err
	}
	h.cookies.SetFlash(c, flash+" "+f.Name+".")
	return web.Redirect(c, "/f/"+f.Slug)
}

// Join adds the forum to My forums.
func (h *Handlers) Join(c echo.Context) error {
	return h.forumAction(c, func(v Viewer, f *ForumItem) error {
		return h.svc.SetMembership(c.Request().Context(), v, &f.Forum, true)
	}, "You joined")
}

// Leave removes the forum from My forums.
func (h *Handlers) Leave(c echo.Context) error {
	return h.forumAction(c, func(v Viewer, f *ForumItem) error {
		return h.svc.SetMembership(c.Request().Context(), v, &f.Forum, false)
	}, "You left")
}

// FollowForum notifies the member of new threads.
func (h *Handlers) FollowForum(c echo.Context) error {
	return h.forumAction(c, func(v Viewer, f *ForumItem) error {
		return h.svc.SetForumFollow(c.Request().Context(), v, &f.Forum, true)
	}, "You will be told of new threads in")
}

// UnfollowForum stops new-thread notifications.
func (h *Handlers) UnfollowForum(c echo.Context) error {
	return h.forumAction(c, func(v Viewer, f *ForumItem) error {
		return h.svc.SetForumFollow(c.Request().Context(), v, &f.Forum, false)
	}, "No more new-thread notifications from")
}

type composeData struct {
	Reviewed  int // how many first posts of the viewer wait for approval
	Forum     *ForumItem
	Anonymity bool
	IdemKey   string
	Preview   template.HTML
	Post      *PostContext
	// DraftSaved is when the viewer's draft shown in the form was saved.
	DraftSaved *time.Time
}

// NewThreadPage shows the new-thread form.
func (h *Handlers) NewThreadPage(c echo.Context) error {
	v, f, err := h.viewerAndForum(c)
	if err != nil {
		return err
	}
	if !CanPostIn(v, &f.Forum) {
		return models.ErrForbidden
	}
	p := h.r.NewPage(c, "New thread in "+f.Name)
	p.Noindex = true
	d := composeData{Forum: f, Anonymity: CanPostAnonymously(&f.Forum), IdemKey: web.RandomToken(16), Reviewed: h.svc.FirstPostsReviewed(c.Request().Context(), v)}
	draft, err := h.svc.ThreadDraft(c.Request().Context(), v, f.ID)
	if err != nil {
		return err
	}
	if draft != nil {
		p.Form.Values = map[string]string{"title": draft.Title, "body": draft.Body}
		d.DraftSaved = &draft.UpdatedAt
	}
	p.Data = d
	return h.r.Render(c, http.StatusOK, TplNewThread, p)
}

func checked(c echo.Context, name string) bool {
	v := c.FormValue(name)
	return v == "on" || v == "true" || v == "1"
}

// draftSaved is the flash after saving a draft (or discarding an empty one).
func draftSaved(text string) string {
	if strings.TrimSpace(text) == "" {
		return "Draft discarded."
	}
	return "Draft saved. It waits here for you, on any device, until you post it."
}

// KeepInputPaths are the compose forms whose handlers check every field
// with the input rules (through ThreadForm and PostForm) and show the form
// again with the member's text: web.ValidText lets their refused forms
// through to them.
var KeepInputPaths = []string{"/f/:slug/threads", "/t/:id/replies", "/posts/:id/edit"}

// CreateThread posts the form, or shows a preview of it.
func (h *Handlers) CreateThread(c echo.Context) error {
	v, f, err := h.viewerAndForum(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	form := ThreadForm{Title: c.FormValue("title"), Body: c.FormValue("body"), Anonymous: checked(c, "anonymous"), ConfirmPersonal: checked(c, "confirm_personal_data"),
		Tags: SplitTags(c.FormValue("tags"))}
	key := c.FormValue("idempotency_key")
	values := map[string]string{"title": form.Title, "body": form.Body, "tags": c.FormValue("tags")}
	if form.Anonymous {
		values["anonymous"] = "on"
	}
	page := func() *web.Page {
		p := h.r.NewPage(c, "New thread in "+f.Name)
		p.Noindex = true
		p.Data = composeData{Forum: f, Anonymity: CanPostAnonymously(&f.Forum), IdemKey: key, Reviewed: h.svc.FirstPostsReviewed(c.Request().Context(), v)}
		return p
	}
	switch c.FormValue("action") {
	case "preview":
		return h.preview(c, TplNewThread, page(), values, form.Body)
	case "draft":
		err := h.svc.SaveThreadDraft(ctx, v, &f.Forum, form.Title, form.Body)
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			return h.r.RenderForm(c, TplNewThread, page(), values, verr)
		}
		if err != nil {
			return err
		}
		h.cookies.SetFlash(c, draftSaved(form.Title+form.Body))
		return web.Redirect(c, "/f/"+f.Slug+"/new")
	}
	t, err := h.svc.CreateThread(ctx, v, &f.Forum, form, key)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.r.RenderForm(c, TplNewThread, page(), values, verr)
	}
	if err != nil {
		return err
	}
	h.markUrgent(c, urgentText(form.Title, form.Body), t.ID, 0)
	if t.CrisisPanel != "" {
		return h.renderCrisis(c, CrisisShown{Level: safety.ParseLevel(t.CrisisLevel), Panel: t.CrisisPanel, Told: t.CrisisTold}, "thread", "/t/"+strconv.FormatInt(t.ID, 10),
			t.Visibility == models.Pending)
	}
	return web.Redirect(c, "/t/"+strconv.FormatInt(t.ID, 10))
}

// preview re-shows a compose form with the rendered text above it.
func (h *Handlers) preview(c echo.Context, tpl string, p *web.Page, values map[string]string, body string) error {
	html, err := h.svc.Preview(c.Request().Context(), web.CurrentUser(c), body)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.r.RenderForm(c, tpl, p, values, verr)
	}
	if err != nil {
		return err
	}
	d := p.Data.(composeData)
	d.Preview = template.HTML(html) // sanitised by app/markdown
	p.Data = d
	p.Form.Values = values
	return h.r.Render(c, http.StatusOK, tpl, p)
}

type threadData struct {
	T         *ThreadView
	Posts     *PostPage
	CanReply  bool
	CanReact  bool
	Moderates bool
	Anonymity bool
	// AnonChecked ticks "reply anonymously": what the member sent, or, on
	// a fresh form, yes in their own anonymous thread (replying under
	// their handle there would reveal who started it).
	AnonChecked bool
	Handle      string // the viewer's handle, for "you reply as …"
	// Reviewed is how many first posts of the viewer wait for approval
	// (said before they post); AwaitingReview: the thread itself waits.
	Reviewed int
	// DraftSaved is when the viewer's draft in the reply form was saved.
	DraftSaved     *time.Time
	AwaitingReview bool
	Locked         bool
	IdemKey        string
	Preview        template.HTML
	LastPage       bool
	Open           bool // the forum is not archived: posts can be edited
	SignedIn       bool // the viewer may report posts
	// CanEditTags shows the tag form (the thread's author and moderators).
	CanEditTags bool
	// CanPin and CanPinGlobally show the pin buttons (pins.go).
	CanPin, CanPinGlobally bool
	PostsHTML              template.HTML // the rendered posts (see render.go)
	// NewAfter is the member's last-read post before this visit: later
	// posts are marked new (0: none, or first visit).
	NewAfter int64
	now      time.Time      // the request's clock, for "3 hours ago"
	loc      *time.Location // the viewer's time zone
	// Urgent is the emergency guidance for the viewer's post that was just
	// written (urgent.go), shown above the thread.
	Urgent *UrgentNotice
}

// Thread shows a page of a thread.
func (h *Handlers) Thread(c echo.Context) error {
	v, id, err := h.viewerAndID(c)
	if err != nil {
		return err
	}
	after, before, err := pageParams(c, false)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tv, page, err := h.svc.ThreadPage(ctx, v, id, after, before)
	if err != nil {
		return err
	}
	// A member's visit moves their read mark to the last post shown, and
	// their notifications about the thread are read.
	// What was read with the thread says whether either needs a write.
	var newAfter int64
	if v.User != nil && len(page.Posts) > 0 {
		newAfter = tv.lastRead
		if last := page.Posts[len(page.Posts)-1].ID; !tv.marks || last > tv.lastRead {
			if newAfter, err = h.svc.MarkRead(ctx, v, id, last); err != nil {
				return err
			}
		}
		if (!tv.marks || tv.unreadNotes) && web.UnreadCount(c) > 0 {
			if err := h.svc.notifier.MarkThreadRead(ctx, v.User.ID, id); err != nil {
				return err
			}
		}
	}
	return h.renderThreadNew(c, v, tv, page, newAfter)
}

// ThreadNew goes to the member's first unread post of a thread (its page,
// anchored), or to the last page when everything is read.
func (h *Handlers) ThreadNew(c echo.Context) error {
	v, id, err := h.viewerAndID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.svc.Thread(ctx, v, id); err != nil {
		return err
	}
	first, err := h.svc.FirstUnread(ctx, v, id)
	if err != nil {
		return err
	}
	if first == 0 {
		return web.Redirect(c, "/t/"+strconv.FormatInt(id, 10)+"?page=last")
	}
	return web.Redirect(c, "/posts/"+strconv.FormatInt(first, 10))
}

// pageParams reads ?after=, ?before= and ?page=last (or forces the last page).
// Anything else in them is a 422 naming the parameter.
func pageParams(c echo.Context, last bool) (after, before int64, err error) {
	if last {
		return 0, 1<<63 - 1, nil
	}
	switch c.QueryParam("page") {
	case "last":
		return 0, 1<<63 - 1, nil
	case "":
	default:
		v := models.NewValidationError()
		v.Add("page", "A thread's pages go by ?after= and ?before=; the only page by name is ?page=last.")
		return 0, 0, v
	}
	if after, err = web.CursorParam(c, "after"); err != nil {
		return 0, 0, err
	}
	before, err = web.CursorParam(c, "before")
	return after, before, err
}

// renderLast shows the thread's last page with a reply form that needs another look.
func (h *Handlers) renderLast(c echo.Context, v Viewer, tv *ThreadView, status int, values map[string]string, verr *models.ValidationError, preview template.HTML) error {
	after, before, _ := pageParams(c, true)
	page, err := h.svc.Posts(c.Request().Context(), v, tv, after, before)
	if err != nil {
		return err
	}
	return h.renderThread(c, v, tv, page, status, values, verr, preview)
}

func (h *Handlers) renderThreadNew(c echo.Context, v Viewer, tv *ThreadView, page *PostPage, newAfter int64) error {
	return h.renderThreadWith(c, v, tv, page, http.StatusOK, nil, nil, "", newAfter)
}

func (h *Handlers) renderThread(c echo.Context, v Viewer, tv *ThreadView, page *PostPage, status int, values map[string]string, verr *models.ValidationError, preview template.HTML) error {
	return h.renderThreadWith(c, v, tv, page, status, values, verr, preview, 0)
}

func (h *Handlers) renderThreadWith(c echo.Context, v Viewer, tv *ThreadView, page *PostPage, status int, values map[string]string, verr *models.ValidationError, preview template.HTML, newAfter int64) error {
	p := h.r.NewPage(c, tv.Thread.Title)
	p.Noindex = tv.Forum.Sensitive || tv.Forum.ClinicianOnly
	d := threadData{T: tv, Posts: page, CanReply: CanReply(v, &tv.Forum, &tv.Thread), CanReact: CanReact(v, &tv.Forum),
		Moderates: v.ModeratesForum(&tv.Forum), Anonymity: CanPostAnonymously(&tv.Forum), Locked: tv.Thread.State == models.ThreadLocked,
		IdemKey: web.RandomToken(16), Preview: preview, LastPage: page.After == 0, Open: !tv.Forum.Archived(), SignedIn: v.SignedIn(),
		CanEditTags: CanEditTags(v, &tv.Forum, &tv.Thread)}
	d.AnonChecked = tv.Thread.Anonymous && v.User != nil && tv.Thread.AuthorID == v.User.ID
	if tv.Thread.Visibility == models.Visible {
		d.CanPin, d.CanPinGlobally = CanPin(v, &tv.Forum), CanPinGlobally(v)
	}
	d.AwaitingReview = tv.Thread.Visibility == models.Pending
	if d.AwaitingReview {
		d.CanReply = false
	}
	if d.CanReply && tv.draftRead {
		d.Reviewed = h.svc.reviewedFrom(v, tv.posts)
	} else if d.CanReply {
		d.Reviewed = h.svc.FirstPostsReviewed(c.Request().Context(), v)
	}
	if v.User != nil {
		d.Handle = v.User.Handle
	}
	if values != nil {
		p.Form.Values = values
		d.IdemKey = values["idempotency_key"]
		d.AnonChecked = values["anonymous"] != ""
	} else if d.CanReply {
		draft := tv.draft
		if !tv.draftRead {
			var err error
			if draft, err = h.svc.ReplyDraft(c.Request().Context(), v, tv.Thread.ID); err != nil {
				return err
			}
		}
		if draft != nil {
			p.Form.Values = map[string]string{"body": draft.Body}
			d.DraftSaved = &draft.UpdatedAt
		}
	}
	if verr != nil {
		p.Form.Errors, p.Form.Message = verr.Fields, verr.Message
	}
	d.now, d.loc = v.Now, web.Location(v.User)
	d.NewAfter = newAfter
	var posts *htmlBuf
	d.PostsHTML, posts = postsHTML(&d, p.CSRF)
	defer posts.release() // after Render: d.PostsHTML shares its bytes
	urgent, err := h.takeUrgent(c, v, tv.Thread.ID)
	if err != nil {
		return err
	}
	d.Urgent = urgent
	p.Data = d
	return h.r.Render(c, status, TplThread, p)
}

// Reply posts a reply, or shows a preview of it.
func (h *Handlers) Reply(c echo.Context) error {
	v, id, err := h.viewerAndID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tv, err := h.svc.Thread(ctx, v, id)
	if err != nil {
		return err
	}
	form := PostForm{Body: c.FormValue("body"), Anonymous: checked(c, "anonymous"), ConfirmPersonal: checked(c, "confirm_personal_data")}
	key := c.FormValue("idempotency_key")
	values := map[string]string{"body": form.Body, "idempotency_key": key}
	if form.Anonymous {
		values["anonymous"] = "on"
	}
	if c.FormValue("action") == "draft" {
		err := h.svc.SaveReplyDraft(ctx, v, tv, form.Body)
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			return h.renderLast(c, v, tv, http.StatusUnprocessableEntity, values, verr, "")
		}
		if err != nil {
			return err
		}
		h.cookies.SetFlash(c, draftSaved(form.Body))
		return web.Redirect(c, "/t/"+strconv.FormatInt(tv.Thread.ID, 10)+"?page=last#body")
	}
	if c.FormValue("action") == "preview" {
		html, err := h.svc.Render(form.Body)
		if err != nil {
			return err
		}
		return h.renderLast(c, v, tv, http.StatusOK, values, nil, template.HTML(html)) // sanitised by app/markdown
	}
	post, err := h.svc.Reply(ctx, v, tv, form, key)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.renderLast(c, v, tv, http.StatusUnprocessableEntity, values, verr, "")
	}
	if err != nil {
		return err
	}
	h.markUrgent(c, form.Body, tv.Thread.ID, post.ID)
	if post.CrisisPanel != "" {
		return h.renderCrisis(c, CrisisShown{Level: safety.ParseLevel(post.CrisisLevel), Panel: post.CrisisPanel, Told: post.CrisisTold}, "reply", h.postURL(c, v, tv.Thread.ID, post.ID),
			post.Visibility == models.Pending)
	}
	return web.Redirect(c, h.postURL(c, v, tv.Thread.ID, post.ID))
}

// postURL is the post on its page of the thread, as the viewer pages
// through it (the same pages as from the start), anchored on the post.
func (h *Handlers) postURL(c echo.Context, v Viewer, threadID, postID int64) string {
	base := "/t/" + strconv.FormatInt(threadID, 10)
	anchor := "#post-" + strconv.FormatInt(postID, 10)
	after, err := h.svc.PageStart(c.Request().Context(), v, threadID, postID)
	if err != nil || after == 0 {
		return base + anchor
	}
	return base + "?after=" + strconv.FormatInt(after, 10) + anchor
}

// GoToPost opens the page of the thread that holds a post, anchored on
// it (where notifications and permalinks lead).
func (h *Handlers) GoToPost(c echo.Context) error {
	v, pc, err := h.postContext(c)
	if err != nil {
		return err
	}
	return web.Redirect(c, h.postURL(c, v, pc.Thread.ID, pc.Post.ID))
}

func (h *Handlers) threadAction(c echo.Context, follow bool) error {
	v, id, err := h.viewerAndID(c)
	if err != nil {
		return err
	}
	tv, err := h.svc.Thread(c.Request().Context(), v, id)
	if err != nil {
		return err
	}
	if err := h.svc.SetThreadFollow(c.Request().Context(), v, tv, follow); err != nil {
		return err
	}
	if follow {
		h.cookies.SetFlash(c, "You are following this thread.")
	} else {
		h.cookies.SetFlash(c, "You stopped following this thread.")
	}
	return web.Redirect(c, "/t/"+strconv.FormatInt(id, 10))
}

// SaveTags changes a thread's tags from the thread page.
func (h *Handlers) SaveTags(c echo.Context) error {
	v, id, err := h.viewerAndID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tv, err := h.svc.Thread(ctx, v, id)
	if err != nil {
		return err
	}
	raw := c.FormValue("tags")
	if _, err := h.svc.SetTags(ctx, v, tv, SplitTags(raw)); err != nil {
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			page, perr := h.svc.Posts(ctx, v, tv, 0, 0)
			if perr != nil {
				return perr
			}
			return h.renderThread(c, v, tv, page, http.StatusUnprocessableEntity, map[string]string{"tags": raw, "idempotency_key": web.RandomToken(16)}, verr, "")
		}
		return err
	}
	h.cookies.SetFlash(c, "Tags saved.")
	return web.Redirect(c, "/t/"+strconv.FormatInt(id, 10))
}

// FollowThread subscribes to replies.
func (h *Handlers) FollowThread(c echo.Context) error { return h.threadAction(c, true) }

// UnfollowThread unsubscribes.
func (h *Handlers) UnfollowThread(c echo.Context) error { return h.threadAction(c, false) }

func (h *Handlers) postContext(c echo.Context) (Viewer, *PostContext, error) {
	v, err := h.viewer(c)
	if err != nil {
		return v, nil, err
	}
	id, err := web.PathID(c, "id")
	if err != nil {
		return v, nil, err
	}
	pc, err := h.svc.PostContext(c.Request().Context(), v, id)
	return v, pc, err
}

// EditPage shows the edit form.
func (h *Handlers) EditPage(c echo.Context) error {
	v, pc, err := h.postContext(c)
	if err != nil {
		return err
	}
	if !CanEditPost(v, &pc.Forum, pc.Post.AuthorID, &pc.Post) {
		return models.ErrForbidden
	}
	p := h.r.NewPage(c, "Edit your post")
	p.Noindex = true
	p.Data = composeData{Post: pc}
	p.Form.Values["body"] = pc.Post.Body
	return h.r.Render(c, http.StatusOK, TplEditPost, p)
}

// Edit saves the new text (or previews it).
func (h *Handlers) Edit(c echo.Context) error {
	v, pc, err := h.postContext(c)
	if err != nil {
		return err
	}
	form := PostForm{Body: c.FormValue("body"), ConfirmPersonal: checked(c, "confirm_personal_data")}
	page := func() *web.Page {
		p := h.r.NewPage(c, "Edit your post")
		p.Noindex = true
		p.Data = composeData{Post: pc}
		return p
	}
	values := map[string]string{"body": form.Body}
	if c.FormValue("action") == "preview" {
		if !CanEditPost(v, &pc.Forum, pc.Post.AuthorID, &pc.Post) {
			return models.ErrForbidden
		}
		return h.preview(c, TplEditPost, page(), values, form.Body)
	}
	shown, err := h.svc.EditPost(c.Request().Context(), v, pc, form)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.r.RenderForm(c, TplEditPost, page(), values, verr)
	}
	if err != nil {
		return err
	}
	h.markUrgent(c, form.Body, pc.Thread.ID, pc.Post.ID)
	if shown.Panel != "" {
		return h.renderCrisis(c, shown, "post", h.postURL(c, v, pc.Thread.ID, pc.Post.ID), false)
	}
	h.cookies.SetFlash(c, "Your changes are saved. The earlier text is kept for moderators.")
	return web.Redirect(c, h.postURL(c, v, pc.Thread.ID, pc.Post.ID))
}

// DeletePage asks for confirmation.
func (h *Handlers) DeletePage(c echo.Context) error {
	v, pc, err := h.postContext(c)
	if err != nil {
		return err
	}
	if !CanDeletePost(v, &pc.Forum, pc.Post.AuthorID, &pc.Post) {
		return models.ErrForbidden
	}
	p := h.r.NewPage(c, "Delete your post?")
	p.Noindex = true
	p.Data = pc
	return h.r.Render(c, http.StatusOK, TplDeletePost, p)
}

// Delete removes the post's text from view.
func (h *Handlers) Delete(c echo.Context) error {
	v, pc, err := h.postContext(c)
	if err != nil {
		return err
	}
	if err := h.svc.DeletePost(c.Request().Context(), v, pc); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Your post is deleted.")
	return web.Redirect(c, h.postURL(c, v, pc.Thread.ID, pc.Post.ID))
}

// Revisions shows a post's earlier texts to moderators.
func (h *Handlers) Revisions(c echo.Context) error {
	v, pc, err := h.postContext(c)
	if err != nil {
		return err
	}
	revs, err := h.svc.Revisions(c.Request().Context(), v, pc)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Earlier versions of a post")
	p.Noindex = true
	p.Data = struct {
		PC   *PostContext
		Revs []RevisionRow
	}{pc, revs}
	return h.r.Render(c, http.StatusOK, TplRevisions, p)
}

// React toggles one reaction.
func (h *Handlers) React(c echo.Context) error {
	v, pc, err := h.postContext(c)
	if err != nil {
		return err
	}
	kind := models.ReactionKind(c.Param("kind"))
	if !kind.Valid() {
		return models.ErrNotFound
	}
	if !v.SignedIn() {
		return web.ErrUnauthorized
	}
	had, err := h.svc.HasReacted(c.Request().Context(), v, pc.Post.ID, kind)
	if err != nil {
		return err
	}
	if err := h.svc.SetReaction(c.Request().Context(), v, pc, kind, !had); err != nil {
		return err
	}
	return web.Redirect(c, h.postURL(c, v, pc.Thread.ID, pc.Post.ID))
}

// Profile shows a member's page.
func (h *Handlers) Profile(c echo.Context) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	prof, err := h.svc.Profile(c.Request().Context(), v, c.Param("handle"))
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, prof.Handle)
	p.Noindex = true
	p.Data = prof
	return h.r.Render(c, http.StatusOK, TplProfile, p)
}

// FollowMember and UnfollowMember change whether the viewer follows a member.
func (h *Handlers) FollowMember(c echo.Context) error { return h.setFollowMember(c, true) }

// UnfollowMember stops following a member.
func (h *Handlers) UnfollowMember(c echo.Context) error { return h.setFollowMember(c, false) }

func (h *Handlers) setFollowMember(c echo.Context, on bool) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	handle := c.Param("handle")
	if err := h.svc.SetFollowMember(c.Request().Context(), v, handle, on); err != nil {
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			h.cookies.SetFlash(c, verr.Fields["follow"])
			return web.Redirect(c, "/members/"+url.PathEscape(handle))
		}
		return err
	}
	if on {
		h.cookies.SetFlash(c, "You follow "+handle+". They are not told; if you accept messages only from people you follow, they can now write to you.")
	} else {
		h.cookies.SetFlash(c, "You no longer follow "+handle+".")
	}
	return web.Redirect(c, "/members/"+url.PathEscape(handle))
}

// Mute and Unmute change the viewer's mute of a member.
func (h *Handlers) Mute(c echo.Context) error { return h.setMute(c, true) }

// Unmute takes a mute back.
func (h *Handlers) Unmute(c echo.Context) error { return h.setMute(c, false) }

func (h *Handlers) setMute(c echo.Context, on bool) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	handle := c.Param("handle")
	if err := h.svc.SetMute(c.Request().Context(), v, handle, on); err != nil {
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			h.cookies.SetFlash(c, verr.Fields["mute"])
			return web.Redirect(c, "/members/"+url.PathEscape(handle))
		}
		return err
	}
	if on {
		h.cookies.SetFlash(c, "Muted. Their posts are collapsed for you and they send you no notifications. They are not told.")
	} else {
		h.cookies.SetFlash(c, "Unmuted.")
	}
	return web.Redirect(c, "/members/"+url.PathEscape(handle))
}

type crisisData struct {
	Panel string
	HTML  string // the crisis resources, sanitised by app/markdown
	About string // thread, reply, or post (an edit)
	Next  string
	Told  bool
	// Pending: the text waits for a moderator's approval (a new member).
	Pending bool
}

// renderCrisis answers a write whose crisis level calls for it with the
// crisis resources or a check-in, in the same response: someone who may be
// at risk should not have to follow one more link to find help.
func (h *Handlers) renderCrisis(c echo.Context, shown CrisisShown, about, next string, pending bool) error {
	html, err := h.svc.CrisisResourcesHTML(c.Request().Context(), web.CurrentUser(c))
	if err != nil {
		return err
	}
	title := "Thank you for sharing this"
	if shown.Panel == safety.CrisisShowResources {
		title = "Support, right now"
	}
	p := h.r.NewPage(c, title)
	p.Noindex = true
	p.Data = crisisData{Panel: shown.Panel, HTML: html, About: about, Next: next, Told: shown.Told, Pending: pending}
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return h.r.Render(c, http.StatusOK, TplCrisis, p)
}
