package server_test

import (
	"testing"
	"time"

	"github.com/kindred-health/kindred/models"
)

// "A verified clinician now" is one rule with two spellings, SQL's
// clinician_verified and Go's models.VerifiedAt: they agree on every case.
func TestClinicianVerifiedRuleAgreesInSQLAndGo(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	later, earlier := at.Add(time.Second), at.Add(-time.Second)
	cases := []struct {
		status string
		until  *time.Time
		want   bool
	}{
		{"verified", &later, true},
		{"verified", &at, false}, // runs out at that very instant
		{"verified", &earlier, false},
		{"verified", nil, false},
		{"pending", &later, false},
		{"revoked", &later, false},
		{"expired", &later, false},
	}
	for _, c := range cases {
		var inSQL *bool
		if err := h.app.DB.Gorm.Raw(`SELECT clinician_verified(?, ?, ?)`, c.status, c.until, at).Scan(&inSQL).Error; err != nil {
			t.Fatal(err)
		}
		sqlSays := inSQL != nil && *inSQL // NULL (no date) is not verified
		if goSays := models.VerifiedAt(c.status, c.until, at); goSays != c.want || sqlSays != c.want {
			t.Errorf("%s until %v: Go %v, SQL %v, want %v", c.status, c.until, goSays, sqlSays, c.want)
		}
	}
}
