package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/models"
)

func TestLastSlot(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		now, tz, period, want string
	}{
		{"2026-11-04T09:00:00Z", "", ModeDaily, "2026-11-04T08:00:00Z"},
		{"2026-11-04T07:59:00Z", "", ModeDaily, "2026-11-03T08:00:00Z"},
		// 08:00 in Toronto is 13:00 UTC in November.
		{"2026-11-04T12:00:00Z", "America/Toronto", ModeDaily, "2026-11-03T13:00:00Z"},
		{"2026-11-04T13:00:00Z", "America/Toronto", ModeDaily, "2026-11-04T13:00:00Z"},
		// Weekly: the last Monday 08:00 (2 Nov 2026 is a Monday).
		{"2026-11-04T09:00:00Z", "", ModeWeekly, "2026-11-02T08:00:00Z"},
		{"2026-11-02T07:00:00Z", "", ModeWeekly, "2026-10-26T08:00:00Z"},
		{"2026-11-09T08:00:00Z", "", ModeWeekly, "2026-11-09T08:00:00Z"},
		// An unknown zone is UTC.
		{"2026-11-04T09:00:00Z", "Mars/Olympus", ModeDaily, "2026-11-04T08:00:00Z"},
	} {
		if got := lastSlot(utc(c.now), c.tz, c.period); !got.Equal(utc(c.want)) {
			t.Errorf("lastSlot(%s, %q, %s) = %s, want %s", c.now, c.tz, c.period, got.UTC(), c.want)
		}
	}
}

func TestEveryNotificationKindHasACategoryOrIsMailedElsewhere(t *testing.T) {
	elsewhere := map[string]bool{models.NotifyReportUrgent: true, models.NotifyCrisisUnacknowledged: true}
	for _, k := range []string{models.NotifyReply, models.NotifyMention, models.NotifyNewThread, models.NotifyBookmarkReminder, models.NotifyModerationWarning,
		models.NotifyReportResolved, models.NotifyReportUrgent, models.NotifyCrisisUnacknowledged, models.NotifyQuestionOffered,
		models.NotifyQuestionStatus, models.NotifyQuestionMessage, models.NotifyQuestionClosed, models.NotifyQuestionConsent,
		models.NotifyQuestionPool, models.NotifyQuestionUrgent, models.NotifyQuestionRemind, models.NotifyQuestionMoved,
		models.NotifyQuestionWaiting, models.NotifyQuestionReopened, models.NotifyQuestionsPaused, models.NotifyCredentialApproved,
		models.NotifyCredentialRejected, models.NotifyCredentialRevoked, models.NotifyCredentialExpired, models.NotifyCredentialExpiring,
		models.NotifyCredentialSubmitted} {
		cat := categoryOf(k, 1, 2, 3)
		if cat == "" && !elsewhere[k] {
			t.Errorf("kind %s is never e-mailed", k)
		}
		if cat != "" {
			if _, ok := CategoryByKey(cat); !ok {
				t.Errorf("kind %s maps to unknown category %s", k, cat)
			}
		}
	}
	if categoryOf(models.NotifyReply, 7, 7, 0) != "my_threads" || categoryOf(models.NotifyReply, 7, 8, 0) != "followed" {
		t.Error("replies to a member's own thread are not told apart")
	}
	if categoryOf(models.NotifyQuestionMessage, 7, 0, 7) != "questions" || categoryOf(models.NotifyQuestionMessage, 7, 0, 9) != "clinician_questions" {
		t.Error("question messages to the asker and to the clinician are not told apart")
	}
}

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("word ", 100)
	got := excerpt("  First line\n\nsecond\tline  ")
	if got != "First line second line" {
		t.Fatalf("%q", got)
	}
	if e := excerpt(long); !strings.HasSuffix(e, "…") || len([]rune(e)) > quoteLen+1 {
		t.Fatalf("long excerpt: %d runes", len([]rune(e)))
	}
}
