package moderation

import (
	"testing"

	"github.com/kindred-health/kindred/models"
)

// The asker reads these reasons in the list of who read their question.
func TestReadReason(t *testing.T) {
	r := func(id int64, reason models.ReportReason) messageReport { return messageReport{ID: id, Reason: reason} }
	cases := []struct {
		name string
		open []messageReport
		want string
	}{
		{"one report", []messageReport{r(12, models.ReasonHarassment)}, "Reviewing report #12 (harassment or abuse)"},
		{"two reports", []messageReport{r(3, models.ReasonSpam), r(9, models.ReasonPrivacy)},
			"Reviewing reports #3 (spam or advertising) and #9 (shares someone's private information)"},
		{"three reports", []messageReport{r(1, models.ReasonOther), r(2, models.ReasonOffTopic), r(4, models.ReasonSelfHarm)},
			"Reviewing reports #1 (something else), #2 (off-topic) and #4 (someone may be at risk of harming themselves)"},
		{"many reports stay short", []messageReport{r(1, models.ReasonSpam), r(2, models.ReasonSpam), r(3, models.ReasonSpam), r(4, models.ReasonSpam),
			r(5, models.ReasonSpam), r(6, models.ReasonSpam), r(7, models.ReasonSpam)},
			"Reviewing reports #1 (spam or advertising), #2 (spam or advertising), #3 (spam or advertising), #4 (spam or advertising), #5 (spam or advertising) and 2 more"},
	}
	for _, tc := range cases {
		if got := readReason(tc.open); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
