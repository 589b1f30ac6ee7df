package web

import (
	"html/template"
	"time"

	"github.com/labstack/echo/v4"
)

// Notice is an announcement as a page shows it (app/outreach decides who
// sees which).
type Notice struct {
	ID          int64
	Title       string
	BodyHTML    template.HTML // rendered by app/markdown when it was saved
	Banner      bool          // urgent: shown on every page, cannot be dismissed
	HealthAlert bool
	Dismissible bool
	Forum       string // the forum it was written for ("" site-wide)
	Ends        time.Time
	Links       []NoticeLink // its campaign's links, through the counting redirect
}

// NoticeLink is a campaign link under an announcement.
type NoticeLink struct {
	Title, Href string
}

// Notices are the announcements of one page: banners on every page,
// cards on the home and forum pages.
type Notices struct {
	Banners, Cards []Notice
	// More running for the viewer than the page shows (a page shows a
	// few; /announcements lists them all), and cards the viewer hid.
	MoreBanners, MoreCards, Hidden int
}

// Any reports whether the page shows an announcement.
func (n Notices) Any() bool { return len(n.Banners)+len(n.Cards) > 0 }

// NoticeSource finds the announcements a request's page shows (app/outreach
// implements it; app/server plugs it in). It is asked at most once per
// page, and only by pages that render the layout.
type NoticeSource interface {
	Notices(c echo.Context) Notices
}

// SetNotices plugs in where pages find their announcements.
func (r *Renderer) SetNotices(s NoticeSource) { r.notices = s }

// Announcements are the page's announcements, found on first use.
func (p *Page) Announcements() Notices {
	if p.noticesDone || p.noticeSource == nil || p.ctx == nil {
		return p.notices
	}
	p.noticesDone = true
	p.notices = p.noticeSource.Notices(p.ctx)
	return p.notices
}
