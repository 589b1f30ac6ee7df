package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/config"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/app/messages"
	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/app/notify"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/models"
)

// DemoPassword is the password of every demo account. Demo data is for
// trying Kindred locally, never for a public deployment.
const DemoPassword = "kindred-demo-2026"

type demoAccount struct {
	Handle string
	Email  string
	Role   models.Role
}

var demoAccounts = []demoAccount{
	{"demo_admin", "admin@demo.kindred.test", models.RoleAdmin},
	{"demo_moderator", "moderator@demo.kindred.test", models.RoleModerator},
	{"maya_t1d", "maya@demo.kindred.test", models.RoleMember},
	{"sam_cares", "sam@demo.kindred.test", models.RoleMember},
	{"quiet_heart", "quiet@demo.kindred.test", models.RoleMember},
	{"ben_breathes", "ben@demo.kindred.test", models.RoleMember},
	{"grey_owl", "owl@demo.kindred.test", models.RoleMember},
	{"tom_t2", "tom@demo.kindred.test", models.RoleMember},
	{"amira_heart", "amira@demo.kindred.test", models.RoleMember},
	{"lena_cares", "lena@demo.kindred.test", models.RoleMember},
	{"nurse_rosa", "rosa@demo.kindred.test", models.RoleMember},
	{"dr_okafor", "okafor@demo.kindred.test", models.RoleMember},
	{"pharm_jun", "jun@demo.kindred.test", models.RoleMember},
}

// demoCredentials verifies two demo clinicians and leaves one application
// waiting, so the review queue has something in it.
var demoCredentials = []struct {
	Handle, Profession, Licence string
	Specialties                 []string
	Approve                     bool
}{
	{"nurse_rosa", "registered-nurse", "DEMO-RN-20417", []string{"endocrinology", "dietetics"}, true},
	{"dr_okafor", "physician", "DEMO-MD-88102", []string{"cardiology"}, true},
	{"pharm_jun", "pharmacist", "DEMO-PH-5530", []string{"pharmacy"}, false},
}

func seedDemo(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.LoadDatabaseOnly(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if n, err := db.Pending(ctx); err != nil || n > 0 {
		if err != nil {
			return err
		}
		return fmt.Errorf("%d database migration(s) pending: run `kindred migrate up` first", n)
	}
	svc := accountService(db, log)
	added := 0
	users := map[string]*models.User{}
	for _, a := range demoAccounts {
		var u models.User
		err := db.Gorm.WithContext(ctx).Where("lower(handle) = lower(?)", a.Handle).Limit(1).Find(&u).Error
		if err != nil {
			return err
		}
		if u.ID == 0 {
			nu, err := svc.SeedAccount(ctx, a.Handle, a.Email, DemoPassword, a.Role)
			if err != nil {
				return fmt.Errorf("seed %s: %w", a.Handle, err)
			}
			u = *nu
			added++
		}
		users[a.Handle] = &u
	}
	fmt.Fprintf(stdout, "demo data: %d account(s) added; every demo password is %q\n", added, DemoPassword)

	if err := seedCredentials(ctx, db, log, users); err != nil {
		return err
	}

	var forumCount int64
	if err := db.Gorm.WithContext(ctx).Model(&models.Forum{}).Count(&forumCount).Error; err != nil {
		return err
	}
	if forumCount > 0 {
		fmt.Fprintln(stdout, "demo data: forums already exist; none added")
		return nil
	}
	threads, posts, err := seedForums(ctx, db, log, users)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo data: %d forums, %d threads and %d posts added\n", len(demoForums), threads, posts)
	if err := seedQuestions(ctx, db, log, users); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "demo data: 2 private questions added (one answered by nurse_rosa, one offered to dr_okafor)")
	if err := seedReport(ctx, db, log, users); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "demo data: 1 report waiting in the review queue")
	if err := seedMessages(ctx, db, log, users); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "demo data: 2 private conversations (maya_t1d and sam_cares; the moderators and quiet_heart)")
	return nil
}

