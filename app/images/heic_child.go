package images

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/gen2brain/heic"

	"github.com/kindred-health/kindred/models"
)

// HEIC photos are decoded by libheif compiled to WebAssembly
// (gen2brain/heic), which cannot be interrupted: a crafted file that makes
// it loop or grow would hold one of the two decoding slots for good. So a
// server decodes them in a child process of its own executable, which is
// killed after HEICTimeout, and reads back a PNG.

// childEnv, set to "1", makes ServeHEICChild decode standard input.
const childEnv = "KINDRED_HEIC_DECODE"

// HEICTimeout is how long the child may take; a 40-megapixel photo takes
// about 5 s on a slow core.
const HEICTimeout = 30 * time.Second

// msgTooSlow refuses a photo the child did not convert in time.
const msgTooSlow = "This photo could not be converted in time. Save it as a JPEG and upload that."

// ServeHEICChild is called first thing by every program that builds a
// server (cmd/kindred, and TestMain of tests that upload): in the child,
// it decodes the HEIC on standard input, writes it as PNG to standard
// output and exits; anywhere else it returns at once.
func ServeHEICChild() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	data, err := io.ReadAll(io.LimitReader(os.Stdin, MaxStored))
	if err == nil {
		var img image.Image
		if img, err = decodeHEICHere(data); err == nil {
			w := bufio.NewWriter(os.Stdout)
			if err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img); err == nil {
				err = w.Flush()
			}
		}
	}
	if err != nil {
		// A refusal goes back as its words (exit 2); anything else as a
		// failure (exit 1).
		var v *models.ValidationError
		if errors.As(err, &v) && v.Fields["file"] != "" {
			fmt.Fprint(os.Stderr, v.Fields["file"])
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "heic:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// decodeHEICHere decodes in this process, after the same size checks as
// every format.
func decodeHEICHere(data []byte) (image.Image, error) {
	cfg, err := heic.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, refused(msgUnreadable)
	}
	if err := checkSize(cfg); err != nil {
		return nil, err
	}
	img, err := heic.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, refused(msgUnreadable)
	}
	return img, nil
}

// isolatedHEIC decodes in a child process of this executable (see
// ServeHEICChild), killed after timeout.
func isolatedHEIC(timeout time.Duration) func(context.Context, []byte) (image.Image, error) {
	return func(ctx context.Context, data []byte) (image.Image, error) {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("images: heic child: %w", err)
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		// The flag makes a test binary whose TestMain forgot
		// ServeHEICChild run no tests (its "PASS" is no PNG: an error,
		// not the whole suite again); the kindred binary never reads it.
		cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
		// Only the switch: the child needs no secret, setting or address.
		cmd.Env = []string{childEnv + "=1"}
		cmd.Stdin = bytes.NewReader(data)
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		err = cmd.Run()
		switch {
		case ctx.Err() == context.DeadlineExceeded:
			return nil, refused(msgTooSlow)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.ExitCode() == 2 {
				switch msg := stderr.String(); msg {
				case msgTooManyPx, msgUnreadable:
					return nil, refused(msg)
				}
				return nil, refused(msgUnreadable)
			}
			return nil, fmt.Errorf("images: heic child: %w", err)
		}
		img, err := png.Decode(&out)
		if err != nil {
			return nil, fmt.Errorf("images: heic child output: %w", err)
		}
		return img, nil
	}
}
