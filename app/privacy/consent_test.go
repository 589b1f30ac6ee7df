package privacy

import "testing"

func TestConsentFreePaths(t *testing.T) {
	for path, want := range map[string]bool{
		"/consent": true, "/static/abc/css/app.css": true, "/account/export/download": true, "/email/unsubscribe": true,
		"/api/v1/me/consent": true, "/api/v1/me/exports": true,
		"/": false, "/account": false, "/account/tokens": false, "/termsx": false, "/api/v1/me": false, "/staticx": false,
	} {
		if got := consentFreePath(path); got != want {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
}