// seedMessages writes two conversations through the messages service with
// the real safety checks: two members comparing notes, and a moderator's
// check-in.
func seedMessages(ctx context.Context, db *database.DB, log *slog.Logger, users map[string]*models.User) error {
	clock := func() time.Time { return time.Now().UTC().Add(-3 * time.Hour) }
	inApp := notify.NewInApp(db.Gorm, clock)
	safety, err := moderation.NewSafety(db, clock, inApp, log, moderation.Options{})
	if err != nil {
		return err
	}
	svc, err := messages.New(db, clock, markdown.New(), safety, safety, inApp, messages.Options{})
	if err != nil {
		return err
	}
	as := func(handle string) (models.Actor, error) { return auth.LoadActor(ctx, db, clock(), users[handle]) }
	steps := []struct {
		from string
		form messages.StartForm
	}{
		{"maya_t1d", messages.StartForm{To: "sam_cares", Body: "Hi Sam, I read your thread about the birthday parties. We have the same worry with type 1: I ask the host about the food a day before and send a small box of treats my daughter can have, so she never has to sit out. Happy to share the note we give hosts if it helps."}},
		{"sam_cares", messages.StartForm{To: "maya_t1d", Body: "That would really help, thank you. I could adapt it for nuts. Did the other parents mind being asked?"}},
		{"demo_moderator", messages.StartForm{To: "quiet_heart", AsModerator: true, Subject: "Checking in", Body: "Hi, I'm one of Kindred's moderators. I read your recent post and wanted to check in: how are you doing today? You can answer here; only you and the moderators can read it."}},
	}
	for _, st := range steps {
		a, err := as(st.from)
		if err != nil {
			return err
		}
		if _, err := svc.Start(ctx, a, st.form); err != nil {
			return fmt.Errorf("seed message from %s: %w", st.from, err)
		}
	}
	return nil
}

// seedForums writes the demo forums and conversations through the forum
// service, so they obey the same rules as real posts, with a clock that
// spreads them over the last few weeks.
func seedForums(ctx context.Context, db *database.DB, log *slog.Logger, users map[string]*models.User) (threads, posts int, err error) {
	at := time.Now().UTC().Add(-21 * 24 * time.Hour)
	clock := func() time.Time { return at }
	fs, err := forums.New(db, clock, markdown.New(), notify.NewInApp(db.Gorm, clock), log, forums.Checks{Unchecked: true})
	if err != nil {
		return 0, 0, err
	}
	viewer := func(handle string) (forums.Viewer, error) { return auth.LoadActor(ctx, db, clock(), users[handle]) }

	admin, err := viewer("demo_admin")
	if err != nil {
		return 0, 0, err
	}
	bySlug := map[string]*models.Forum{}
	for i, f := range demoForums {
		saved, err := fs.SaveForum(ctx, admin, 0, forums.ForumForm{Slug: f.Slug, Name: f.Name, Description: f.Description, Guidelines: f.Guidelines,
			Sensitive: f.Sensitive, ClinicianOnly: f.ClinicianOnly, Specialties: f.Specialties, Position: (i + 1) * 10})
		if err != nil {
			return 0, 0, fmt.Errorf("seed forum %s: %w", f.Slug, err)
		}
		bySlug[f.Slug] = saved
	}
	for handle, slugs := range demoMembership {
		v, err := viewer(handle)
		if err != nil {
			return 0, 0, err
		}
		for _, slug := range slugs {
			if err := fs.SetMembership(ctx, v, bySlug[slug], true); err != nil {
				return 0, 0, fmt.Errorf("seed membership %s/%s: %w", handle, slug, err)
			}
		}
	}
	postIDs := make([][]int64, len(demoThreads))
	for i, dt := range demoThreads {
		at = at.Add(time.Duration(7+i%5) * time.Hour)
		v, err := viewer(dt.Author)
		if err != nil {
			return 0, 0, err
		}
		t, err := fs.CreateThread(ctx, v, bySlug[dt.Forum], forums.ThreadForm{Title: dt.Title, Body: dt.Body, Anonymous: dt.Anonymous, Tags: demoTags[dt.Title]}, "")
		if err != nil {
			return 0, 0, fmt.Errorf("seed thread %q: %w", dt.Title, err)
		}
		threads++
		posts++
		var first models.Post
		if err := db.Gorm.WithContext(ctx).Where("thread_id = ?", t.ID).Order("id").First(&first).Error; err != nil {
			return 0, 0, err
		}
		postIDs[i] = append(postIDs[i], first.ID)
		tv, err := fs.Thread(ctx, v, t.ID)
		if err != nil {
			return 0, 0, err
		}
		for j, r := range dt.Replies {
			at = at.Add(time.Duration(40+j*25) * time.Minute)
			rv, err := viewer(r.Author)
			if err != nil {
				return 0, 0, err
			}
			p, err := fs.Reply(ctx, rv, tv, forums.PostForm{Body: r.Body, Anonymous: r.Anonymous}, "")
			if err != nil {
				return 0, 0, fmt.Errorf("seed reply in %q: %w", dt.Title, err)
			}
			posts++
			postIDs[i] = append(postIDs[i], p.ID)
		}
	}
	for _, r := range demoReactions {
		for _, h := range r.By {
			v, err := viewer(h)
			if err != nil {
				return 0, 0, err
			}
			pc, err := fs.PostContext(ctx, v, postIDs[r.Thread][r.Post])
			if err != nil {
				return 0, 0, err
			}
			if err := fs.SetReaction(ctx, v, pc, models.ReactionKind(r.Kind), true); err != nil {
				return 0, 0, fmt.Errorf("seed reaction: %w", err)
			}
		}
	}
	// Members joined before they posted.
	err = db.Gorm.WithContext(ctx).Exec(`UPDATE users SET created_at = ? WHERE email LIKE '%@demo.kindred.test'`, time.Now().UTC().Add(-60*24*time.Hour)).Error
	return threads, posts, err
}

