package images_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/images"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

func fileError(t *testing.T, err error) string {
	t.Helper()
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a field error, got %v", err)
	}
	return ve.Fields["file"]
}

func decoded(t *testing.T, p *images.Processed) image.Image {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(p.Data))
	if err != nil {
		t.Fatalf("output does not decode: %v", err)
	}
	if want := strings.TrimPrefix(p.ContentType, "image/"); format != want {
		t.Fatalf("output is %s, labelled %s", format, p.ContentType)
	}
	return img
}

// The bytes that come out carry nothing of the camera's metadata: no
// EXIF segment, GPS position or serial number, no XMP, ICC profile or
// comment.
func TestProcessStripsMetadata(t *testing.T) {
	t.Parallel()
	serial := "SN-4242-KINDRED-CAM"
	seg := func(marker byte, payload string) []byte {
		return append([]byte{0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
	}
	// EXIF, then XMP, an ICC profile and a comment, as editors leave them.
	meta := bytes.Join([][]byte{
		testenv.EXIFSegment(1, serial),
		seg(0xE1, "http://ns.adobe.com/xap/1.0/\x00"+testenv.XMP("XMP-"+serial)),
		seg(0xE2, "ICC_PROFILE\x00\x01\x01fake profile bytes"),
		seg(0xFE, "taken at 12 Rose Street by Maya"),
	}, nil)
	in := testenv.JPEG(t, testenv.Gradient(64, 48), meta)
	for _, want := range [][]byte{[]byte("Exif"), []byte(serial), testenv.GPSLatitude, []byte("xmpmeta"), []byte("ICC_PROFILE"), []byte("Rose Street")} {
		if !bytes.Contains(in, want) {
			t.Fatalf("the fixture lacks %q", want)
		}
	}
	p, err := images.Process(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range [][]byte{[]byte("Exif"), []byte(serial), testenv.GPSLatitude, []byte("KindredCam"), {0xFF, 0xE1},
		[]byte("xmpmeta"), []byte("ICC_PROFILE"), []byte("Rose Street"), {0xFF, 0xFE}, {0xFF, 0xE2}} {
		if bytes.Contains(p.Data, gone) {
			t.Errorf("output still holds %q", gone)
		}
	}
	if p.ContentType != "image/jpeg" || p.Width != 64 || p.Height != 48 {
		t.Errorf("got %s %dx%d", p.ContentType, p.Width, p.Height)
	}
	decoded(t, p)
}

func isRed(c color.Color) bool {
	r, _, b, _ := c.RGBA()
	return r > 0x9000 && b < 0x6000
}

// A PNG whose XMP packet (an iTXt chunk, as editors and screenshot tools
// write it) holds a position and a serial is taken, and none of it is
// left.
func TestProcessStripsXMP(t *testing.T) {
	t.Parallel()
	serial := "XMP-SERIAL-9931"
	xmp := append([]byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"), testenv.XMP(serial)...)
	in := testenv.PNGWithChunk(testenv.PNG(t, testenv.Gradient(30, 20)), "iTXt", xmp)
	p, err := images.Process(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{serial, "xmpmeta", "GPSLatitude", "iTXt", "51,30"} {
		if bytes.Contains(p.Data, []byte(gone)) {
			t.Errorf("output still holds %q", gone)
		}
	}
	decoded(t, p)
}

// A phone's portrait photo is stored sideways with orientation 6: it
// comes out upright (width and height swapped, the left half on top).
func TestProcessAppliesOrientation(t *testing.T) {
	t.Parallel()
	in := testenv.JPEG(t, testenv.Gradient(80, 40), testenv.EXIFSegment(6, "x"))
	p, err := images.Process(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != 40 || p.Height != 80 {
		t.Fatalf("orientation 6: %dx%d, want 40x80", p.Width, p.Height)
	}
	img := decoded(t, p)
	if !isRed(img.At(20, 10)) || isRed(img.At(20, 70)) {
		t.Errorf("turned the wrong way: top %v, bottom %v", img.At(20, 10), img.At(20, 70))
	}
}

func TestProcessFormats(t *testing.T) {
	t.Parallel()
	transparent := image.NewNRGBA(image.Rect(0, 0, 30, 20))
	for i := range transparent.Pix {
		transparent.Pix[i] = 0x80
	}
	webp, err := os.ReadFile("testdata/gradient.webp")
	if err != nil {
		t.Fatal(err)
	}
	heic, err := os.ReadFile("testdata/gradient.heic")
	if err != nil {
		t.Fatal(err)
	}
	progressive, err := os.ReadFile("testdata/progressive.jpg")
	if err != nil {
		t.Fatal(err)
	}
	restart, err := os.ReadFile("testdata/restart.jpg")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name          string
		in            []byte
		source, out   string
		width, height int
	}{
		{"opaque PNG", testenv.PNG(t, testenv.Gradient(50, 40)), "png", "image/jpeg", 50, 40},
		{"transparent PNG", testenv.PNG(t, transparent), "png", "image/png", 30, 20},
		{"JPEG", testenv.JPEG(t, testenv.Gradient(50, 40), nil), "jpeg", "image/jpeg", 50, 40},
		{"WebP", webp, "webp", "image/jpeg", 64, 48},
		{"HEIC", heic, "heic", "image/jpeg", 64, 48},
		{"progressive JPEG (ten scans)", progressive, "jpeg", "image/jpeg", 64, 48},
		{"JPEG with restart markers", restart, "jpeg", "image/jpeg", 64, 48},
		{"JPEG with a second image after it (Multi-Picture Format)", append(append([]byte{}, restart...), progressive...), "jpeg", "image/jpeg", 64, 48},
		{"JPEG with zero padding", append(append([]byte{}, progressive...), make([]byte, 64)...), "jpeg", "image/jpeg", 64, 48},
		{"large photo", testenv.JPEG(t, testenv.Gradient(3000, 1200), nil), "jpeg", "image/jpeg", 2560, 1024},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := images.Process(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if p.Source != c.source || p.ContentType != c.out || p.Width != c.width || p.Height != c.height {
				t.Errorf("got %s → %s %dx%d, want %s → %s %dx%d", p.Source, p.ContentType, p.Width, p.Height, c.source, c.out, c.width, c.height)
			}
			img := decoded(t, p)
			if b := img.Bounds(); b.Dx() != p.Width || b.Dy() != p.Height {
				t.Errorf("decoded %v, said %dx%d", b, p.Width, p.Height)
			}
		})
	}
}

func TestProcessRefuses(t *testing.T) {
	t.Parallel()
	png := testenv.PNG(t, testenv.Gradient(20, 20))
	jpg := testenv.JPEG(t, testenv.Gradient(20, 20), nil)
	webp, _ := os.ReadFile("testdata/gradient.webp")
	heic, _ := os.ReadFile("testdata/gradient.heic")
	progressive, _ := os.ReadFile("testdata/progressive.jpg")
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	const notImage, polyglot, unreadable, tooMany = "Choose a photo", "not a plain image", "could not be read", "too many pixels"
	cases := map[string]struct {
		in   []byte
		want string
	}{
		"HTML named x.png":          {[]byte("<!doctype html><script>alert(1)</script>"), notImage},
		"plain text":                {[]byte("just some words"), notImage},
		"PDF":                       {[]byte("%PDF-1.4\n%âãÏÓ\n"), notImage},
		"GIF":                       {[]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), notImage},
		"SVG":                       {[]byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), notImage},
		"ZIP":                       {testenv.ZIP(), notImage},
		"PNG then HTML":             {cat(png, []byte("<html><script>alert(document.cookie)</script></html>")), polyglot},
		"PNG then bytes":            {cat(png, []byte("xx")), polyglot},
		"JPEG then ZIP":             {cat(jpg, testenv.ZIP()), polyglot},
		"JPEG then HTML":            {cat(jpg, []byte("<script>alert(1)</script>")), polyglot},
		"progressive JPEG then ZIP": {cat(progressive, testenv.ZIP()), polyglot},
		"JPEG, padding, then ZIP":   {cat(jpg, make([]byte, 16), testenv.ZIP()), polyglot},
		"JPEG then a fake JPEG":     {cat(jpg, []byte{0xFF, 0xD8, 0xFF, 0xE0}, []byte("<html>")), polyglot},
		"PNG with HTML in a chunk":  {cat(png[:33], []byte("\x00\x00\x00\x1atEXt<html><script>x</script>\x00\x00\x00\x00"), png[33:]), polyglot},
		"WebP past its RIFF size":   {cat(webp, []byte("PK\x03\x04trailing")), polyglot},
		"HEIC then PHP":             {cat(heic, []byte("<?php system($_GET['c']); ?>")), polyglot},
		"HEIC then a stray byte":    {cat(heic, []byte("x")), unreadable},
		"PNG cut short":             {png[:len(png)-20], unreadable},
		"JPEG cut short":            {jpg[:len(jpg)/2], unreadable},
		"100000 x 100000 PNG":       {testenv.PNGBomb(100_000, 100_000), tooMany},
		"13000 x 10 PNG":            {testenv.PNGBomb(13_000, 10), tooMany},
		"empty":                     {nil, notImage},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := images.Process(c.in)
			if got := fileError(t, err); !strings.Contains(got, c.want) {
				t.Errorf("%q, want %q", got, c.want)
			}
		})
	}
}

// A decompression bomb is refused from its header: the 40 GB of pixels
// it claims are never allocated.
func TestProcessRefusesABombWithoutAllocating(t *testing.T) {
	bomb := testenv.PNGBomb(100_000, 100_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := images.Process(bomb)
	runtime.ReadMemStats(&after)
	if fileError(t, err) == "" {
		t.Fatal("bomb accepted")
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", n)
	}
}

// BenchmarkProcess12MP re-encodes a 12-megapixel phone photo (4000×3000,
// scaled to 2560×1920): go test -run '^$' -bench Process -benchmem ./app/images
func BenchmarkProcess12MP(b *testing.B) { benchmarkProcess(b, 4000, 3000) }

// BenchmarkProcess40MP is the largest image taken (7300×5470).
func BenchmarkProcess40MP(b *testing.B) { benchmarkProcess(b, 7300, 5470) }

func benchmarkProcess(b *testing.B, w, h int) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testenv.Gradient(w, h), &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	in := buf.Bytes()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := images.Process(in); err != nil {
			b.Fatal(err)
		}
	}
}
