package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kindred-health/kindred/models"
)

// mailItem is a notification as the sender reads it.
type mailItem struct {
	ID           int64
	Kind         string
	Message      string
	CreatedAt    time.Time
	ThreadID     int64
	PostID       int64
	ReplyCount   int // replies a thread's reply row stands for
	MailedCount  int // how many of them an e-mail already told of
	QuestionID   int64
	CredentialID int64
	ReportID     int64
	// ConversationID: news in a private conversation. The e-mail says
	// only that a message arrived, never who wrote it or what.
	ConversationID int64
	ActorHandle    string
	ThreadTitle    string
	ThreadAuthor   int64
	ForumID        int64
	ForumName      string
	Sensitive      bool
	ClinicianOnly  bool
	PostBody       string
	Asker          int64
	// An e-mailed announcement (app/outreach): its current title and
	// Markdown text.
	AnnouncementID int64
	AnnTitle       string
	AnnBody        string
	AnnHTML        string
	AnnLinks       string // "id<TAB>title" lines of its campaign's links
}

// Line is one notification in an e-mail.
type Line struct {
	Text  string // what happened, in a sentence
	Quote string // the post's opening words, only from public forums
	// An announcement's whole text (plain, for the text part; its
	// sanitised HTML for the HTML part) and its campaign's links.
	Full     string
	FullHTML template.HTML
	Links    []LineLink
	Link     string // where to read it (after signing in)
	LinkText string
}

// mailView is what the e-mail templates get.
type mailView struct {
	Heading     string
	Handle      string
	Intro       string
	Lines       []Line
	Groups      []Group
	Settings    string
	Unsubscribe string
	StopWhat    string
	Site        string
}

// Group is several lines about one place ("5 new replies in …").
type Group struct {
	Heading string
	Lines   []Line
}