// seedCredentials lists a demo licensing board (its register address is a
// placeholder) and the demo clinicians' applications, approved by the demo
// admin a month ago.
func seedCredentials(ctx context.Context, db *database.DB, log *slog.Logger, users map[string]*models.User) error {
	var n int64
	if err := db.Gorm.WithContext(ctx).Model(&models.Credential{}).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	monthAgo := time.Now().UTC().Add(-30 * 24 * time.Hour)
	clock := func() time.Time { return monthAgo }
	svc := clinicians.New(db, clock, nil, notify.NewInApp(db.Gorm, clock), log, clinicians.Options{})
	as := func(handle string) (models.Actor, error) { return auth.LoadActor(ctx, db, clock(), users[handle]) }
	admin, err := as("demo_admin")
	if err != nil {
		return err
	}
	if _, err := svc.SaveVocabulary(ctx, admin, clinicians.ListJurisdictions, clinicians.VocabularyForm{Code: "demo-board",
		Label: "Demo Health Professions Board", RegisterURL: "https://register.example.org/search?licence={licence}"}); err != nil {
		return fmt.Errorf("seed jurisdiction: %w", err)
	}
	for _, dc := range demoCredentials {
		form := clinicians.ApplicationForm{Profession: dc.Profession, Specialties: dc.Specialties, LicenceNumber: dc.Licence,
			Jurisdiction: "demo-board", LicenceExpires: monthAgo.AddDate(2, 0, 0).Format("2006-01-02")}
		applicant, err := as(dc.Handle)
		if err != nil {
			return err
		}
		c, err := svc.Apply(ctx, applicant, form, nil)
		if err != nil {
			return fmt.Errorf("seed credential of %s: %w", dc.Handle, err)
		}
		if dc.Approve {
			if _, err := svc.Approve(ctx, admin, c.ID, "Checked on the demo register."); err != nil {
				return fmt.Errorf("seed approval of %s: %w", dc.Handle, err)
			}
			// Approved: the clinician's actor is loaded again, verified now.
			if applicant, err = as(dc.Handle); err != nil {
				return err
			}
			if err := svc.SaveSettings(ctx, applicant, clinicians.SettingsForm{AcceptingQuestions: true, MaxOpenQuestions: 5}); err != nil {
				return fmt.Errorf("seed settings of %s: %w", dc.Handle, err)
			}
		}
	}
	return nil
}

