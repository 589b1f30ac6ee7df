package testenv

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// Gradient is a w×h opaque picture whose left half is red and right half
// blue, so tests can tell which way it was turned.
func Gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{R: 220, G: uint8(y * 255 / max(1, h)), B: 30, A: 255}
			if x >= w/2 {
				c = color.RGBA{R: 30, G: uint8(y * 255 / max(1, h)), B: 220, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	return img
}

// PNG encodes img as PNG.
func PNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// JPEG encodes img as JPEG; with exif, that APP1 segment follows SOI, as
// cameras write it.
func JPEG(t testing.TB, img image.Image, exif []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	if exif == nil {
		return out
	}
	return append(append(append([]byte{}, out[:2]...), exif...), out[2:]...)
}

// GPSLatitude is the latitude EXIFSegment writes, as its three RATIONALs
// in little-endian bytes: 51° 30' 12.34" (tests look for these bytes).
var GPSLatitude = func() []byte {
	var b []byte
	for _, r := range [][2]uint32{{51, 1}, {30, 1}, {1234, 100}} {
		b = binary.LittleEndian.AppendUint32(b, r[0])
		b = binary.LittleEndian.AppendUint32(b, r[1])
	}
	return b
}()

// EXIFSegment is a JPEG APP1 segment ("Exif\0\0" and a little-endian TIFF
// structure) such as a phone writes: IFD0 with Orientation, Make and the
// camera's BodySerialNumber, and a GPS IFD with latitude N 51° 30' 12.34".
func EXIFSegment(orientation uint16, serial string) []byte {
	le := binary.LittleEndian
	type entry struct {
		tag, typ uint16
		count    uint32
		value    []byte // inline when ≤ 4 bytes, else at an offset
	}
	ascii := func(s string) []byte { return append([]byte(s), 0) }
	ifd0 := []entry{
		{0x010F, 2, uint32(len("KindredCam") + 1), ascii("KindredCam")},
		{0x0112, 3, 1, le.AppendUint16(nil, orientation)},
		{0x8825, 4, 1, nil}, // GPS IFD offset, filled below
		{0xA431, 2, uint32(len(serial) + 1), ascii(serial)},
	}
	gps := []entry{
		{0x0001, 2, 2, ascii("N")},
		{0x0002, 5, 3, GPSLatitude},
	}
	// Layout: header (8) | IFD0 | IFD0 data | GPS IFD | GPS data.
	size := func(es []entry) int { return 2 + 12*len(es) + 4 }
	dataSize := func(es []entry) int {
		n := 0
		for _, e := range es {
			if len(e.value) > 4 {
				n += len(e.value)
			}
		}
		return n
	}
	gpsAt := 8 + size(ifd0) + dataSize(ifd0)
	ifd0[2].value = le.AppendUint32(nil, uint32(gpsAt))
	tiff := []byte("II*\x00")
	tiff = le.AppendUint32(tiff, 8)
	write := func(es []entry, at int) {
		data := at + size(es)
		tiff = le.AppendUint16(tiff, uint16(len(es)))
		var extra []byte
		for _, e := range es {
			tiff = le.AppendUint16(tiff, e.tag)
			tiff = le.AppendUint16(tiff, e.typ)
			tiff = le.AppendUint32(tiff, e.count)
			if len(e.value) > 4 {
				tiff = le.AppendUint32(tiff, uint32(data+len(extra)))
				extra = append(extra, e.value...)
			} else {
				v := append(append([]byte{}, e.value...), make([]byte, 4-len(e.value))...)
				tiff = append(tiff, v...)
			}
		}
		tiff = le.AppendUint32(tiff, 0)
		tiff = append(tiff, extra...)
	}
	write(ifd0, 8)
	write(gps, gpsAt)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	return append(seg, payload...)
}

// PNGWithChunk inserts a chunk (type and data, CRC computed) right after
// a PNG's IHDR, where tools put metadata.
func PNGWithChunk(png []byte, typ string, data []byte) []byte {
	const afterIHDR = 8 + 25
	out := append([]byte{}, png[:afterIHDR]...)
	out = append(out, pngChunk(typ, data)...)
	return append(out, png[afterIHDR:]...)
}

// XMP is an XMP packet as cameras and editors embed it, with a GPS
// position and a camera serial number.
func XMP(serial string) string {
	return `<?xpacket begin="` + "\ufeff" + `" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` +
		`<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:aux="http://ns.adobe.com/exif/1.0/aux/" exif:GPSLatitude="51,30.2057N" exif:GPSLongitude="0,7.5W" aux:SerialNumber="` + serial + `"/>` +
		`</rdf:RDF></x:xmpmeta><?xpacket end="w"?>`
}

func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// PNGBomb is a small, valid-looking PNG header claiming w×h pixels: the
// signature, an IHDR chunk, a tiny IDAT and IEND.
func PNGBomb(w, h uint32) []byte {
	chunk := pngChunk
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, chunk("IEND", nil)...)
}

// ZIP is a minimal empty ZIP archive (an end-of-central-directory record)
// with one local file header before it, as a polyglot's tail carries.
func ZIP() []byte {
	local := []byte("PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00evil/")
	end := []byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	return append(local, end...)
}
