package outreach

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/models"
)

// AnnouncementForm is what staff send (page form or JSON).
type AnnouncementForm struct {
	Title       string `json:"title"`
	Body        string `json:"body"`
	Scope       string `json:"scope"`
	Audience    string `json:"audience"`
	Forum       string `json:"forum"` // the forum's slug: the scope "forum" and the audience "forum_members" need one
	Priority    string `json:"priority"`
	HealthAlert bool   `json:"health_alert"`
	Email       bool   `json:"email"`
	StartsAt    string `json:"starts_at"` // RFC 3339; pages send the author's local time (datetime-local)
	EndsAt      string `json:"ends_at"`
	CampaignID  int64  `json:"campaign_id"`
}

// Values is the form as page fields, to show it again.
func (f AnnouncementForm) Values() map[string]string {
	b := func(v bool) string {
		if v {
			return "on"
		}
		return ""
	}
	c := ""
	if f.CampaignID != 0 {
		c = strconv.FormatInt(f.CampaignID, 10)
	}
	return map[string]string{"title": f.Title, "body": f.Body, "scope": f.Scope, "audience": f.Audience, "forum": f.Forum,
		"priority": f.Priority, "health_alert": b(f.HealthAlert), "email": b(f.Email), "starts_at": f.StartsAt, "ends_at": f.EndsAt, "campaign_id": c}
}

// LocalLayout is how pages send times (input type=datetime-local), read
// in the author's time zone.
const LocalLayout = "2006-01-02T15:04"

// localLayouts are the local times accepted: the page's datetime-local
// value, with seconds, and the same with a space instead of the "T".
var localLayouts = []string{LocalLayout, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"}

// parseTime reads RFC 3339, or a local time in loc. gap is set (and ok
// false) for a local time that does not exist in loc, such as 02:30 on
// the night the clocks go forward: it is refused, never moved.
func parseTime(v string, loc *time.Location) (t time.Time, ok, gap bool) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true, false
	}
	if loc != nil {
		for _, layout := range localLayouts {
			if t, err := time.ParseInLocation(layout, v, loc); err == nil {
				// Go moves a time in a gap; it then reads differently.
				if t.Format(layout) != v {
					return time.Time{}, false, true
				}
				return t, true, false
			}
		}
	}
	return time.Time{}, false, false
}

// gapMessage says a local time falls in the hour the clocks skip.
func gapMessage(v string, loc *time.Location) string {
	return strings.TrimSpace(v) + " does not exist in " + loc.String() + ": the clocks go forward then. Choose a time before or after the jump."
}

// checkLine checks a one-line field: the input rules, then the length.
func checkLine(verr *models.ValidationError, field, v string, max int, what string) string {
	v = strings.TrimSpace(v)
	if msg := input.Check(field, v); msg != "" {
		verr.Add(field, msg)
		return v
	}
	switch n := utf8.RuneCountInString(v); {
	case n == 0:
		verr.Add(field, "Write "+what+".")
	case n > max:
		verr.Add(field, "Keep "+what+" to "+strconv.Itoa(max)+" characters (this has "+strconv.Itoa(n)+").")
	}
	return v
}

// checkPeriod reads a start and an end: both given, the end after the
// start, within limits.
func checkPeriod(verr *models.ValidationError, startV, endV string, loc *time.Location, now time.Time, maxLen time.Duration, what string) (time.Time, time.Time) {
	start, okS, gapS := parseTime(startV, loc)
	end, okE, gapE := parseTime(endV, loc)
	inRange := func(t time.Time) bool { return t.Year() >= 2000 && t.Year() <= 9999 }
	switch {
	case gapS:
		verr.Add("starts_at", "The start "+gapMessage(startV, loc))
	case !okS || !inRange(start):
		verr.Add("starts_at", "Give the start as a date and time (for example 2026-03-01 09:00).")
	}
	switch {
	case gapE:
		verr.Add("ends_at", "The end "+gapMessage(endV, loc))
	case !okE || !inRange(end):
		verr.Add("ends_at", "Give the end as a date and time (for example 2026-03-08 18:00).")
	}
	if !okS || !okE || !inRange(start) || !inRange(end) {
		return start, end
	}
	switch {
	case !end.After(start):
		verr.Add("ends_at", "The end must come after the start.")
	case end.Sub(start) > maxLen:
		article := "A "
		if strings.ContainsAny(what[:1], "aeiou") {
			article = "An "
		}
		verr.Add("ends_at", article+what+" runs at most "+strconv.Itoa(int(maxLen/(24*time.Hour)))+" days.")
	case start.After(now.Add(MaxAhead)):
		verr.Add("starts_at", "The start can be at most a year from now.")
	}
	return start.UTC(), end.UTC()
}