// seedQuestions asks two private questions: tom_t2's, which nurse_rosa
// answered, and amira_heart's, waiting for dr_okafor to accept.
func seedQuestions(ctx context.Context, db *database.DB, log *slog.Logger, users map[string]*models.User) error {
	clock := func() time.Time { return time.Now().UTC().Add(-2 * time.Hour) }
	inApp := notify.NewInApp(db.Gorm, clock)
	md := markdown.New()
	fs, err := forums.New(db, clock, md, inApp, log, forums.Checks{Unchecked: true})
	if err != nil {
		return err
	}
	svc, err := questions.New(db, clock, md, inApp, fs, clinicians.NewPauser(clock), log, questions.Options{}, questions.Checks{Unchecked: true})
	if err != nil {
		return err
	}
	actors := map[string]models.Actor{}
	for _, handle := range []string{"tom_t2", "nurse_rosa", "amira_heart"} {
		a, err := auth.LoadActor(ctx, db, clock(), users[handle])
		if err != nil {
			return err
		}
		actors[handle] = a
	}
	as := func(handle string) models.Actor { return actors[handle] }
	q, err := svc.Ask(ctx, as("tom_t2"), questions.AskForm{Forum: "type-2-diabetes", Specialty: "endocrinology",
		Title: "Is my new tablet the reason I feel sick?",
		Body:  "I started a new diabetes tablet two weeks ago and feel queasy most mornings. Is that common, and should it settle?"})
	if err != nil {
		return fmt.Errorf("seed question: %w", err)
	}
	rosa := as("nurse_rosa")
	if err := svc.Accept(ctx, rosa, q.ID); err != nil {
		return fmt.Errorf("seed question accept: %w", err)
	}
	if _, err := svc.Message(ctx, rosa, q.ID, questions.MessageForm{Body: "Stomach upset is one of the most common side effects when starting many diabetes tablets, and for a lot of people it eases over a few weeks. Taking it with food often helps. If you are being sick, can't keep fluids down or it isn't settling, contact the team who prescribed it: there are other options."}); err != nil {
		return fmt.Errorf("seed question answer: %w", err)
	}
	if _, err := svc.Ask(ctx, as("amira_heart"), questions.AskForm{Forum: "heart-health", Specialty: "cardiology",
		Title: "Can I fly three months after my stent?",
		Body:  "We'd like to visit family abroad in the spring. I had a stent fitted in the autumn. Is flying safe, and is there anything I should ask my cardiologist first?"}); err != nil {
		return fmt.Errorf("seed question: %w", err)
	}
	return nil
}

// seedReport gives the review queue one item to try the moderation tools on.
func seedReport(ctx context.Context, db *database.DB, log *slog.Logger, users map[string]*models.User) error {
	var threadID int64
	if err := db.Gorm.WithContext(ctx).Raw(`SELECT id FROM threads WHERE title = 'Apps for tracking medicines for someone else'`).Scan(&threadID).Error; err != nil || threadID == 0 {
		return fmt.Errorf("seed report: thread not found: %v", err)
	}
	inApp := notify.NewInApp(db.Gorm, time.Now)
	fs, err := forums.New(db, time.Now, markdown.New(), inApp, log, forums.Checks{Unchecked: true})
	if err != nil {
		return err
	}
	safety, err := moderation.NewSafety(db, time.Now, inApp, log, moderation.Options{})
	if err != nil {
		return err
	}
	// Filing a report changes no account: the seeder has no account service.
	svc, err := moderation.New(safety, fs, noAccounts{}, inApp)
	if err != nil {
		return err
	}
	reporter, err := auth.LoadActor(ctx, db, time.Now(), users["grey_owl"])
	if err != nil {
		return err
	}
	_, err = svc.Report(ctx, reporter, moderation.ReportForm{Kind: models.TargetThread, ID: threadID, Reason: models.ReasonOffTopic,
		Note: "This asks members to recommend apps: could it turn into advertising?"})
	return err
}

// noAccounts refuses every account change: the demo report changes none.
type noAccounts struct{}

func (noAccounts) Restrict(context.Context, *database.Tx, int64, *time.Time) error {
	return errors.New("seed: no account changes")
}
func (noAccounts) LiftSuspension(context.Context, *database.Tx, int64) error {
	return errors.New("seed: no account changes")
}
func (noAccounts) SetOnDuty(context.Context, *database.Tx, int64, bool) error {
	return errors.New("seed: no account changes")
}
