package forums

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/models"
)

// TextChecker runs the watched words and the safety engine, and gives the
// crisis resources authors are shown (app/moderation implements it).
type TextChecker interface {
	Check(ctx context.Context, text string) (safety.Result, error)
	// CrisisResourcesFor is the version of the crisis resources for the
	// member's language and region (the default for nil).
	CrisisResourcesFor(ctx context.Context, u *models.User) (string, error)
}

// Reporter files Kindred's own reports inside a write's transaction
// (app/moderation implements it).
type Reporter interface {
	SystemReport(ctx context.Context, tx *database.Tx, kind string, id int64, forumID *int64, reason models.ReportReason, note string) error
	// FileCrisis acts on a text's crisis level for the moderators (reports,
	// alerts) and records the engine's findings, never the text; textLen is
	// the length of the text the findings' spans point into.
	FileCrisis(ctx context.Context, tx *database.Tx, kind string, id, forumID int64, level safety.Level, actions []string, r safety.Result, textLen int) error
}

// CrisisShown is what the author of a just-written text is shown, by the
// forum's level→action mapping: the crisis resources, a check-in, or
// nothing (Panel "").
type CrisisShown struct {
	Level safety.Level
	Panel string // safety.CrisisShowResources, safety.CrisisShowCheckIn or ""
	Told  bool   // moderators were told (a report or an alert)
}

// CrisisActions loads a forum's level→action mapping: the admins' choice
// per level, Kindred's defaults for the levels they left alone.
func (s *Service) CrisisActions(ctx context.Context, forumID int64) (safety.CrisisActions, error) {
	return crisisActions(ctx, s.db.Gorm, forumID)
}

func crisisActions(ctx context.Context, db *gorm.DB, forumID int64) (safety.CrisisActions, error) {
	m := safety.DefaultCrisisActions()
	var rows []struct {
		Level   string
		Actions string // comma-separated: action names hold no commas
	}
	if err := db.WithContext(ctx).Raw(`SELECT level, array_to_string(actions, ',') AS actions FROM forum_crisis_actions WHERE forum_id = ?`, forumID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("forums: crisis actions: %w", err)
	}
	for _, r := range rows {
		acts := []string{}
		if r.Actions != "" {
			acts = strings.Split(r.Actions, ",")
		}
		m[safety.ParseLevel(r.Level)] = acts
	}
	return m, nil
}

// saveCrisisActions replaces the mapping of the levels given, inside the
// forum's save.
func saveCrisisActions(ctx context.Context, tx *database.Tx, forumID int64, m map[string][]string, now time.Time) error {
	for level, acts := range m {
		if acts == nil {
			acts = []string{}
		}
		if err := tx.WithContext(ctx).Exec(`INSERT INTO forum_crisis_actions (forum_id, level, actions, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (forum_id, level) DO UPDATE SET actions = excluded.actions, updated_at = excluded.updated_at`,
			forumID, level, pq.StringArray(acts), now).Error; err != nil {
			return err
		}
	}
	return nil
}

// CheckCrisisActions validates a mapping sent by an admin: levels high,
// medium and low, known actions only, each once. Errors name the field
// crisis_<level>.
func CheckCrisisActions(v *models.ValidationError, m map[string][]string) {
	for level, acts := range m {
		l := safety.ParseLevel(level)
		if l == safety.LevelNone {
			v.Add("crisis_actions", "Levels are high, medium and low, not “"+level+"”.")
			continue
		}
		seen := map[string]bool{}
		for _, a := range acts {
			if !safety.ValidCrisisAction(a) {
				v.Add("crisis_"+level, "“"+a+"” is not an action Kindred knows. Choose among: "+crisisActionList()+".")
				break
			}
			if seen[a] {
				v.Add("crisis_"+level, "“"+a+"” is listed twice.")
				break
			}
			seen[a] = true
		}
		if seen[safety.CrisisShowResources] && seen[safety.CrisisShowCheckIn] {
			v.Add("crisis_"+level, "Choose the crisis resources or the check-in for the author, not both.")
		}
	}
}