// CampaignForm is what admins send for a campaign.
type CampaignForm struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	StartsAt    string     `json:"starts_at"`
	EndsAt      string     `json:"ends_at"`
	Links       []LinkForm `json:"links"`
	// Threads are thread ids or their addresses (https://…/t/12, /t/12).
	Threads []string `json:"threads"`
}

// LinkForm is one link of a campaign.
type LinkForm struct {
	ID    int64  `json:"id,omitempty"` // an existing link's id (API): it keeps its id and clicks whatever changes
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Values is the form as page fields ("links": one "title | url" a line,
// "threads": one a line).
func (f CampaignForm) Values() map[string]string {
	var links []string
	for _, l := range f.Links {
		links = append(links, l.Title+" | "+l.URL)
	}
	return map[string]string{"name": f.Name, "description": f.Description, "starts_at": f.StartsAt, "ends_at": f.EndsAt,
		"links": strings.Join(links, "\n"), "threads": strings.Join(f.Threads, "\n")}
}

// ParseLinkLines reads the page's "title | https://…" lines; the address
// is what follows the last "|", so a title may hold "|" itself.
func ParseLinkLines(s string) []LinkForm {
	var out []LinkForm
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		// The address is after the last "|": a title may hold one.
		i := strings.LastIndex(line, "|")
		if i < 0 {
			out = append(out, LinkForm{URL: strings.TrimSpace(line)})
			continue
		}
		out = append(out, LinkForm{Title: strings.TrimSpace(line[:i]), URL: strings.TrimSpace(line[i+1:])})
	}
	return out
}

// ParseThreadLines reads the page's one-a-line thread references.
func ParseThreadLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// CheckURL accepts absolute https and http addresses with a host, and
// nothing else (no javascript:, data:, relative or protocol-relative
// links). It returns the address as it will be stored and followed.
func CheckURL(v string) (string, string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", "Give the link's address."
	}
	if len(v) > MaxURL {
		return "", "Keep the address to " + strconv.Itoa(MaxURL) + " characters."
	}
	// The one check for addresses people click (app/input): schemes,
	// credentials, ports, hidden characters, local hosts, lookalike names.
	return input.WebAddress(v)
}

var threadPath = regexp.MustCompile(`^/t/([0-9]{1,18})(?:[/?#].*)?$`)

// ThreadRef reads a thread id from a number, a path (/t/19…) or a full
// address on the site's own host (site: KINDRED_BASE_URL, as
// "https://kindred.example"). It returns 0 when v is none of those, with
// foreign true when v is a thread's address on another host (or with a
// user name, or when no site is known).
func ThreadRef(v, site string) (id int64, foreign bool) {
	v = strings.TrimSpace(v)
	if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
		return id, false
	}
	u, err := url.Parse(v)
	if err != nil {
		return 0, false
	}
	m := threadPath.FindStringSubmatch(u.Path)
	if m == nil {
		return 0, false
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		if !sameSite(u, site) {
			return 0, true
		}
	}
	id, _ = strconv.ParseInt(m[1], 10, 64)
	return id, false
}

// sameSite: u is an http(s) address, without a user name, on the host
// (and port) of site.
func sameSite(u *url.URL, site string) bool {
	base, err := url.Parse(site)
	if err != nil || base.Host == "" || u.User != nil || u.Opaque != "" {
		return false
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	port := func(x *url.URL) string {
		if p := x.Port(); p != "" {
			return p
		}
		if x.Scheme == "https" {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(strings.TrimSuffix(u.Hostname(), "."), strings.TrimSuffix(base.Hostname(), ".")) && port(u) == port(base)
}
