package safety

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/kindred-health/kindred/models"
)

// Watched-word actions.
const (
	ActionBlock    = "block"            // refused, with the reason shown
	ActionApproval = "require_approval" // saved as pending for a moderator
	ActionFlag     = "flag"             // published and reported automatically
	ActionCrisis   = "crisis"           // published; the author sees crisis resources, moderators are alerted
)

// Actions lists them in the order admins see them.
var Actions = []string{ActionBlock, ActionApproval, ActionFlag, ActionCrisis}

// Word is one watched word or phrase.
type Word struct {
	ID      int64  `json:"id"`
	Pattern string `json:"pattern"`
	Action  string `json:"action"`
}

// Tokens splits text into lower-case words without accents: "Café-Crème!"
// → ["cafe", "creme"]. Letters and digits make words; everything else
// separates them, so a pattern never matches inside another word.
func Tokens(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range norm.NFD.String(text) {
		switch {
		case unicode.Is(unicode.Mn, r): // accents, after NFD
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return out
}

// Hit is a watched word found in a text.
type Hit struct {
	Pattern string
	Action  string
}

// Match finds the watched words in text: whole words and phrases, any
// case, accents ignored.
func Match(text string, words []Word) []Hit {
	toks := Tokens(text)
	var out []Hit
	for _, w := range words {
		p := Tokens(w.Pattern)
		if len(p) == 0 || len(p) > len(toks) {
			continue
		}
		for i := 0; i+len(p) <= len(toks); i++ {
			ok := true
			for j := range p {
				if toks[i+j] != p[j] {
					ok = false
					break
				}
			}
			if ok {
				out = append(out, Hit{Pattern: w.Pattern, Action: w.Action})
				break
			}
		}
	}
	return out
}

// Result is what the checks found in one text.
type Result struct {
	Blocked  []string  // patterns that refuse the text
	Approval bool      // a moderator must approve it first
	Flagged  []string  // patterns that report it automatically
	Crisis   bool      // the author may be at risk
	Personal []Finding // personal data it seems to contain
	// CrisisLevel is what the engine's crisis detector found (a watched
	// crisis word counts as high).
	CrisisLevel Level
	// Findings are the engine's, for the record (never the text).
	Findings []Finding
	// CrisisWords are the admins' watched crisis words found (an override:
	// they count as high whatever the engine says).
	CrisisWords []string
}

// Check runs the watched words and the personal-data check over text.
func Check(text string, words []Word) Result {
	var r Result
	for _, h := range Match(text, words) {
		switch h.Action {
		case ActionBlock:
			r.Blocked = append(r.Blocked, h.Pattern)
		case ActionApproval:
			r.Approval = true
		case ActionFlag:
			r.Flagged = append(r.Flagged, h.Pattern)
		case ActionCrisis:
			r.Crisis, r.CrisisLevel = true, LevelHigh
			r.CrisisWords = append(r.CrisisWords, h.Pattern)
		}
	}
	rep := Analyze(text)
	r.Findings = rep.Findings
	r.Personal = rep.Of(DetectorPersonal)
	if l := rep.Max(DetectorCrisis); l > r.CrisisLevel {
		r.CrisisLevel = l
	}
	// Medium (ideation, self-harm) and high (imminent) both lead the
	// author to the resources and the moderators to a priority item.
	r.Crisis = r.CrisisLevel >= LevelMedium
	return r
}

// Refusal turns a Result into the error the author sees, or nil: blocked
// words refuse the text (field "body"); personal data must be confirmed
// (code "personal_data", field "confirm_personal_data"). why ends the
// personal-data message, saying who would read it.
func Refusal(r Result, confirmPersonal bool, why string) error {
	if len(r.Blocked) > 0 {
		v := models.NewValidationError()
		words := "“" + strings.Join(r.Blocked, "”, “") + "”"
		v.Message = "Your text contains " + words + ", which is not allowed on Kindred. Please change it."
		v.Add("body", "Contains "+words+", which is not allowed here.")
		return v
	}
	if len(r.Personal) > 0 && !confirmPersonal {
		v := models.NewValidationError()
		v.Code = "personal_data"
		v.Message = "Your text seems to contain " + Labels(r.Personal) + ". " + why
		v.Add("confirm_personal_data", "Remove "+Labels(r.Personal)+", or tick this box to send it anyway.")
		return v
	}
	return nil
}

// What a crisis level can lead to in a forum (admins choose per forum and
// level; app/forums stores the choice).
const (
	CrisisShowResources  = "show_resources"  // the crisis resources, in the response to the author
	CrisisShowCheckIn    = "show_check_in"   // a gentler check-in panel with the resources
	CrisisReport         = "report"          // a self-harm report, above ordinary reports
	CrisisPriorityReport = "priority_report" // a self-harm report at the very top of the queue
	CrisisAlertOnDuty    = "alert_on_duty"   // moderators on duty alerted at once (in-app and e-mail)
	CrisisFlag           = "flag"            // a low-priority report, for a look when there is time
)

// CrisisActionNames lists the actions in the order admins see them, with
// their labels.
var CrisisActionNames = []struct{ Name, Label string }{
	{CrisisShowResources, "Show the crisis resources to the author"},
	{CrisisShowCheckIn, "Show the author a gentle check-in with the resources"},
	{CrisisPriorityReport, "Report at the very top of the queue"},
	{CrisisReport, "Report to moderators (above ordinary reports)"},
	{CrisisAlertOnDuty, "Alert moderators on duty at once"},
	{CrisisFlag, "Flag for moderators (low priority)"},
}

// CrisisLevels are the levels a forum maps, highest first.
var CrisisLevels = []Level{LevelHigh, LevelMedium, LevelLow}

// CrisisActions maps a crisis level to what it leads to.
type CrisisActions map[Level][]string

// DefaultCrisisActions is what a forum does unless an admin changed it:
// high (imminent) shows the resources, files a report at the top of the
// queue and alerts moderators on duty; medium (ideation without a plan,
// self-harm) shows a check-in and files a report; low (mentions,
// awareness, grief) does nothing.
func DefaultCrisisActions() CrisisActions {
	return CrisisActions{
		LevelHigh:   {CrisisShowResources, CrisisPriorityReport, CrisisAlertOnDuty},
		LevelMedium: {CrisisShowCheckIn, CrisisReport},
		LevelLow:    {},
	}
}

// ValidCrisisAction reports whether name is one of the actions.
func ValidCrisisAction(name string) bool {
	for _, a := range CrisisActionNames {
		if a.Name == name {
			return true
		}
	}
	return false
}

// Has reports whether level l leads to action a.
func (m CrisisActions) Has(l Level, a string) bool {
	for _, x := range m[l] {
		if x == a {
			return true
		}
	}
	return false
}
