package export

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"
	"time"

	"github.com/kindred-health/kindred/app/storage"
)

// section is one kind of data: a JSON file in the archive and a table in
// README.html, from one query with the member's id as @me.
type section struct {
	File  string // json/<File>.json
	Title string
	About string
	SQL   string
}

// sections is everything Kindred holds about a member, as they may see it.
// What belongs to others stays out: other members' e-mail addresses and
// anonymous identities, reports about the member filed by others and who
// filed them, staff-only notes, moderators' names in decisions.
var sections = []section{
	{"account", "Your account", "Your handle, e-mail address, role and settings of the account itself.",
		`SELECT id, handle, email, email_verified_at, pending_email AS unconfirmed_email, role, status, suspended_until,
		 profile_visibility, time_zone, language, region, reviewer, sso_only AS organisation_sign_in_only, created_at, updated_at
		 FROM users WHERE id = @me`},
	{"sign_in_methods", "Sign-in methods", "External accounts you sign in with (the provider's id for you, never a secret).",
		`SELECT provider, issuer, subject, created_at, last_used_at FROM identities WHERE user_id = @me ORDER BY id`},
	{"sessions", "Sessions", "Browsers signed in to your account (never the session secret).",
		`SELECT created_at, last_seen_at, expires_at, authenticated_at AS last_confirmed_at, ip, user_agent FROM sessions WHERE user_id = @me ORDER BY id`},
	{"api_tokens", "API tokens", "Your personal API tokens (name and use; never the token itself).",
		`SELECT name, scope, created_at, last_used_at, expires_at FROM api_tokens WHERE user_id = @me ORDER BY id`},
	{"email_preferences", "E-mail preferences", "How often Kindred e-mails you about each kind of notification.",
		`SELECT category, mode, updated_at FROM email_preferences WHERE user_id = @me ORDER BY category`},
	{"message_settings", "Message settings", "Who may start a private conversation with you.",
		`SELECT accept, updated_at FROM message_settings WHERE user_id = @me`},
	{"clinician_settings", "Clinician settings", "Whether you take private questions, and how many.",
		`SELECT accepting_questions, max_open_questions, generalist, paused_at, updated_at FROM clinician_settings WHERE user_id = @me`},
	{"forum_memberships", "Forums you joined", "",
		`SELECT f.slug, f.name AS forum, m.joined_at FROM forum_members m JOIN forums f ON f.id = m.forum_id WHERE m.user_id = @me ORDER BY m.joined_at`},
	{"forum_follows", "Forums you follow", "",
		`SELECT f.slug, f.name AS forum, ff.created_at FROM forum_follows ff JOIN forums f ON f.id = ff.forum_id WHERE ff.user_id = @me ORDER BY ff.created_at`},
	{"thread_follows", "Threads you follow", "",
		`SELECT t.id AS thread_id, t.title AS thread_title, tf.created_at FROM thread_follows tf JOIN threads t ON t.id = tf.thread_id WHERE tf.user_id = @me ORDER BY tf.created_at`},
	{"member_follows", "Members you follow", "",
		`SELECT u.handle, mf.created_at FROM member_follows mf JOIN users u ON u.id = mf.followed_id WHERE mf.user_id = @me ORDER BY mf.created_at`},
	{"mutes", "Members you muted", "",
		`SELECT u.handle, m.created_at FROM mutes m JOIN users u ON u.id = m.muted_id WHERE m.user_id = @me ORDER BY m.created_at`},
	{"threads", "Threads you started", `Anonymous threads are marked "anonymous": true; nobody but admins can see they are yours.`,
		`SELECT t.id, f.name AS forum, t.title, t.anonymous, t.state, t.visibility, array_to_string(t.tags, ', ') AS tags, t.reply_count, t.created_at
		 FROM threads t JOIN forums f ON f.id = t.forum_id WHERE t.author_id = @me ORDER BY t.id`},
	{"posts", "Your posts", `Every post and reply you wrote, anonymous ones included ("anonymous": true). A deleted post's text is in its revisions.`,
		`SELECT p.id, p.thread_id, t.title AS thread_title, f.name AS forum, p.anonymous, p.visibility, p.body, p.created_at, p.edited_at, p.deleted_at
		 FROM posts p JOIN threads t ON t.id = p.thread_id JOIN forums f ON f.id = t.forum_id WHERE p.author_id = @me ORDER BY p.id`},
	{"post_revisions", "Earlier versions of your posts", "The text of each post before every edit or deletion.",
		`SELECT r.post_id, r.reason AS kind, r.body, r.created_at, (r.editor_id = @me) AS changed_by_you
		 FROM post_revisions r JOIN posts p ON p.id = r.post_id WHERE p.author_id = @me ORDER BY r.id`},
	{"reactions", "Your reactions", "",
		`SELECT r.post_id, t.title AS thread_title, r.kind, r.created_at FROM reactions r JOIN posts p ON p.id = r.post_id JOIN threads t ON t.id = p.thread_id
		 WHERE r.user_id = @me ORDER BY r.created_at`},
	{"bookmarks", "Bookmarks", "Posts you saved, with your notes.",
		`SELECT b.post_id, t.title AS thread_title, b.note, b.remind_at, b.reminded_at, b.created_at
		 FROM bookmarks b JOIN posts p ON p.id = b.post_id JOIN threads t ON t.id = p.thread_id WHERE b.user_id = @me ORDER BY b.id`},
	{"drafts", "Drafts", "Unsent threads and replies.",
		`SELECT d.id, d.thread_id, t.title AS thread_title, f.name AS forum, d.title, d.body, d.updated_at
		 FROM drafts d LEFT JOIN threads t ON t.id = d.thread_id LEFT JOIN forums f ON f.id = d.forum_id WHERE d.user_id = @me ORDER BY d.id`},
	{"thread_reads", "Where you stopped reading", "",
		`SELECT r.thread_id, t.title AS thread_title, r.last_read_post_id, r.read_at FROM thread_reads r JOIN threads t ON t.id = r.thread_id WHERE r.user_id = @me ORDER BY r.read_at`},
	{"conversations", "Private conversations", "Conversations with members and with the moderation team. Other people are named by their handle only.",
		`SELECT c.id, c.kind, c.subject, c.created_at, c.last_message_at,
		 CASE WHEN c.kind = 'moderators' THEN 'the moderation team'
		      ELSE coalesce((SELECT string_agg(u.handle, ', ') FROM conversation_members cm JOIN users u ON u.id = cm.user_id
		                     WHERE cm.conversation_id = c.id AND cm.user_id <> @me), 'a former member') END AS with_whom
		 FROM conversations c WHERE c.id IN (` + myConversations + `) ORDER BY c.id`},
	{"messages", "Private messages", `Every message of your conversations: yours ("you") and those written to you, named by handle (moderators as "the moderation team").`,
		`SELECT m.conversation_id, m.id, CASE WHEN m.author_id = @me AND NOT m.as_moderator THEN 'you' WHEN m.as_moderator THEN 'the moderation team'
		      ELSE coalesce(u.handle, 'a former member') END AS author, m.body, m.created_at
		 FROM messages m LEFT JOIN users u ON u.id = m.author_id WHERE m.conversation_id IN (` + myConversations + `) ORDER BY m.id`},
	{"questions", "Your private questions", "Questions you asked clinicians privately.",
		`SELECT q.id, f.name AS forum, coalesce(sp.label, '') AS specialty, q.title, q.body, q.status, q.rating, q.published_thread_id,
		 q.created_at, q.answered_at, q.closed_at, q.updated_at
		 FROM questions q JOIN forums f ON f.id = q.forum_id LEFT JOIN specialties sp ON sp.code = q.specialty WHERE q.asker_id = @me ORDER BY q.id`},
	{"question_messages", "Conversations of your private questions", `Your messages ("you") and the clinicians' answers, named by handle.`,
		`SELECT m.question_id, m.id, CASE WHEN m.author_id = @me THEN 'you' ELSE coalesce(u.handle, 'a former member') || ' (clinician)' END AS author,
		 m.info_request AS asks_for_information, m.body, m.created_at
		 FROM question_messages m JOIN questions q ON q.id = m.question_id LEFT JOIN users u ON u.id = m.author_id WHERE q.asker_id = @me ORDER BY m.id`},
	{"question_timelines", "Timelines of your private questions", "Every change of status of your questions.",
		`SELECT e.question_id, e.kind, e.status, e.created_at FROM question_events e JOIN questions q ON q.id = e.question_id WHERE q.asker_id = @me ORDER BY e.id`},
	{"answers_written", "Messages you wrote as a clinician", "Your own messages in other members' private questions (their questions stay theirs and are not included).",
		`SELECT m.question_id, m.info_request AS asks_for_information, m.body, m.created_at
		 FROM question_messages m JOIN questions q ON q.id = m.question_id WHERE m.author_id = @me AND q.asker_id <> @me ORDER BY m.id`},
	{"question_offers", "Questions offered to you as a clinician", "",
		`SELECT question_id, offered_at, respond_by, outcome, decided_at, reason AS your_reason FROM question_offers WHERE clinician_id = @me ORDER BY id`},
	{"reports", "Reports you made", "What you reported and what came of it.",
		`SELECT id, target_kind, target_id, reason, note AS your_note, status, resolution, created_at, resolved_at FROM reports WHERE reporter_id = @me ORDER BY id`},
	{"moderation_decisions", "Moderation decisions about you", "Removals, hiding, warnings, suspensions and bans, with the reason you were given.",
		`SELECT id, action, target_kind, target_id, reason, created_at FROM moderation_actions
		 WHERE author_id = @me AND outcome = 'applied' AND action IN ('remove', 'hide', 'restore', 'warn', 'suspend', 'ban') ORDER BY id`},
	{"appeals", "Your appeals", "",
		`SELECT id, action_id, text, status, decision_reason, created_at, decided_at FROM appeals WHERE member_id = @me ORDER BY id`},
	{"notifications", "Notifications", "",
		`SELECT n.id, n.kind, coalesce(a.handle, '') AS from_member, coalesce(t.title, '') AS thread_title, n.message, n.created_at, n.read_at
		 FROM notifications n LEFT JOIN users a ON a.id = n.actor_id LEFT JOIN threads t ON t.id = n.thread_id WHERE n.user_id = @me ORDER BY n.id`},
	{"credentials", "Clinician credential applications", "Your applications and their decisions; each proof document is in documents/.",
		`SELECT id, profession, array_to_string(specialties, ', ') AS specialties, licence_number, jurisdiction, licence_expires, status, reason,
		 submitted_at, reviewed_at, verified_until, ended_at, document_type, document_size,
		 CASE WHEN document_file IS NOT NULL AND document_deleted_at IS NULL THEN 'documents/credential-' || id ELSE '' END AS document_in_archive
		 FROM credentials WHERE user_id = @me ORDER BY id`},
	{"images", "Images you uploaded", "Each image is in images/.",
		`SELECT i.id, f.name AS forum, i.width, i.height, i.bytes, i.content_type, i.created_at, 'images/' || i.key AS file_in_archive
		 FROM images i JOIN forums f ON f.id = i.forum_id WHERE i.uploader_id = @me ORDER BY i.id`},
	{"announcement_dismissals", "Announcements you hid", "Announcements you chose not to see again on your pages.",
		`SELECT d.announcement_id, a.title, d.created_at FROM announcement_dismissals d JOIN announcements a ON a.id = d.announcement_id
		 WHERE d.user_id = @me ORDER BY d.created_at, d.announcement_id`},
	{"exports", "Your earlier data exports", "",
		`SELECT id, status, created_at, ready_at, downloaded_at, expires_at FROM exports WHERE user_id = @me ORDER BY id`},
}

