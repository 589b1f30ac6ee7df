// Package images takes members' pictures for posts: it checks each upload
// by its content, decodes it and encodes it again from its pixels (so no
// metadata, comment or hidden payload survives), keeps the result in a
// storage.Store under a random key, links images to the posts that show
// them, serves each one only to people who may read such a post, and
// removes images nobody shows any more.
package images

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/disintegration/imaging"
	"golang.org/x/image/webp"

	"github.com/kindred-health/kindred/models"
)

// Limits on what an upload may be and what Kindred makes of it.
const (
	// MaxPixels and MaxSide refuse decompression bombs before the pixels
	// are decoded: a few kilobytes of PNG can claim gigabytes of pixels.
	MaxPixels = 40_000_000
	MaxSide   = 12_000
	// MaxEdge is the longest side of a stored image: larger photos are
	// scaled down (a phone's 4,000 px are more than any page shows).
	MaxEdge = 2560
	// JPEGQuality is the quality opaque images are stored at.
	JPEGQuality = 85
	// DefaultMaxBytes is the upload limit unless KINDRED_IMAGE_MAX_BYTES says otherwise.
	DefaultMaxBytes = 10 << 20
)

// Accept lists the types the file chooser offers.
const Accept = "image/png,image/jpeg,image/webp,image/heic,image/heif"

// Messages members see when an upload is refused.
const (
	msgNotImage   = "Choose a photo in PNG, JPEG, WebP or HEIC format."
	msgPolyglot   = "This file is not a plain image."
	msgUnreadable = "This image could not be read: it may be damaged or cut short. Save it again and retry."
	msgTooManyPx  = "This image has too many pixels (more than 40 megapixels, or a side longer than 12,000). Save a smaller copy and retry."
)

// Processed is an image encoded again by Kindred.
type Processed struct {
	Data          []byte
	ContentType   string // image/jpeg or image/png
	Width, Height int
	// Source is the format that was uploaded (png, jpeg, webp, heic).
	Source string
}

// Ext is the file extension that goes with the stored type.
func (p *Processed) Ext() string { return extOf(p.ContentType) }

func extOf(contentType string) string {
	if contentType == "image/png" {
		return "png"
	}
	return "jpg"
}

func refused(msg string) error {
	v := models.NewValidationError()
	v.Add("file", msg)
	return v
}

// Process checks data as an upload and returns it encoded again: opaque
// images as JPEG, images with real transparency as PNG, at most MaxEdge
// on their longest side, turned upright by their EXIF orientation, and
// without any of the original's metadata. Refusals are
// *models.ValidationError on "file".
func Process(data []byte) (*Processed, error) {
	return process(context.Background(), data, func(_ context.Context, b []byte) (image.Image, error) { return decodeHEICHere(b) })
}

// checkSize refuses images too large to decode, from their header.
func checkSize(cfg image.Config) error {
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxSide || cfg.Height > MaxSide || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return refused(msgTooManyPx)
	}
	return nil
}

// process is Process with HEIC decoded by decodeHEIC (in a child process
// on a server: heic_child.go).
func process(ctx context.Context, data []byte, decodeHEIC func(context.Context, []byte) (image.Image, error)) (*Processed, error) {
	format := sniff(data)
	if format == "" {
		return nil, refused(msgNotImage)
	}
	if looksLikeOtherType(data) {
		return nil, refused(msgPolyglot)
	}
	var end int
	var err error
	switch format {
	case "png":
		end, err = pngEnd(data)
	case "jpeg":
		end, err = jpegEnd(data, 0)
	case "webp":
		end, err = webpEnd(data)
	case "heic":
		end, err = bmffEnd(data)
	}
	if err != nil {
		return nil, refused(msgUnreadable)
	}
	if end < len(data) {
		return nil, refused(msgPolyglot)
	}
	var img image.Image
	if format == "heic" {
		if img, err = decodeHEIC(ctx, data); err != nil {
			return nil, err
		}
	} else {
		cfg, err := decodeConfig(format, data)
		if err != nil {
			return nil, refused(msgUnreadable)
		}
		if err := checkSize(cfg); err != nil {
			return nil, err
		}
		if img, err = decode(format, data); err != nil {
			return nil, refused(msgUnreadable)
		}
	}
	// Orientation first: it lives in the metadata that is dropped next.
	if format == "jpeg" {
		img = orient(img, jpegOrientation(data))
	}
	b := img.Bounds()
	if w, h := b.Dx(), b.Dy(); max(w, h) > MaxEdge {
		if w >= h {
			img = imaging.Resize(img, MaxEdge, 0, imaging.Lanczos)
		} else {
			img = imaging.Resize(img, 0, MaxEdge, imaging.Lanczos)
		}
	}
	out := &Processed{Source: format, Width: img.Bounds().Dx(), Height: img.Bounds().Dy()}
	var buf bytes.Buffer
	if opaque(img) {
		out.ContentType = "image/jpeg"
		err = jpeg.Encode(&buf, flatten(img), &jpeg.Options{Quality: JPEGQuality})
	} else {
		out.ContentType = "image/png"
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img)
	}
	if err != nil {
		return nil, fmt.Errorf("images: encode: %w", err)
	}
	out.Data = buf.Bytes()
	return out, nil
}