func crisisActionList() string {
	names := make([]string, len(safety.CrisisActionNames))
	for i, a := range safety.CrisisActionNames {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}

// Checks are what forums needs from moderation to save a text
// (moderation.Safety provides the first three): without them no post is
// saved, and New refuses to build the service.
type Checks struct {
	Text     TextChecker
	Reporter Reporter
	// Guidance is the admin-written emergency guidance shown after a post
	// that describes urgent symptoms happening now.
	Guidance Guidance
	// NewMemberApprovals holds a member's first posts for approval.
	NewMemberApprovals int
	// UrgentTerms are the operator's own urgent words (KINDRED_URGENT_TERMS).
	UrgentTerms []string
	// Images checks and links the pictures posts show (app/images).
	Images Images
	// Unchecked saves texts without any check: only for the demo seeder,
	// whose texts are Kindred's own, and the search tools, which write
	// nothing.
	Unchecked bool
}

func (c Checks) missing() []string {
	if c.Unchecked {
		return nil
	}
	var missing []string
	if c.Text == nil || c.Reporter == nil {
		missing = append(missing, "safety checks")
	}
	if c.Guidance == nil {
		missing = append(missing, "emergency guidance")
	}
	if c.Images == nil {
		missing = append(missing, "images")
	}
	return missing
}

// errNoSafety refuses a write when the service was built unchecked by
// mistake: a post must never be saved unchecked.
var errNoSafety = errors.New("forums: the safety checks are missing")

// screenNew screens the text of a new thread or reply and decides its
// visibility: pending when a watched word asks for approval or the author
// is a new member.
func (s *Service) screenNew(ctx context.Context, v Viewer, text string, confirmPersonal bool) (screened, models.Visibility, error) {
	sc, err := s.screen(ctx, text, confirmPersonal)
	if err != nil {
		return sc, "", err
	}
	if sc.newMember, err = s.isNew(ctx, v); err != nil {
		return sc, "", err
	}
	if sc.hold() {
		return sc, models.Pending, nil
	}
	return sc, models.Visible, nil
}

// isNew reports whether v's next post waits for approval: fewer than
// newMember earlier posts, and neither staff nor a verified clinician.
// FirstPostsReviewed is how many of v's first posts wait for a moderator
// (0: none of v's next posts does), to tell them before they post.
func (s *Service) FirstPostsReviewed(ctx context.Context, v Viewer) int {
	isNew, err := s.isNew(ctx, v)
	if err != nil || !isNew {
		return 0
	}
	return s.newMember
}

func (s *Service) isNew(ctx context.Context, v Viewer) (bool, error) {
	limit := s.newPostsLimit(v)
	if limit == 0 {
		return false, nil
	}
	var n int64
	err := s.db.Pool.QueryRow(ctx, postsUpToSQL, v.User.ID, limit).Scan(&n)
	return n < int64(limit), err
}

// postsUpToSQL counts a member's posts, stopping at $2.
const postsUpToSQL = `SELECT count(*) FROM (SELECT 1 FROM posts WHERE author_id = $1 LIMIT $2) x`

// newPostsLimit is how many of v's posts isNew counts: 0 when v's posts
// never wait for approval as a new member's.
func (s *Service) newPostsLimit(v Viewer) int {
	if s.newMember <= 0 || v.User == nil || v.IsStaff() || v.Clinician {
		return 0
	}
	return s.newMember
}

// reviewedFrom is FirstPostsReviewed from a count of v's posts read with
// the page (postsUpToSQL, limited by newPostsLimit).
func (s *Service) reviewedFrom(v Viewer, posts int64) int {
	if limit := s.newPostsLimit(v); limit > 0 && posts < int64(limit) {
		return limit
	}
	return 0
}

// screened is what the checks decided about one text.
type screened struct {
	result    safety.Result
	textLen   int  // bytes of the text checked: the findings' spans point into it
	pending   bool // waits for a moderator (watched words)
	newMember bool // waits for a moderator (a new member's first posts)
}

// hold reports whether the text waits for a moderator.
func (sc screened) hold() bool { return sc.pending || sc.newMember }

// screen checks a text before it is saved: blocked words refuse it,
// personal data must be confirmed (code "personal_data"), words needing
// approval make it pending.
func (s *Service) screen(ctx context.Context, text string, confirmPersonal bool) (screened, error) {
	if s.checker == nil {
		if s.unchecked {
			return screened{}, nil
		}
		return screened{}, errNoSafety
	}
	r, err := s.checker.Check(ctx, text)
	if err != nil {
		return screened{}, err
	}
	if err := safety.Refusal(r, confirmPersonal, "Posts here are read by many people: remove it, or confirm that you want to share it."); err != nil {
		return screened{}, err
	}
	return screened{result: r, pending: r.Approval, textLen: len(text)}, nil
}

// afterWrite files the automatic reports a text calls for, inside the
// write's transaction: flagged words, approval, and what the text's crisis
// level leads to in the forum. It returns what the author is to be shown.
func (s *Service) afterWrite(ctx context.Context, tx *database.Tx, sc screened, kind string, id, forumID int64) (CrisisShown, error) {
	var shown CrisisShown
	if s.reporter == nil {
		if s.unchecked {
			return shown, nil
		}
		return shown, errNoSafety
	}
	fid := forumID
	if level := sc.result.CrisisLevel; level > safety.LevelNone {
		m, err := crisisActions(ctx, tx.DB, forumID)
		if err != nil {
			return shown, err
		}
		shown.Level = level
		var forModerators []string
		for _, a := range m[level] {
			switch a {
			case safety.CrisisShowResources, safety.CrisisShowCheckIn:
				if shown.Panel == "" || a == safety.CrisisShowResources {
					shown.Panel = a
				}
			default:
				forModerators = append(forModerators, a)
				shown.Told = shown.Told || a != safety.CrisisFlag
			}
		}
		if len(forModerators) > 0 || shown.Panel != "" {
			if err := s.reporter.FileCrisis(ctx, tx, kind, id, forumID, level, forModerators, sc.result, sc.textLen); err != nil {
				return shown, err
			}
		}
	}
	if len(sc.result.Flagged) > 0 {
		if err := s.reporter.SystemReport(ctx, tx, kind, id, &fid, models.ReasonOther, "Watched words: "+strings.Join(sc.result.Flagged, ", ")); err != nil {
			return shown, err
		}
	}
	switch {
	case sc.pending:
		return shown, s.reporter.SystemReport(ctx, tx, kind, id, &fid, models.ReasonOther, "Waiting for approval (watched words).")
	case sc.newMember:
		return shown, s.reporter.SystemReport(ctx, tx, kind, id, &fid, models.ReasonOther, "A new member's first posts wait for approval.")
	}
	return shown, nil
}

// CrisisResourcesHTML renders the admins' crisis resources (empty without
// the safety checks).
func (s *Service) CrisisResourcesHTML(ctx context.Context, u *models.User) (string, error) {
	if s.checker == nil {
		return "", nil
	}
	text, err := s.checker.CrisisResourcesFor(ctx, u)
	if err != nil {
		return "", err
	}
	return s.md.Render(text)
}

// CrisisJSON is what the API answers about a write whose crisis level the
// forum acts on: the level, what the author is shown and the resources.
type CrisisJSON struct {
	Level          string `json:"level"`
	Show           string `json:"show"`            // "resources" or "check_in"
	ModeratorsTold bool   `json:"moderators_told"` // a moderator will check in
	Message        string `json:"message"`
	Resources      string `json:"resources"`      // Markdown, written by the admins
	ResourcesHTML  string `json:"resources_html"` // sanitised
	SupportURL     string `json:"support_url"`
}

// crisisJSON builds it, or nil when the author is shown nothing.
func (s *Service) crisisJSON(ctx context.Context, u *models.User, shown CrisisShown) (*CrisisJSON, error) {
	if shown.Panel == "" || s.checker == nil {
		return nil, nil
	}
	text, err := s.checker.CrisisResourcesFor(ctx, u)
	if err != nil {
		return nil, err
	}
	html, err := s.md.Render(text)
	if err != nil {
		return nil, err
	}
	out := &CrisisJSON{Level: shown.Level.String(), Show: "resources", ModeratorsTold: shown.Told, Resources: text, ResourcesHTML: html, SupportURL: "/support",
		Message: "If you are in danger right now, call your local emergency number. You are not alone."}
	if shown.Panel == safety.CrisisShowCheckIn {
		out.Show = "check_in"
		out.Message = "Thank you for sharing this. How are you doing right now? You do not have to go through it alone."
	}
	return out, nil
}

// describeCrisisActions says a mapping in one line for the audit log:
// "high: show_resources, priority_report; low: nothing".
func describeCrisisActions(m map[string][]string) string {
	var parts []string
	for _, l := range safety.CrisisLevels {
		acts, ok := m[l.String()]
		if !ok {
			continue
		}
		what := strings.Join(acts, ", ")
		if what == "" {
			what = "nothing"
		}
		parts = append(parts, l.String()+": "+what)
	}
	return strings.Join(parts, "; ")
}

// CrisisActionsJSON turns a mapping into its API form, levels by name.
func CrisisActionsJSON(m safety.CrisisActions) map[string][]string {
	out := map[string][]string{}
	for _, l := range safety.CrisisLevels {
		acts := m[l]
		if acts == nil {
			acts = []string{}
		}
		out[l.String()] = acts
	}
	return out
}