// Send renders and sends one e-mail, after checking again: the address is
// verified and not suppressed, each notification is still unread and
// visible, and the recipient may still read its forum. Nothing left means
// no e-mail.
func (m *Mail) Send(ctx context.Context, a MailArgs) error {
	var u struct {
		ID              int64
		Handle          string
		Email           *string
		EmailVerifiedAt *time.Time
		Status          string
		Suppressed      bool
	}
	err := m.db.Gorm.WithContext(ctx).Raw(`SELECT u.id, u.handle, u.email, u.email_verified_at, u.status,
		EXISTS (SELECT 1 FROM email_suppressions s WHERE s.address = lower(u.email)) AS suppressed
		FROM users u WHERE u.id = ?`, a.UserID).Scan(&u).Error
	if err != nil {
		return fmt.Errorf("notify: mail recipient: %w", err)
	}
	if u.ID == 0 || u.Email == nil || u.EmailVerifiedAt == nil || u.Suppressed || len(a.IDs) == 0 {
		return nil
	}
	active := u.Status == string(models.StatusActive)
	actor, err := m.actor(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("notify: mail recipient: %w", err)
	}
	var items []mailItem
	err = m.db.Gorm.WithContext(ctx).Raw(`SELECT n.id, n.kind, n.message, n.created_at, coalesce(n.thread_id, 0) AS thread_id, coalesce(n.post_id, 0) AS post_id, n.reply_count, n.mailed_count,
		coalesce(n.question_id, 0) AS question_id, coalesce(n.credential_id, 0) AS credential_id, coalesce(n.report_id, 0) AS report_id,
		coalesce(n.conversation_id, 0) AS conversation_id, coalesce(a.handle, '') AS actor_handle, coalesce(t.title, '') AS thread_title, coalesce(t.author_id, 0) AS thread_author,
		coalesce(f.id, 0) AS forum_id, coalesce(f.name, '') AS forum_name, coalesce(f.sensitive, false) AS sensitive,
		coalesce(f.clinician_only, false) AS clinician_only, coalesce(p.body, '') AS post_body, coalesce(q.asker_id, 0) AS asker,
		coalesce(n.announcement_id, 0) AS announcement_id, coalesce(an.title, '') AS ann_title, coalesce(an.body, '') AS ann_body,
		coalesce(an.body_html, '') AS ann_html, coalesce((SELECT string_agg(cl.id::text || E'\t' || cl.title, E'\n' ORDER BY cl.position, cl.id)
			FROM campaign_links cl WHERE cl.campaign_id = an.campaign_id), '') AS ann_links
		FROM notifications n
		LEFT JOIN announcements an ON an.id = n.announcement_id
		LEFT JOIN threads t ON t.id = n.thread_id
		LEFT JOIN forums f ON f.id = coalesce(t.forum_id, n.forum_id)
		LEFT JOIN posts p ON p.id = n.post_id
		LEFT JOIN users a ON a.id = n.actor_id
		LEFT JOIN questions q ON q.id = n.question_id
		WHERE n.id IN ? AND n.user_id = ? AND n.read_at IS NULL
		AND (n.thread_id IS NULL OR t.visibility = 'visible')
		AND (p.id IS NULL OR (p.visibility = 'visible' AND p.deleted_at IS NULL))
		ORDER BY n.id`, a.IDs, u.ID).Scan(&items).Error
	if err != nil {
		return fmt.Errorf("notify: mail items: %w", err)
	}
	var lines []Line
	var groups []Group
	groupAt := map[string]int{}
	var replies []int // per group: how many replies not yet e-mailed its lines stand for
	var told []mailItem
	for _, it := range items {
		cat := categoryOf(it.Kind, u.ID, it.ThreadAuthor, it.Asker)
		if cat == "" || (!active && cat != "moderation") {
			continue
		}
		if a.Category != "" && cat != a.Category {
			continue
		}
		public := it.ForumID == 0 || (!it.Sensitive && !it.ClinicianOnly)
		if it.ForumID != 0 && (it.ThreadID != 0 || it.AnnouncementID != 0) {
			f := models.Forum{ID: it.ForumID, Sensitive: it.Sensitive, ClinicianOnly: it.ClinicianOnly}
			if !actor.MayReadForum(&f) {
				continue // they lost access since: not even that something happened
			}
		}
		l := m.line(it, u.ID, public, active)
		if it.ThreadID != 0 && (it.Kind == models.NotifyReply) {
			if it.MailedCount >= it.ReplyCount {
				// An e-mail sent since this job was queued already told
				// of all of the row's replies (rows keep their id).
				continue
			}
			// Replies gather under their thread, named only where it is public.
			key := strconv.FormatInt(it.ThreadID, 10)
			i, ok := groupAt[key]
			if !ok {
				heading := "In a thread you follow"
				if it.ThreadAuthor == u.ID {
					heading = "In a thread you started"
				}
				if public {
					heading = "In “" + it.ThreadTitle + "”"
				}
				groups = append(groups, Group{Heading: heading})
				replies = append(replies, 0)
				i = len(groups) - 1
				groupAt[key] = i
			}
			groups[i].Lines = append(groups[i].Lines, l)
			replies[i] += max(it.ReplyCount-it.MailedCount, 1)
			told = append(told, it)
			continue
		}
		lines = append(lines, l)
	}
	n := len(lines)
	for i := range groups {
		n += replies[i]
		if c := replies[i]; c > 1 {
			groups[i].Heading += " (" + strconv.Itoa(c) + " new replies)"
		}
	}
	if n == 0 {
		return nil
	}
	urgent := false
	for _, it := range items {
		urgent = urgent || it.Kind == models.NotifyAnnouncementUrgent
	}
	v := mailView{Handle: u.Handle, Lines: lines, Groups: groups, Settings: m.base + "/account/notifications", Site: m.base}
	var subject, stop string
	if a.Digest != "" {
		word := "daily"
		if a.Digest == ModeWeekly {
			word = "weekly"
		}
		subject = fmt.Sprintf("Your %s Kindred summary: %d %s", word, n, plural(n, "update", "updates"))
		v.Intro = "Here is what happened since your last " + word + " summary."
		stop = "digest-" + a.Digest
		v.StopWhat = "every " + word + " summary"
	} else {
		c, _ := CategoryByKey(a.Category)
		subject = c.Subject
		if n > 1 {
			subject += fmt.Sprintf(" (%d)", n)
		}
		v.Intro = "Something happened on Kindred that you asked to hear about."
		if urgent {
			// Labelled in the subject and the first line: it came at once,
			// past the member's summary setting.
			subject = "URGENT HEALTH ALERT from Kindred"
			v.Intro = "This is an urgent health alert. Kindred sends these at once, even when you chose a summary for announcements."
		}
		stop = a.Category
		v.StopWhat = "e-mails about: " + strings.ToLower(c.Label[:1]) + c.Label[1:]
	}
	v.Heading = subject
	v.Unsubscribe = m.UnsubscribeURL(u.ID, stop)
	var text, html bytes.Buffer
	if err := m.text.Execute(&text, v); err != nil {
		return fmt.Errorf("notify: render: %w", err)
	}
	if err := m.html.Execute(&html, v); err != nil {
		return fmt.Errorf("notify: render: %w", err)
	}
	err = m.sender.SendMessage(ctx, Message{To: *u.Email, Subject: subject, Text: text.String(), HTML: html.String(), Headers: map[string]string{
		"List-Unsubscribe":      "<" + v.Unsubscribe + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"Auto-Submitted":        "auto-generated",
	}})
	if err != nil {
		return err
	}
	// A thread's row gathers replies after this e-mail: the next one
	// counts only those.
	for _, it := range told {
		if err := m.db.Gorm.WithContext(ctx).Exec(`UPDATE notifications SET mailed_count = greatest(mailed_count, ?) WHERE id = ?`,
			it.ReplyCount, it.ID).Error; err != nil {
			return fmt.Errorf("notify: mail sent, count not kept: %w", err)
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// quoteLen is how much of a public post an e-mail quotes.
const quoteLen = 280

// excerpt is the opening of a post as one line of plain text.
func excerpt(body string) string {
	s := strings.Join(strings.Fields(body), " ")
	if utf8.RuneCountInString(s) <= quoteLen {
		return s
	}
	r := []rune(s)[:quoteLen]
	return strings.TrimSpace(string(r)) + "…"
}

// line says what one notification is about. Text from a sensitive or
// clinician-only forum, from a private question, a thread's title there,
// a forum's name and who wrote there never appear: only that something
// happened, with a link that asks the reader to sign in.
func (m *Mail) line(it mailItem, recipient int64, public, active bool) Line {
	who := it.ActorHandle
	if who == "" {
		who = "An anonymous member"
	}
	post := m.base + "/posts/" + strconv.FormatInt(it.PostID, 10)
	q := strconv.FormatInt(it.QuestionID, 10)
	switch it.Kind {
	case models.NotifyReply:
		if !public {
			return Line{Text: "Someone replied.", Link: post, LinkText: "Read the reply"}
		}
		return Line{Text: who + " replied.", Quote: excerpt(it.PostBody), Link: post, LinkText: "Read the reply"}
	case models.NotifyMention:
		if !public {
			return Line{Text: "Someone mentioned you in a thread.", Link: post, LinkText: "Read the post"}
		}
		return Line{Text: who + " mentioned you in “" + it.ThreadTitle + "”.", Quote: excerpt(it.PostBody), Link: post, LinkText: "Read the post"}
	case models.NotifyNewThread:
		if !public {
			return Line{Text: "A new thread was started in a forum you follow.", Link: post, LinkText: "Read the thread"}
		}
		return Line{Text: who + " started “" + it.ThreadTitle + "” in " + it.ForumName + ".", Quote: excerpt(it.PostBody), Link: post, LinkText: "Read the thread"}
	case models.NotifyBookmarkReminder:
		if !public {
			return Line{Text: "You asked to be reminded of a post you bookmarked.", Link: post, LinkText: "Open the post"}
		}
		return Line{Text: "You asked to be reminded of a post you bookmarked in “" + it.ThreadTitle + "”.", Link: post, LinkText: "Open the post"}
	case models.NotifyModerationWarning:
		link, linkText := m.base+"/my/moderation", "See the decisions about you, and appeal"
		if !active {
			link, linkText = m.base+"/appeal", "Appeal"
		}
		if !public {
			return Line{Text: "A moderator made a decision about something you posted in a members-only forum. The details stay on Kindred.", Link: link, LinkText: linkText}
		}
		return Line{Text: "From the moderators: " + it.Message, Link: link, LinkText: linkText}
	case models.NotifyMessage:
		return Line{Text: "You have a new private message. It stays on Kindred: sign in to read it.", Link: m.base + "/messages/" + strconv.FormatInt(it.ConversationID, 10), LinkText: "Read the message"}
	case models.NotifyAnnouncement, models.NotifyAnnouncementUrgent:
		link := m.base + "/announcements/" + strconv.FormatInt(it.AnnouncementID, 10)
		label := "Announcement: "
		if it.Kind == models.NotifyAnnouncementUrgent {
			label = "URGENT HEALTH ALERT: "
		}
		if !public {
			// Written for a members-only or clinicians' forum: said on the site only.
			return Line{Text: label + "there is a new announcement in a forum you belong to.", Link: link, LinkText: "Read the announcement"}
		}
		return Line{Text: label + it.AnnTitle, Full: HTMLText(it.AnnHTML), FullHTML: annHTML(it.AnnHTML), Links: m.annLinks(it.AnnLinks),
			Link: link, LinkText: "Read the announcement on Kindred"}
	case models.NotifyReportResolved:
		return Line{Text: "A moderator decided on something you reported.", Link: m.base + "/my/reports", LinkText: "See the outcome"}
	case models.NotifyQuestionsPaused:
		return Line{Text: it.Message, Link: m.base + "/clinician", LinkText: "Open your clinician settings"}
	case models.NotifyQuestionWaiting:
		return Line{Text: "A private question has waited too long for a clinician.", Link: m.base + "/admin/questions", LinkText: "See the overview"}
	case models.NotifyCredentialSubmitted:
		return Line{Text: "A member applied for a clinician badge.", Link: m.base + "/review/credentials/" + strconv.FormatInt(it.CredentialID, 10), LinkText: "Review the application"}
	}
	if it.QuestionID != 0 {
		texts := map[string]string{
			models.NotifyQuestionOffered:  "A private question was offered to you: accept or decline it.",
			models.NotifyQuestionStatus:   "Your private question has news.",
			models.NotifyQuestionMessage:  "There is a new message in a private question.",
			models.NotifyQuestionClosed:   "A private question offered to you or held by you was closed or withdrawn.",
			models.NotifyQuestionReopened: "A member reopened a private question you answered.",
			models.NotifyQuestionConsent:  "The clinician agreed that you may publish your question anonymously.",
			models.NotifyQuestionPool:     "A private question you can take is waiting in the pool.",
			models.NotifyQuestionUrgent:   "An urgent private question you can take is waiting: the first clinician to take it answers.",
			models.NotifyQuestionRemind:   "A private question you hold is due for an answer soon.",
			models.NotifyQuestionMoved:    "A private question you were offered or held has moved on to another clinician.",
		}
		text := texts[it.Kind]
		if text == "" {
			text = "There is news about a private question."
		}
		link := m.base + "/questions/" + q
		if it.Asker != recipient {
			link = m.base + "/clinician/questions?offer=" + q
		}
		return Line{Text: text, Link: link, LinkText: "Open the question"}
	}
	texts := map[string]string{
		models.NotifyCredentialApproved: "Your clinician verification was approved: your posts now show the badge.",
		models.NotifyCredentialRejected: "Your clinician application was not approved.",
		models.NotifyCredentialRevoked:  "Your clinician verification was revoked.",
		models.NotifyCredentialExpired:  "Your clinician verification has expired: you may apply again.",
		models.NotifyCredentialExpiring: "Your clinician verification ends within 30 days: renew it now.",
	}
	if t, ok := texts[it.Kind]; ok {
		return Line{Text: t, Link: m.base + "/clinician", LinkText: "See your verification"}
	}
	return Line{Text: "You have a new notification.", Link: m.base + "/notifications", LinkText: "Open your notifications"}
}

// unsubscribeMAC signs (member, what): the link works without signing in,
// for that member and that category (or digest) only.
func (m *Mail) unsubscribeMAC(userID int64, what string) string {
	h := hmac.New(sha256.New, m.secret)
	h.Write([]byte("kindred-unsubscribe\x00" + strconv.FormatInt(userID, 10) + "\x00" + what))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// UnsubscribeURL is the one-click link for a category or "digest-daily" /
// "digest-weekly".
func (m *Mail) UnsubscribeURL(userID int64, what string) string {
	v := url.Values{"u": {strconv.FormatInt(userID, 10)}, "c": {what}, "t": {m.unsubscribeMAC(userID, what)}}
	return m.base + "/email/unsubscribe?" + v.Encode()
}

// Unsubscription is a checked unsubscribe link.
type Unsubscription struct {
	UserID int64
	What   string // a category key or digest-daily / digest-weekly
	Label  string
}

// CheckUnsubscribe verifies a link's parameters.
func (m *Mail) CheckUnsubscribe(u, what, token string) (Unsubscription, bool) {
	id, err := strconv.ParseInt(u, 10, 64)
	if err != nil || id <= 0 {
		return Unsubscription{}, false
	}
	if !hmac.Equal([]byte(token), []byte(m.unsubscribeMAC(id, what))) {
		return Unsubscription{}, false
	}
	switch what {
	case "digest-daily":
		return Unsubscription{id, what, "the daily summary"}, true
	case "digest-weekly":
		return Unsubscription{id, what, "the weekly summary"}, true
	}
	c, ok := CategoryByKey(what)
	if !ok {
		return Unsubscription{}, false
	}
	return Unsubscription{id, what, c.Label}, true
}

// Unsubscribe turns the e-mail off: a category to "never", or for a
// digest every category sent in that digest.
func (m *Mail) Unsubscribe(ctx context.Context, s Unsubscription) error {
	modes := map[string]string{}
	if period, ok := strings.CutPrefix(s.What, "digest-"); ok {
		cur, err := m.Preferences(ctx, s.UserID)
		if err != nil {
			return err
		}
		for k, v := range cur {
			if v == period {
				modes[k] = ModeNever
			}
		}
	} else {
		modes[s.What] = ModeNever
	}
	return m.SetPreferences(ctx, s.UserID, modes)
}