// sniff names the format from the first bytes, or "".
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case len(b) >= 16 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	case len(b) >= 16 && string(b[4:8]) == "ftyp" && heifBrand(b):
		return "heic"
	}
	return ""
}

// heifBrand reports whether an ISO media file's ftyp box names a HEIF
// image coded with HEVC (what phones write; AVIF is not taken).
func heifBrand(b []byte) bool {
	size := int(binary.BigEndian.Uint32(b))
	if size < 16 || size > len(b) || size > 4096 {
		return false
	}
	brands := [][]byte{b[8:12]}
	for i := 16; i+4 <= size; i += 4 {
		brands = append(brands, b[i:i+4])
	}
	for _, br := range brands {
		switch string(br) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx":
			return true
		}
	}
	return false
}

// looksLikeOtherType reports whether the start of a file would also be
// taken for a web page, a script, a PDF or an archive by a browser or a
// tool that sniffs (old browsers looked for HTML tags in the first 256
// bytes, PDF readers for %PDF- in the first 1,024): such a file is made
// to be two things at once.
func looksLikeOtherType(b []byte) bool {
	head := bytes.ToLower(b[:min(len(b), 1024)])
	// Not "<?xml": photos' XMP metadata may start so, and it is dropped anyway.
	for _, marker := range []string{"<html", "<!doctype", "<script", "<body", "<svg", "<iframe", "<?php", "%pdf-", "pk\x03\x04", "pk\x05\x06"} {
		if bytes.Contains(head, []byte(marker)) {
			return true
		}
	}
	return false
}

var errTruncated = errors.New("images: truncated or malformed")

// pngEnd is the offset just after the IEND chunk.
func pngEnd(b []byte) (int, error) {
	i := 8
	for i+12 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[i:]))
		if n < 0 || n > len(b) {
			return 0, errTruncated
		}
		typ := string(b[i+4 : i+8])
		next := i + 12 + n
		if next > len(b) {
			return 0, errTruncated
		}
		if typ == "IEND" {
			return next, nil
		}
		i = next
	}
	return 0, errTruncated
}

