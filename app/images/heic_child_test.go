package images

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/kindred-health/kindred/models"
)

func TestMain(m *testing.M) {
	ServeHEICChild()
	os.Exit(m.Run())
}

func refusal(err error) string {
	var v *models.ValidationError
	if errors.As(err, &v) {
		return v.Fields["file"]
	}
	return ""
}

// A HEIC photo is decoded in a child process; one that takes too long is
// refused with words the member can act on, and the child is gone.
func TestHEICDecodedInAChildProcess(t *testing.T) {
	data, err := os.ReadFile("testdata/gradient.heic")
	if err != nil {
		t.Fatal(err)
	}
	img, err := isolatedHEIC(HEICTimeout)(context.Background(), data)
	if err != nil || img.Bounds().Dx() != 64 {
		t.Fatalf("child decode: %v", err)
	}
	start := time.Now()
	_, err = isolatedHEIC(time.Millisecond)(context.Background(), data)
	if refusal(err) != msgTooSlow {
		t.Fatalf("a decode past its time: %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("the slow child was not killed: %s", time.Since(start))
	}
	// Broken HEIC: the child's refusal comes back as the member's words.
	broken := append([]byte(nil), data[:len(data)/2]...)
	if _, err := isolatedHEIC(HEICTimeout)(context.Background(), broken); refusal(err) != msgUnreadable {
		t.Fatalf("a broken HEIC: %v", err)
	}
	// The whole path, as a server runs it.
	p, err := process(context.Background(), data, isolatedHEIC(HEICTimeout))
	if err != nil || p.ContentType != "image/jpeg" || p.Source != "heic" {
		t.Fatalf("process through the child: %v %+v", err, p)
	}
}
