package world

import (
	"context"
	"strings"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/models"
)

// password is every fixture account's password.
const password = "correct horse battery"

// Account creates a confirmed account with a role through auth's
// SeedAccount (the way demo data gets its staff): no role needs SQL.
func (w *World) Account(handle string, role models.Role) *models.User {
	w.T.Helper()
	u, err := w.App.Auth.SeedAccount(context.Background(), handle, handle+"@example.org", password, role)
	if err != nil {
		w.T.Fatalf("world: account %s: %v", handle, err)
	}
	return u
}

// Member creates a confirmed member account.
func (w *World) Member(handle string) *models.User {
	w.T.Helper()
	return w.Account(handle, models.RoleMember)
}

// Moderator creates a global moderator.
func (w *World) Moderator(handle string) *models.User {
	w.T.Helper()
	return w.Account(handle, models.RoleModerator)
}

// Admin is the world's admin, made the first time it is needed: it creates
// forums, reviews applications and hears of questions that wait too long.
func (w *World) Admin() *models.User {
	w.T.Helper()
	if w.admin == nil {
		w.admin = w.Account("site_admin", models.RoleAdmin)
	}
	return w.admin
}

// Forum creates a forum as the admin; edit, if given, changes the form
// first (specialties, sensitivity, moderators by handle, …).
func (w *World) Forum(slug string, edit func(*forums.ForumForm)) *models.Forum {
	w.T.Helper()
	form := forums.ForumForm{Slug: slug, Name: "Forum " + slug, Description: "About " + slug}
	if edit != nil {
		edit(&form)
	}
	f, err := w.App.Forums.SaveForum(context.Background(), w.Actor(w.Admin()), 0, form)
	if err != nil {
		w.T.Fatalf("world: forum %s: %v", slug, err)
	}
	return f
}

// Thread starts a thread in f as author.
func (w *World) Thread(author *models.User, f *models.Forum, title, body string) *models.Thread {
	w.T.Helper()
	th, err := w.App.Forums.CreateThread(context.Background(), w.Actor(author), f, forums.ThreadForm{Title: title, Body: body}, "")
	if err != nil {
		w.T.Fatalf("world: thread %q: %v", title, err)
	}
	return th
}

// Report reports a thread, post or message as reporter.
func (w *World) Report(reporter *models.User, kind string, id int64, reason models.ReportReason) *models.Report {
	w.T.Helper()
	r, err := w.App.Moderation.Report(context.Background(), w.Actor(reporter), moderation.ReportForm{Kind: kind, ID: id, Reason: reason})
	if err != nil {
		w.T.Fatalf("world: %s reports %s %d: %v", reporter.Handle, kind, id, err)
	}
	return r
}

// Jurisdiction is the licensing board every fixture application names,
// added by the admin the first time it is needed.
const Jurisdiction = "test-board"

func (w *World) ensureJurisdiction() {
	w.T.Helper()
	if w.jurisdiction {
		return
	}
	_, err := w.App.Clinicians.SaveVocabulary(context.Background(), w.Actor(w.Admin()), clinicians.ListJurisdictions, clinicians.VocabularyForm{
		Code: Jurisdiction, Label: "Test Nursing Board", RegisterURL: "https://register.example.org/lookup?number={licence}"})
	if err != nil {
		w.T.Fatal(err)
	}
	w.jurisdiction = true
}

// ApplicationForm is a valid application of a registered nurse in specs
// (cardiology when none is given) whose licence ends `days` after the
// clock's today (0: today, negative: already lapsed).
func (w *World) ApplicationForm(licence string, days int, specs ...string) clinicians.ApplicationForm {
	w.T.Helper()
	w.ensureJurisdiction()
	if len(specs) == 0 {
		specs = []string{"cardiology"}
	}
	return clinicians.ApplicationForm{Profession: "registered-nurse", Specialties: specs, LicenceNumber: licence,
		Jurisdiction: Jurisdiction, LicenceExpires: w.Clock.Now().AddDate(0, 0, days).Format("2006-01-02")}
}

// Apply sends u's application, without a proof document.
func (w *World) Apply(u *models.User, form clinicians.ApplicationForm) *models.Credential {
	w.T.Helper()
	c, err := w.App.Clinicians.Apply(context.Background(), w.Actor(u), form, nil)
	if err != nil {
		w.T.Fatalf("world: %s applies: %v", u.Handle, err)
	}
	return c
}

// Approve has the admin approve an application.
func (w *World) Approve(c *models.Credential) *models.Credential {
	w.T.Helper()
	approved, err := w.App.Clinicians.Approve(context.Background(), w.Actor(w.Admin()), c.ID, "")
	if err != nil {
		w.T.Fatalf("world: approve credential %d: %v", c.ID, err)
	}
	return approved
}

// Verify makes u a verified registered nurse (cardiology): an application
// with a licence that ends `days` after today, approved by the admin.
func (w *World) Verify(u *models.User, days int) *models.Credential {
	w.T.Helper()
	return w.Approve(w.Apply(u, w.ApplicationForm(licenceOf(u.Handle), days)))
}

func licenceOf(handle string) string {
	return "RN-" + strings.ReplaceAll(handle, "_", "-")
}

// Clinician makes a verified clinician in specs who takes private
// questions, up to 5 open at once; their licence runs 300 more days.
func (w *World) Clinician(handle string, specs ...string) *models.User {
	w.T.Helper()
	return w.ClinicianLicensedFor(handle, 300, specs...)
}

// ClinicianLicensedFor is Clinician with a licence, and so a verification,
// that ends `days` after today.
func (w *World) ClinicianLicensedFor(handle string, days int, specs ...string) *models.User {
	w.T.Helper()
	u := w.Member(handle)
	w.Approve(w.Apply(u, w.ApplicationForm(licenceOf(handle), days, specs...)))
	if err := w.App.Clinicians.SaveSettings(context.Background(), w.Actor(u), clinicians.SettingsForm{AcceptingQuestions: true, MaxOpenQuestions: 5}); err != nil {
		w.T.Fatal(err)
	}
	return u
}

// Ask sends asker's private question about the forum with this slug.
func (w *World) Ask(asker *models.User, forum, title, body string) *models.Question {
	w.T.Helper()
	q, err := w.App.Questions.Ask(context.Background(), w.Actor(asker), questions.AskForm{Forum: forum, Title: title, Body: body})
	if err != nil {
		w.T.Fatalf("world: %s asks %q: %v", asker.Handle, title, err)
	}
	return q.Question
}