// jpegEnd is the offset just after the EOI marker, walking the segments
// and the entropy-coded data of every scan (progressive files have
// several). Padding after it (zero or 0xFF bytes) counts as the image's;
// so do further JPEG images after it, as cameras store in the
// Multi-Picture Format (depth maps, previews).
func jpegEnd(b []byte, depth int) (int, error) {
	if depth > 4 || len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 0, errTruncated
	}
	i := 2
	for {
		// Fill bytes may precede a marker.
		for i < len(b) && b[i] == 0xFF && i+1 < len(b) && b[i+1] == 0xFF {
			i++
		}
		if i+2 > len(b) || b[i] != 0xFF {
			return 0, errTruncated
		}
		m := b[i+1]
		i += 2
		switch {
		case m == 0xD9: // EOI
			end := i
			for end < len(b) && (b[end] == 0x00 || b[end] == 0xFF) && !(b[end] == 0xFF && end+1 < len(b) && b[end+1] == 0xD8) {
				end++
			}
			if end < len(b) && bytes.HasPrefix(b[end:], []byte{0xFF, 0xD8, 0xFF}) {
				n, err := jpegEnd(b[end:], depth+1)
				if err != nil {
					return i, nil // the first image ends here; what follows is not an image
				}
				return end + n, nil
			}
			if end == len(b) {
				return end, nil
			}
			return i, nil
		case m >= 0xD0 && m <= 0xD7, m == 0x01: // stand-alone markers
			continue
		}
		if i+2 > len(b) {
			return 0, errTruncated
		}
		n := int(binary.BigEndian.Uint16(b[i:]))
		if n < 2 || i+n > len(b) {
			return 0, errTruncated
		}
		i += n
		if m != 0xDA { // not a start of scan
			continue
		}
		// Entropy-coded data: runs until a marker other than a stuffed
		// zero or a restart marker.
		for {
			k := bytes.IndexByte(b[i:], 0xFF)
			if k < 0 {
				return 0, errTruncated
			}
			i += k
			if i+1 >= len(b) {
				return 0, errTruncated
			}
			nx := b[i+1]
			if nx == 0x00 || (nx >= 0xD0 && nx <= 0xD7) || nx == 0xFF {
				i++
				if nx != 0xFF {
					i++
				}
				continue
			}
			break
		}
	}
}

// webpEnd is where the RIFF container says the file ends.
func webpEnd(b []byte) (int, error) {
	n := int64(binary.LittleEndian.Uint32(b[4:8])) + 8
	if n > int64(len(b)) || n < 12 {
		return 0, errTruncated
	}
	return int(n), nil
}

// bmffEnd is the end of the last top-level box of an ISO media file
// (HEIF): boxes must fill the file exactly.
func bmffEnd(b []byte) (int, error) {
	i := 0
	for i < len(b) {
		if i+8 > len(b) {
			return 0, errTruncated
		}
		size := int64(binary.BigEndian.Uint32(b[i:]))
		switch size {
		case 0: // to the end of the file
			return len(b), nil
		case 1:
			if i+16 > len(b) {
				return 0, errTruncated
			}
			size = int64(binary.BigEndian.Uint64(b[i+8:]))
		}
		if size < 8 || size > int64(len(b)-i) {
			return 0, errTruncated
		}
		i += int(size)
	}
	return i, nil
}

func decodeConfig(format string, b []byte) (image.Config, error) {
	r := bytes.NewReader(b)
	switch format {
	case "png":
		return png.DecodeConfig(r)
	case "jpeg":
		return jpeg.DecodeConfig(r)
	case "webp":
		return webp.DecodeConfig(r)
	}
	return image.Config{}, errTruncated
}

func decode(format string, b []byte) (image.Image, error) {
	r := bytes.NewReader(b)
	switch format {
	case "png":
		return png.Decode(r)
	case "jpeg":
		return jpeg.Decode(r)
	case "webp":
		return webp.Decode(r)
	}
	return nil, errTruncated
}

// opaque reports whether every pixel is fully opaque.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}

// flatten gives the JPEG encoder a type it has a fast path for. It is
// called on opaque images only: an opaque NRGBA's bytes are already RGBA.
func flatten(img image.Image) image.Image {
	switch m := img.(type) {
	case *image.YCbCr, *image.Gray, *image.RGBA:
		return img
	case *image.NRGBA:
		return &image.RGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
	}
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}

// orient turns an image as its EXIF orientation (1–8) says.
func orient(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}

// jpegOrientation reads the orientation tag (0x0112) of a JPEG's EXIF
// segment; 1 (upright) when there is none or it cannot be read.
func jpegOrientation(b []byte) int {
	i := 2
	for i+4 <= len(b) && b[i] == 0xFF {
		m := b[i+1]
		if m == 0xDA || m == 0xD9 {
			break
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			break
		}
		seg := b[i+4 : i+2+n]
		if m == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[off:]))
	for k := 0; k < count; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// readAtMost reads r up to limit bytes; more is a *models.TooLargeError.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("images: read upload: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(limit)
	}
	return data, nil
}

func tooLarge(limit int64) error {
	return &models.TooLargeError{Field: "file", Message: fmt.Sprintf("The image is larger than %s. Save a smaller copy and retry.", humanBytes(limit))}
}

func humanBytes(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KB", max(1, n>>10))
}
