package forums

import (
	"strings"
	"testing"

	"github.com/kindred-health/kindred/models"
)

func TestTags(t *testing.T) {
	f := ThreadForm{Title: "A fine title", Body: "Body", Tags: SplitTags(" Type 1  Diabetes, insulin-pump,, type 1 diabetes , Café ")}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Tags, "|"); got != "type-1-diabetes|insulin-pump|café" {
		t.Errorf("tags %q", got)
	}
	for _, bad := range [][]string{
		{"a", "b", "c", "d", "e", "f"},
		{"<script>"},
		{`x" OR audience = "clinicians`},
		{strings.Repeat("long", 8)},
		{"-leading-hyphen"},
	} {
		f := ThreadForm{Title: "A fine title", Body: "Body", Tags: bad}
		err := f.Validate()
		verr, ok := err.(*models.ValidationError)
		if !ok || verr.Fields["tags"] == "" {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
