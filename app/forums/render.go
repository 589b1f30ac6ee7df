package forums

import (
	"bytes"
	"html"
	"html/template"
	"net/url"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// The thread and forum pages list up to 30 items each. Walking them in
// html/template cost most of a page's CPU (every value goes through
// reflection and escaper calls), so these two lists are written here.
// Every value that is not a constant or a number goes through
// html.EscapeString, and BodyHTML is HTML that app/markdown sanitised.

type htmlBuf struct {
	bytes.Buffer
	scratch [64]byte
}

// The thread page's posts are written into a pooled buffer and handed to
// the template without a copy (pooledHTML): a page's posts are 25–65 KB,
// which was half of what a thread page allocated.
var htmlBufs = sync.Pool{New: func() any { return new(htmlBuf) }}

// pooledHTML is the buffer's markup as template.HTML sharing its bytes:
// valid only until release, so it must not outlive the page's render.
func (b *htmlBuf) pooledHTML() template.HTML {
	if b.Len() == 0 {
		return ""
	}
	return template.HTML(unsafe.String(unsafe.SliceData(b.Bytes()), b.Len())) // every part written is escaped or constant
}

// release returns a pooled buffer (the odd huge one is let go).
func (b *htmlBuf) release() {
	if b.Cap() <= 1<<20 {
		b.Reset()
		htmlBufs.Put(b)
	}
}

// Date layouts of the two lists.
const (
	isoLayout  = "2006-01-02T15:04:05Z"
	showLayout = "2 Jan 2006 15:04 UTC"
)

// time writes a UTC time in one of the two layouts; dates need no
// escaping. Written by hand: time.Format was a tenth of a thread page's CPU.
func (b *htmlBuf) time(t time.Time, layout string) {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	out := b.scratch[:0]
	two := func(n int) { out = append(out, byte('0'+n/10), byte('0'+n%10)) }
	if layout == isoLayout {
		out = strconv.AppendInt(out, int64(y), 10)
		out = append(out, '-')
		two(int(mo))
		out = append(out, '-')
		two(d)
		out = append(out, 'T')
		two(h)
		out = append(out, ':')
		two(mi)
		out = append(out, ':')
		two(sec)
		out = append(out, 'Z')
	} else {
		out = strconv.AppendInt(out, int64(d), 10)
		out = append(out, ' ')
		out = append(out, mo.String()[:3]...)
		out = append(out, ' ')
		out = strconv.AppendInt(out, int64(y), 10)
		out = append(out, ' ')
		two(h)
		out = append(out, ':')
		two(mi)
		out = append(out, " UTC"...)
	}
	b.Write(out)
}

// when writes a <time> whose text says how long ago t was (or t itself,
// in loc, when that reads better) and whose title is the exact time.
func (b *htmlBuf) when(t, now time.Time, loc *time.Location) {
	b.s(`<time datetime="`)
	b.time(t, isoLayout)
	b.s(`" title="`)
	b.t(web.ExactTime(t, loc))
	b.s(`">`)
	b.t(web.RelativeTime(t, now, loc))
	b.s(`</time>`)
}

// s writes constant markup.
func (b *htmlBuf) s(markup string) { b.WriteString(markup) }

// t writes text or a double-quoted attribute value, escaped.
func (b *htmlBuf) t(text string) { b.WriteString(html.EscapeString(text)) }

// n writes a number.
func (b *htmlBuf) n(v int64) { b.Write(strconv.AppendInt(b.scratch[:0], v, 10)) }

// postsHTML renders the posts of a thread page into a pooled buffer: the
// markup is valid until the caller releases the buffer, after the page is
// rendered.
func postsHTML(d *threadData, csrfToken func() string) (template.HTML, *htmlBuf) {
	csrf := ""
	if d.CanReact {
		csrf = csrfToken()
	}
	b := htmlBufs.Get().(*htmlBuf)
	// About 1.4 KB a post for a visitor; a member's posts carry the
	// reaction, bookmark and report forms, about twice that.
	per := 1400
	if d.CanReact {
		per = 3200
	}
	b.Grow(per * len(d.Posts.Posts))
	marked := false
	for i := range d.Posts.Posts {
		p := &d.Posts.Posts[i]
		fresh := d.NewAfter > 0 && p.ID > d.NewAfter
		b.s(`<li class="post`)
		if fresh {
			b.s(` post-new`)
		}
		b.s(`" id="post-`)
		b.n(p.ID)
		b.s(`">`)
		if fresh && !marked {
			marked = true
			b.s(`<p class="new-since" id="new">New since your last visit</p>`)
		}
		b.s(`<article aria-labelledby="post-`)
		b.n(p.ID)
		b.s(`-by"><header class="post-head"><p id="post-`)
		b.n(p.ID)
		b.s(`-by" class="post-author">`)
		if p.Anonymous {
			b.s(`<span class="anon">Anonymous member</span>`)
			if p.Mine {
				b.s(` <span class="hint">(you)</span>`)
			}
		} else {
			// A link only to a profile the viewer may open.
			if p.profileLink {
				b.s(`<a href="/members/`)
				b.t(p.AuthorHandle)
				b.s(`">`)
				b.t(p.AuthorHandle)
				b.s(`</a>`)
			} else {
				b.s(`<span class="author">`)
				b.t(p.AuthorHandle)
				b.s(`</span>`)
			}
			if p.RoleLabel != "" {
				b.s(` <span class="tag">`)
				b.t(p.RoleLabel)
				b.s(`</span>`)
			}
			if p.ClinicianBadge != "" {
				b.s(` <a class="clinician-badge" href="/clinicians/`)
				b.t(p.AuthorHandle)
				b.s(`" title="What was verified">Verified · `)
				b.t(p.ClinicianBadge)
				b.s(`</a>`)
			} else if p.ClinicianStatus == ClinicianVerifiedWhenWritten {
				b.s(` <span class="tag clinician-then" title="A verified clinician when this was written">` + ClinicianWhenWrittenLabel + `</span>`)
			}
		}
		b.s(`</p><p class="meta"><a href="/t/`)
		b.n(p.ThreadID)
		b.s(`?after=`)
		b.n(p.PrevID)
		b.s(`#post-`)
		b.n(p.ID)
		b.s(`" class="permalink">`)
		b.when(p.CreatedAt, d.now, d.loc)
		b.s(`</a>`)
		if p.EditedAt != nil {
			b.s(` · edited`)
		}
		switch p.visibility {
		case "pending":
			b.s(` · <span class="tag">Awaiting review</span>`)
		case "hidden":
			b.s(` · <span class="tag">Hidden by moderators</span>`)
		case "removed":
			b.s(` · <span class="tag">Removed by moderators</span>`)
		}
		b.s(`</p></header>`)
		if p.DeletedAt != nil {
			b.s(`<p class="removed">This post was removed by its author.</p></article></li>`)
			continue
		}
		if p.muted {
			b.s(`<details class="muted-post"><summary>A post from a member you muted</summary>`)
		}
		b.s(`<div class="prose">`)
		b.s(p.BodyHTML) // sanitised by app/markdown when it was written
		b.s(`</div>`)
		// A member reacts through one form per post, a button for each
		// kind sending it to that kind's address (formaction): four
		// forms, each with its own copy of the token, made a member's
		// thread page about 15% bigger (58 KB against 50 KB for 20 posts).
		if d.CanReact {
			b.s(`<form method="post" action="/posts/`)
			b.n(p.ID)
			b.s(`/reactions/`)
			b.t(string(models.ReactionKinds[0]))
			b.s(`"><input type="hidden" name="csrf_token" value="`)
			b.t(csrf)
			b.s(`">`)
		}
		b.s(`<div class="reactions" role="group" aria-label="Reactions">`)
		counts := p.counts()
		for k, kind := range models.ReactionKinds {
			r := struct {
				Kind  models.ReactionKind
				Label string
				Count int
				Mine  bool
			}{kind, kind.Label(), counts[k], p.mine[k]}
			switch {
			case d.CanReact:
				b.s(`<button type="submit" class="reaction" formaction="/posts/`)
				b.n(p.ID)
				b.s(`/reactions/`)
				b.t(string(r.Kind))
				b.s(`" aria-pressed="`)
				b.s(strconv.FormatBool(r.Mine))
				b.s(`">`)
				b.t(r.Label)
				b.s(` <span class="count">`)
				b.n(int64(r.Count))
				b.s(`</span></button>`)
			case r.Count > 0:
				b.s(`<span class="reaction reaction-static">`)
				b.t(r.Label)
				b.s(` <span class="count">`)
				b.n(int64(r.Count))
				b.s(`</span></span>`)
			}
		}
		b.s(`</div>`)
		if d.CanReact {
			b.s(`</form>`)
		}
		edit, revisions := "", p.EditedAt != nil && d.Moderates
		switch {
		case p.Mine && d.Open:
			edit = "mine"
		case !p.Mine && d.Moderates && d.Open:
			edit = "moderator"
		}
		// Only what everyone sees can be reported: a held, hidden or
		// removed post is already with the moderators.
		report := d.SignedIn && !p.Mine && p.visibility == string(models.Visible)
		if edit != "" || revisions || report || d.SignedIn {
			// A div, not a p: the bookmark button is a form.
			b.s(`<div class="post-tools">`)
			if d.SignedIn {
				// Private to the viewer; a toggle, like the reactions.
				b.s(`<form method="post" action="/posts/`)
				b.n(p.ID)
				b.s(`/bookmark" class="inline-form"><input type="hidden" name="csrf_token" value="`)
				b.t(csrf)
				b.s(`"><button type="submit" class="link-button" aria-pressed="`)
				b.s(strconv.FormatBool(p.bookmarked))
				b.s(`">`)
				if p.bookmarked {
					b.s(`Bookmarked`)
				} else {
					b.s(`Bookmark`)
				}
				b.s(`<span class="visually-hidden"> the post from `)
				b.t(web.ExactTime(p.CreatedAt, d.loc))
				b.s(`</span></button></form> `)
			}
			if edit == "mine" {
				b.s(`<a href="/posts/`)
				b.n(p.ID)
				b.s(`/edit">Edit<span class="visually-hidden"> your post from `)
				b.t(web.ExactTime(p.CreatedAt, d.loc))
				b.s(`</span></a> <a href="/posts/`)
				b.n(p.ID)
				b.s(`/delete">Delete<span class="visually-hidden"> your post from `)
				b.t(web.ExactTime(p.CreatedAt, d.loc))
				b.s(`</span></a>`)
			} else if edit == "moderator" {
				b.s(`<a href="/posts/`)
				b.n(p.ID)
				b.s(`/edit">Edit as moderator<span class="visually-hidden"> (post from `)
				b.t(web.ExactTime(p.CreatedAt, d.loc))
				b.s(`)</span></a>`)
			}
			if revisions {
				b.s(` <a href="/posts/`)
				b.n(p.ID)
				b.s(`/revisions">Earlier versions<span class="visually-hidden"> of the post from `)
				b.t(web.ExactTime(p.CreatedAt, d.loc))
				b.s(`</span></a>`)
			}
			if report {
				b.s(` <a href="/report?kind=post&amp;id=`)
				b.n(p.ID)
				b.s(`" class="report-link">Report<span class="visually-hidden"> the post from `)
				b.t(web.ExactTime(p.CreatedAt, d.loc))
				b.s(`</span></a>`)
			}
			b.s(`</div>`)
		}
		if p.muted {
			b.s(`</details>`)
		}
		b.s(`</article></li>`)
	}
	return b.pooledHTML(), b
}

// threadsHTML renders the thread list of a forum page.
func threadsHTML(rows []ThreadRow, now time.Time, loc *time.Location) template.HTML {
	var b htmlBuf
	b.Grow(400 * len(rows))
	for i := range rows {
		r := &rows[i]
		b.s(`<li class="thread-row"><h3><a href="/t/`)
		b.n(r.ID)
		b.s(`">`)
		b.t(r.Title)
		b.s(`</a></h3><p class="meta">`)
		if r.New {
			b.s(`<span class="tag tag-new">New</span> `)
		} else if r.Unread > 0 {
			b.s(`<a class="tag tag-new" href="/t/`)
			b.n(r.ID)
			b.s(`/new">`)
			b.n(int64(r.Unread))
			b.s(` new<span class="visually-hidden"> `)
			if r.Unread == 1 {
				b.s(`reply`)
			} else {
				b.s(`replies`)
			}
			b.s(` in “`)
			b.t(r.Title)
			b.s(`”</span></a> `)
		}
		if r.Pinned {
			b.s(`<span class="tag">Pinned</span> `)
		}
		if r.State == "locked" {
			b.s(`<span class="tag">Locked</span> `)
		}
		if r.HasClinicianAnswer {
			b.s(`<span class="tag tag-clinician">Clinician answered</span> `)
		}
		b.s(`Started by `)
		if r.Anonymous {
			b.s(`<span class="anon">Anonymous member</span>`)
		} else if r.profileLink {
			b.s(`<a href="/members/`)
			b.t(r.AuthorHandle)
			b.s(`">`)
			b.t(r.AuthorHandle)
			b.s(`</a>`)
		} else {
			b.t(r.AuthorHandle)
		}
		b.s(` · `)
		b.n(int64(r.ReplyCount))
		if r.ReplyCount == 1 {
			b.s(` reply`)
		} else {
			b.s(` replies`)
		}
		if r.ForumName != "" {
			b.s(` in <a href="/f/`)
			b.t(r.ForumSlug)
			b.s(`">`)
			b.t(r.ForumName)
			b.s(`</a>`)
		}
		b.s(` · last activity `)
		b.when(r.LastPostAt, now, loc)
		b.s(`</p>`)
		if len(r.Tags) > 0 {
			b.s(`<ul class="tags" aria-label="Tags">`)
			for _, tag := range r.Tags {
				b.s(`<li><a class="tag" href="/search?tag=`)
				b.t(url.QueryEscape(tag))
				b.s(`">`)
				b.t(tag)
				b.s(`</a></li>`)
			}
			b.s(`</ul>`)
		}
		b.s(`</li>`)
	}
	return template.HTML(b.String()) // every part above is escaped or constant
}