// myConversations: member conversations the member is in, and their own
// conversations with the moderation team (not the ones a moderator sat
// in about someone else).
const myConversations = `SELECT cm.conversation_id FROM conversation_members cm JOIN conversations c2 ON c2.id = cm.conversation_id
	WHERE cm.user_id = @me AND c2.kind = 'member' UNION SELECT c3.id FROM conversations c3 WHERE c3.kind = 'moderators' AND c3.member_id = @me`

// table is a section's rows, in column order.
type table struct {
	section
	Columns []string
	Rows    [][]any
}

func (s *Service) query(ctx context.Context, sec section, me int64) (*table, error) {
	rows, err := s.db.Gorm.WithContext(ctx).Raw(sec.SQL, map[string]any{"me": me}).Rows()
	if err != nil {
		return nil, fmt.Errorf("export: %s: %w", sec.File, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	t := &table{section: sec, Columns: cols}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			switch x := v.(type) {
			case []byte:
				vals[i] = string(x)
			case time.Time:
				vals[i] = x.UTC()
			}
		}
		t.Rows = append(t.Rows, vals)
	}
	return t, rows.Err()
}

// consents reads the consent records when that table exists (it comes
// with the consent feature; exports work with or without it).
func (s *Service) consents(ctx context.Context, me int64) (*table, error) {
	var ok bool
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'consents' AND column_name = 'user_id')`).Scan(&ok).Error; err != nil {
		return nil, err
	}
	sec := section{File: "consents", Title: "Consent records", About: "What you agreed to, and when."}
	if !ok {
		return &table{section: sec, Columns: []string{"record"}}, nil
	}
	sec.SQL = `SELECT to_jsonb(c) - 'user_id' AS record FROM consents c WHERE c.user_id = @me ORDER BY 1`
	t, err := s.query(ctx, sec, me)
	if err != nil {
		return nil, err
	}
	for _, r := range t.Rows {
		if str, ok := r[0].(string); ok {
			r[0] = json.RawMessage(str)
		}
	}
	return t, nil
}

// writeArchive writes the ZIP: README.html, json/*.json, documents/ and
// images/, calling progress as it goes (0–95).
func (s *Service) writeArchive(ctx context.Context, w io.Writer, me int64, progress func(int)) error {
	z := zip.NewWriter(w)
	var tables []*table
	steps := len(sections) + 4
	step := func(i int) { progress(2 + 93*i/steps) }
	for i, sec := range sections {
		t, err := s.query(ctx, sec, me)
		if err != nil {
			return err
		}
		tables = append(tables, t)
		step(i + 1)
	}
	ct, err := s.consents(ctx, me)
	if err != nil {
		return err
	}
	tables = append(tables, ct)
	seen, err := s.whoSawAll(ctx, me)
	if err != nil {
		return err
	}
	tables = append(tables, seen)
	step(len(sections) + 1)
	for _, t := range tables {
		fw, err := z.Create("json/" + t.File + ".json")
		if err != nil {
			return err
		}
		if err := writeJSON(fw, t); err != nil {
			return err
		}
	}
	// Files: proof documents and images, streamed from their stores.
	var docs []struct {
		ID           int64
		DocumentFile string
		DocumentType string
	}
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, document_file, coalesce(document_type, '') AS document_type FROM credentials
		WHERE user_id = ? AND document_file IS NOT NULL AND document_deleted_at IS NULL ORDER BY id`, me).Scan(&docs).Error; err != nil {
		return err
	}
	for _, d := range docs {
		if err := copyObject(ctx, z, s.docs, d.DocumentFile, fmt.Sprintf("documents/credential-%d%s", d.ID, extension(d.DocumentType))); err != nil {
			return err
		}
		step(len(sections) + 1) // keeps the builder's lease while files copy
	}
	step(len(sections) + 2)
	var imgs []struct{ Key string }
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT key FROM images WHERE uploader_id = ? ORDER BY id`, me).Scan(&imgs).Error; err != nil {
		return err
	}
	for _, im := range imgs {
		if err := copyObject(ctx, z, s.images, im.Key, "images/"+im.Key); err != nil {
			return err
		}
		step(len(sections) + 2)
	}
	step(len(sections) + 3)
	fw, err := z.Create("README.html")
	if err != nil {
		return err
	}
	if err := writeReadme(fw, tables, s.now()); err != nil {
		return err
	}
	return z.Close()
}

func extension(contentType string) string {
	switch contentType {
	case "application/pdf":
		return ".pdf"
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	}
	return ""
}

// copyObject adds a stored object to the archive; one missing from its
// store (a sweep got there first) is left out.
func copyObject(ctx context.Context, z *zip.Writer, st storage.Store, key, name string) error {
	obj, err := st.Open(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer obj.Close()
	fw, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store}) // already compressed formats
	if err != nil {
		return err
	}
	_, err = io.Copy(fw, obj)
	return err
}

// writeJSON writes {"title":…,"about":…,"items":[{column: value, …}]}
// keeping the columns' order.
func writeJSON(w io.Writer, t *table) error {
	var b bytes.Buffer
	head, _ := json.Marshal(map[string]string{"title": t.Title, "about": t.About})
	b.Write(head[:len(head)-1])
	b.WriteString(`,"items":[`)
	for i, r := range t.Rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n{")
		for j, c := range t.Columns {
			if j > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(c)
			v, err := json.Marshal(r[j])
			if err != nil {
				return fmt.Errorf("export: %s.%s: %w", t.File, c, err)
			}
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
		if b.Len() > 1<<20 {
			if _, err := w.Write(b.Bytes()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	b.WriteString("\n]}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// writeReadme is the readable copy: every section as a table, every value
// escaped.
func writeReadme(w io.Writer, tables []*table, at time.Time) error {
	var b strings.Builder
	e := html.EscapeString
	b.WriteString(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your Kindred data</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:1rem auto;max-width:70rem;padding:0 1rem;color:#1a1a1a}
.wrap{overflow-x:auto;margin:0 0 2rem}table{border-collapse:collapse}th,td{border:1px solid #767676;padding:.25rem .5rem;text-align:left;vertical-align:top;white-space:pre-wrap}
th{background:#f0f0f0}caption{text-align:left;font-weight:bold}</style></head>
<body>
<main>
<h1>Your Kindred data</h1>
<p>Made on ` + e(at.UTC().Format("2 January 2006 at 15:04 UTC")) + `. The same data is in the <code>json</code> folder, one file per section, for other programs;
your proof documents are in <code>documents</code> and your images in <code>images</code>.</p>
<p>It holds what Kindred keeps about you. It leaves out what belongs to other people: their e-mail addresses, who wrote anonymous posts,
reports others made about you and who made them, and the moderators' own notes.</p>
<nav aria-labelledby="contents"><h2 id="contents">Contents</h2><ul>
`)
	for _, t := range tables {
		fmt.Fprintf(&b, "<li><a href=\"#%s\">%s</a> (%d)</li>\n", e(t.File), e(t.Title), len(t.Rows))
	}
	b.WriteString("</ul></nav>\n")
	for _, t := range tables {
		fmt.Fprintf(&b, "<section aria-labelledby=\"%s\">\n<h2 id=\"%s\">%s</h2>\n", e(t.File), e(t.File), e(t.Title))
		if t.About != "" {
			fmt.Fprintf(&b, "<p>%s</p>\n", e(t.About))
		}
		if len(t.Rows) == 0 {
			b.WriteString("<p>Nothing.</p>\n</section>\n")
			continue
		}
		// A wide table scrolls inside a region the keyboard can reach.
		fmt.Fprintf(&b, "<div class=\"wrap\" role=\"region\" tabindex=\"0\" aria-labelledby=\"%s-caption\">\n<table>\n<caption id=\"%s-caption\">%s (json/%s.json)</caption>\n<thead><tr>",
			e(t.File), e(t.File), e(t.Title), e(t.File))
		for _, c := range t.Columns {
			fmt.Fprintf(&b, "<th scope=\"col\">%s</th>", e(strings.ReplaceAll(c, "_", " ")))
		}
		b.WriteString("</tr></thead>\n<tbody>\n")
		for _, r := range t.Rows {
			b.WriteString("<tr>")
			for _, v := range r {
				fmt.Fprintf(&b, "<td>%s</td>", e(cell(v)))
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</tbody>\n</table>\n</div>\n</section>\n")
		if b.Len() > 1<<20 {
			if _, err := io.WriteString(w, b.String()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	b.WriteString("</main>\n</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		return x.Format("2006-01-02 15:04:05 UTC")
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case json.RawMessage:
		return string(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}
