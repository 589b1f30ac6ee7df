package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// imageBody is a multipart form with the image in "file", as the upload
// page and the composer send it.
func imageBody(fields url.Values, fileName string, content []byte) (io.Reader, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	if fileName != "" {
		fw, _ := w.CreateFormFile("file", fileName)
		_, _ = fw.Write(content)
	}
	_ = w.Close()
	return &buf, w.FormDataContentType()
}

// uploadPage sends the plain upload page's form (no JavaScript).
func (b *browser) uploadPage(forum, alt, fileName string, content []byte) *resp {
	b.h.t.Helper()
	b.get("/images/new?forum=" + forum)
	body, ctype := imageBody(url.Values{"csrf_token": {b.csrf}, "forum": {forum}, "alt": {alt}}, fileName, content)
	req, _ := http.NewRequest(http.MethodPost, b.h.srv.URL+"/images", body)
	req.Header.Set("Content-Type", ctype)
	return b.do(req)
}

// uploadJSON sends what the composer's script sends: the form, asking for JSON.
func (b *browser) uploadJSON(forum, alt, fileName string, content []byte) (*resp, map[string]any) {
	b.h.t.Helper()
	b.get("/images/new?forum=" + forum)
	body, ctype := imageBody(url.Values{"csrf_token": {b.csrf}, "forum": {forum}, "alt": {alt}}, fileName, content)
	req, _ := http.NewRequest(http.MethodPost, b.h.srv.URL+"/images", body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	r := b.do(req)
	var out map[string]any
	_ = json.Unmarshal([]byte(r.body), &out)
	return r, out
}

// apiUpload is POST /api/v1/images with a token.
func (h *harness) apiUpload(token, forum, alt, fileName string, content []byte) apiResp {
	h.t.Helper()
	body, ctype := imageBody(url.Values{"forum": {forum}, "alt": {alt}}, fileName, content)
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/api/v1/images", body)
	req.Header.Set("Content-Type", ctype)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return h.send(req)
}

// imageKey is the key of an uploaded image, from the API's answer.
func imageKey(t *testing.T, r apiResp) string {
	t.Helper()
	img, _ := r.Body["image"].(map[string]any)
	key, _ := img["key"].(string)
	if r.Status != http.StatusCreated || key == "" {
		t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	return key
}

var pageKeyRe = regexp.MustCompile(`!\[[^\]]*\]\(/images/([0-9a-f]{32})\)`)

// fetched is a GET of an image by a browser (cookies) or with a token.
type fetched struct {
	status int
	header http.Header
	body   []byte
}

func (b *browser) image(key string, headers ...string) fetched {
	b.h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.h.srv.URL+"/images/"+key, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return fetched{res.StatusCode, res.Header, body}
}

func (h *harness) imageWithToken(key, token string) fetched {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/images/"+key, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return fetched{res.StatusCode, res.Header, body}
}

func storedKeys(t *testing.T, h *harness) []string {
	t.Helper()
	var keys []string
	if err := h.app.ImageStore.List(context.Background(), func(k string) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	return keys
}

func decodeImage(t *testing.T, b []byte) (image.Image, string) {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("served image does not decode: %v", err)
	}
	return img, format
}

// Uploads through the plain page, the composer and the API: every format
// comes out re-encoded, the EXIF segment with its GPS position and camera
// serial is gone from the served bytes, a sideways phone photo comes out
// upright, and the answer carries the headers that keep a browser from
// taking it for anything but an image.
func TestImageUploadThroughHTMLAndAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("pumps", nil)
	maya := h.member("maya")
	token := h.tokenFor("maya", "write")
	serial := "SN-77-KINDRED-PHONE"
	exifJPEG := testenv.JPEG(t, testenv.Gradient(64, 48), testenv.EXIFSegment(1, serial))

	// The page without JavaScript shows the Markdown to paste.
	r := maya.uploadPage("pumps", "My pump [new]", "pump.png", testenv.PNG(t, testenv.Gradient(40, 30)))
	if r.StatusCode != http.StatusCreated || !strings.Contains(r.body, `value="![My pump \[new\]](/images/`) {
		t.Fatalf("upload page: %d\n%s", r.StatusCode, r.body)
	}
	pngKey := pageKeyRe.FindStringSubmatch(strings.ReplaceAll(r.body, `\[new\]`, "new"))[1]

	// The composer gets JSON.
	jr, out := maya.uploadJSON("pumps", "A photo of my arm", "IMG_0001.JPG", exifJPEG)
	img, _ := out["image"].(map[string]any)
	if jr.StatusCode != http.StatusCreated || img == nil || img["markdown"] != "![A photo of my arm](/images/"+img["key"].(string)+")" ||
		img["width"] != float64(64) || img["height"] != float64(48) || img["url"] != "/images/"+img["key"].(string) {
		t.Fatalf("composer upload: %d %s", jr.StatusCode, jr.body)
	}
	exifKey := img["key"].(string)

	// EXIF gone: the bytes served hold neither the segment, the GPS
	// position nor the camera's serial number, and they decode.
	got := maya.image(exifKey)
	if got.status != http.StatusOK {
		t.Fatalf("own image: %d", got.status)
	}
	for _, gone := range [][]byte{[]byte("Exif"), []byte(serial), testenv.GPSLatitude, []byte("KindredCam")} {
		if bytes.Contains(got.body, gone) {
			t.Errorf("served image still holds %q", gone)
		}
	}
	if _, format := decodeImage(t, got.body); format != "jpeg" {
		t.Errorf("served %s", format)
	}
	for name, want := range map[string]string{
		"Content-Type":            "image/jpeg",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
		"Content-Disposition":     `inline; filename="image.jpg"`,
		"Cache-Control":           "private, max-age=300",
		"ETag":                    `"` + exifKey + `"`,
	} {
		if v := got.header.Get(name); v != want {
			t.Errorf("%s: %q, want %q", name, v, want)
		}
	}
	if again := maya.image(exifKey, "If-None-Match", `"`+exifKey+`"`); again.status != http.StatusNotModified || len(again.body) != 0 {
		t.Errorf("If-None-Match: %d, %d bytes", again.status, len(again.body))
	}

	// An opaque PNG is stored as JPEG; a transparent one stays PNG.
	if got := maya.image(pngKey); got.header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("opaque PNG served as %s", got.header.Get("Content-Type"))
	}
	clear := image.NewNRGBA(image.Rect(0, 0, 10, 10))
	tKey := imageKey(t, h.apiUpload(token, "pumps", "A see-through square", "square.png", testenv.PNG(t, clear)))
	if got := maya.image(tKey); got.header.Get("Content-Type") != "image/png" || got.header.Get("Content-Disposition") != `inline; filename="image.png"` {
		t.Errorf("transparent PNG served as %s, %s", got.header.Get("Content-Type"), got.header.Get("Content-Disposition"))
	}

	// WebP and HEIC (an iPhone's photos) come out as JPEG, through the API.
	for _, f := range []string{"gradient.webp", "gradient.heic"} {
		content, err := os.ReadFile("../images/testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		ar := h.apiUpload(token, "pumps", "A gradient", f, content)
		key := imageKey(t, ar)
		if ai := ar.Body["image"].(map[string]any); ai["content_type"] != "image/jpeg" || ai["width"] != float64(64) {
			t.Errorf("%s: %s", f, ar.Raw)
		}
		got := h.imageWithToken(key, token)
		if _, format := decodeImage(t, got.body); got.status != http.StatusOK || format != "jpeg" {
			t.Errorf("%s served: %d %s", f, got.status, format)
		}
	}

	// A portrait photo stored sideways (orientation 6) comes out upright.
	oKey := imageKey(t, h.apiUpload(token, "pumps", "Standing photo", "portrait.jpg",
		testenv.JPEG(t, testenv.Gradient(80, 40), testenv.EXIFSegment(6, "x"))))
	if pic, _ := decodeImage(t, maya.image(oKey).body); pic.Bounds().Dx() != 40 || pic.Bounds().Dy() != 80 {
		t.Errorf("orientation 6 served as %v", pic.Bounds())
	}
	if n := len(storedKeys(t, h)); n != 6 || h.count("images") != 6 {
		t.Errorf("%d objects, %d rows after six uploads", n, h.count("images"))
	}
}

// Files that are not plain images, or too big, are refused with a clear
// message on the page and in the API, and nothing is kept: no row, no
// object. Visitors cannot upload, and the browser form needs its CSRF token.
func TestImageUploadsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_IMAGE_MAX_BYTES": "65536"}})
	h.forum("pumps", nil)
	maya := h.member("maya")
	token := h.tokenFor("maya", "write")
	png := testenv.PNG(t, testenv.Gradient(20, 20))
	jpg := testenv.JPEG(t, testenv.Gradient(20, 20), nil)
	cases := []struct {
		name, file string
		content    []byte
		status     int
		want       string
	}{
		{"an HTML page named x.png", "x.png", []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"), 422, "Choose a photo in PNG, JPEG, WebP or HEIC format."},
		{"a PNG with an HTML page after it", "cat.png", append(append([]byte{}, png...), "<html><script>alert(1)</script>"...), 422, "This file is not a plain image."},
		{"a JPEG whose tail is a ZIP", "cat.jpg", append(append([]byte{}, jpg...), testenv.ZIP()...), 422, "This file is not a plain image."},
		{"a PNG claiming 100000 x 100000 pixels", "bomb.png", testenv.PNGBomb(100_000, 100_000), 422, "too many pixels"},
		{"a file over the limit", "big.png", bytes.Repeat([]byte{0x89}, 70_000), 413, "larger than 64 KB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := maya.uploadPage("pumps", "A picture", c.file, c.content)
			if r.StatusCode != c.status || !strings.Contains(strings.ReplaceAll(r.body, "&#39;", "'"), c.want) {
				t.Errorf("page: %d, want %d with %q\n%s", r.StatusCode, c.status, c.want, r.body)
			}
			if !strings.Contains(r.body, `value="A picture"`) {
				t.Error("the page lost the description typed")
			}
			a := h.apiUpload(token, "pumps", "A picture", c.file, c.content)
			e, _ := a.Body["error"].(map[string]any)
			fields, _ := e["fields"].(map[string]any)
			if a.Status != c.status || fields == nil || !strings.Contains(fields["file"].(string), c.want) {
				t.Errorf("API: %d %s, want %d with %q", a.Status, a.Raw, c.status, c.want)
			}
		})
	}
	// A body far past the limit is refused while it is read.
	big := h.apiUpload(token, "pumps", "Big", "big.png", bytes.Repeat([]byte{0x89}, 2<<20))
	if big.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB body: %d %s", big.Status, big.Raw)
	}

	// No CSRF token: refused.
	body, ctype := imageBody(url.Values{"forum": {"pumps"}, "alt": {"x"}}, "ok.png", png)
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/images", body)
	req.Header.Set("Content-Type", ctype)
	if r := maya.do(req); r.StatusCode != http.StatusForbidden {
		t.Errorf("upload without CSRF token: %d", r.StatusCode)
	}
	// Visitors: neither the page nor the API.
	visitor := h.browser()
	visitor.get("/signin") // a visitor's CSRF token
	body, ctype = imageBody(url.Values{"forum": {"pumps"}, "alt": {"x"}, "csrf_token": {visitor.csrf}}, "ok.png", png)
	req, _ = http.NewRequest(http.MethodPost, h.srv.URL+"/images", body)
	req.Header.Set("Content-Type", ctype)
	if r := visitor.do(req); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("visitor upload: %d", r.StatusCode)
	}
	if r := visitor.get("/images/new?forum=pumps"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("visitor upload page: %d", r.StatusCode)
	}
	if a := h.apiUpload("", "pumps", "x", "ok.png", png); a.Status != http.StatusUnauthorized {
		t.Errorf("API upload without token: %d", a.Status)
	}
	if a := h.apiUpload(h.tokenFor("maya", "read"), "pumps", "x", "ok.png", png); a.Status != http.StatusForbidden {
		t.Errorf("API upload with a read token: %d", a.Status)
	}
	// A forum the member may not read is as missing.
	h.forum("staff-room", func(f *forums.ForumForm) { f.ClinicianOnly = true })
	if a := h.apiUpload(token, "staff-room", "x", "ok.png", png); a.Status != http.StatusNotFound {
		t.Errorf("upload for a clinician-only forum by a member: %d", a.Status)
	}
	if rows, objects := h.count("images"), len(storedKeys(t, h)); rows != 0 || objects != 0 {
		t.Errorf("refused uploads left %d rows and %d objects", rows, objects)
	}
	// The limit allows a fitting image.
	if a := h.apiUpload(token, "pumps", "A small one", "ok.png", png); a.Status != http.StatusCreated {
		t.Errorf("fitting upload: %d %s", a.Status, a.Raw)
	}
}

// An image is exactly as visible as a post that shows it: in a sensitive
// forum visitors get the 404 a missing image gets (never 403), members
// see it; a clinician-only forum's image is 404 for plain members; the
// images of held, removed or deleted posts are not served to others; an
// image not yet posted is seen by its uploader only. A bearer token works
// on the same address.
func TestImageVisibilityFollowsPosts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	public := h.forum("pumps", nil)
	sensitive := h.forum("low-mood", func(f *forums.ForumForm) { f.Sensitive = true })
	clinical := h.forum("staff-room", func(f *forums.ForumForm) { f.ClinicianOnly = true })
	h.account("maya", models.RoleMember)
	h.account("sam", models.RoleMember)
	h.clinician("dr_ada", "cardiology")
	h.clinician("dr_bo", "cardiology")
	mayaToken, samToken, adaToken := h.tokenFor("maya", "write"), h.tokenFor("sam", "read"), h.tokenFor("dr_ada", "write")
	sam := h.browser()
	sam.signIn("sam", goodPassword)
	bo := h.browser()
	bo.signIn("dr_bo", goodPassword)
	visitor := h.browser()
	pic := func(token, forum string) string {
		return imageKey(t, h.apiUpload(token, forum, "A picture", "p.png", testenv.PNG(t, testenv.Gradient(30, 20))))
	}
	post := func(handle string, f *models.Forum, key string) *models.Thread {
		return h.thread(handle, f, "A thread with a picture", "Look: ![A picture](/images/"+key+")", false)
	}
	missing := strings.Repeat("0", 32)
	notFound := visitor.image(missing)
	if notFound.status != http.StatusNotFound {
		t.Fatalf("missing image: %d", notFound.status)
	}

	pubKey := pic(mayaToken, "pumps")
	// Before it is posted: the uploader only.
	if got := h.imageWithToken(pubKey, samToken); got.status != http.StatusNotFound {
		t.Errorf("unposted image, another member: %d", got.status)
	}
	if got := h.imageWithToken(pubKey, mayaToken); got.status != http.StatusOK {
		t.Errorf("unposted image, its uploader: %d", got.status)
	}
	pubThread := post("maya", public, pubKey)
	if got := visitor.image(pubKey); got.status != http.StatusOK || got.header.Get("Cache-Control") != "public, max-age=300, s-maxage=1" {
		t.Errorf("public forum, visitor: %d %q", got.status, got.header.Get("Cache-Control"))
	}

	sensKey := pic(mayaToken, "low-mood")
	post("maya", sensitive, sensKey)
	got := visitor.image(sensKey)
	// The same page as for a missing image, but for the address it names
	// and the script nonce every page gets.
	nonce := regexp.MustCompile(`nonce="[^"]*"`)
	same := func(a, b []byte) bool { return bytes.Equal(nonce.ReplaceAll(a, nil), nonce.ReplaceAll(b, nil)) }
	if got.status != http.StatusNotFound || !same(bytes.ReplaceAll(got.body, []byte(sensKey), []byte(missing)), notFound.body) ||
		got.header.Get("Content-Type") != notFound.header.Get("Content-Type") {
		t.Errorf("sensitive forum, visitor: %d (%s), want the missing image's 404", got.status, got.header.Get("Content-Type"))
	}
	if got := h.imageWithToken(sensKey, ""); got.status != http.StatusNotFound {
		t.Errorf("sensitive forum, no token: %d", got.status)
	}
	if got := sam.image(sensKey); got.status != http.StatusOK || got.header.Get("Cache-Control") != "private, max-age=300" {
		t.Errorf("sensitive forum, member: %d %q", got.status, got.header.Get("Cache-Control"))
	}
	if got := h.imageWithToken(sensKey, samToken); got.status != http.StatusOK {
		t.Errorf("sensitive forum, member's token: %d", got.status)
	}

	clinKey := pic(adaToken, "staff-room")
	post("dr_ada", clinical, clinKey)
	if got := sam.image(clinKey); got.status != http.StatusNotFound {
		t.Errorf("clinician-only forum, member: %d", got.status)
	}
	if got := visitor.image(clinKey); got.status != http.StatusNotFound {
		t.Errorf("clinician-only forum, visitor: %d", got.status)
	}
	if got := bo.image(clinKey); got.status != http.StatusOK {
		t.Errorf("clinician-only forum, another clinician: %d", got.status)
	}

	// Held, removed and deleted posts: their images go with them.
	heldKey := pic(mayaToken, "pumps")
	reply := h.reply("maya", pubThread.ID, "And another: ![A picture](/images/"+heldKey+")", false)
	if got := visitor.image(heldKey); got.status != http.StatusOK {
		t.Fatalf("visible reply's image: %d", got.status)
	}
	for _, vis := range []models.Visibility{models.Pending, models.Removed} {
		if err := h.app.DB.Gorm.Exec(`UPDATE posts SET visibility = ? WHERE id = ?`, vis, reply.ID).Error; err != nil {
			t.Fatal(err)
		}
		if got := sam.image(heldKey); got.status != http.StatusNotFound {
			t.Errorf("%s post, member: %d", vis, got.status)
		}
		if got := visitor.image(heldKey); got.status != http.StatusNotFound {
			t.Errorf("%s post, visitor: %d", vis, got.status)
		}
		if got := h.imageWithToken(heldKey, mayaToken); got.status != http.StatusOK {
			t.Errorf("%s post, its author: %d", vis, got.status)
		}
	}
	delKey := pic(mayaToken, "pumps")
	second := h.reply("maya", pubThread.ID, "![A picture](/images/"+delKey+")", false)
	if r := h.api(http.MethodDelete, "/api/v1/posts/"+itoa(second.ID), mayaToken, nil); r.Status >= 300 {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	if got := sam.image(delKey); got.status != http.StatusNotFound {
		t.Errorf("deleted post's image, member: %d", got.status)
	}
}

// Posting: an image shows as <img> with its description and size; an
// image someone else uploaded, or one uploaded for another forum, is a
// field error, not a silent link; an image without a description is
// refused on the page (with the text kept) and in the API; an outside
// image stays a link and is never fetched.
func TestImagePostingRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("pumps", nil)
	h.forum("diet", nil)
	maya := h.member("maya")
	h.member("sam")
	mayaToken, samToken := h.tokenFor("maya", "write"), h.tokenFor("sam", "write")
	png := testenv.PNG(t, testenv.Gradient(40, 30))
	mine := imageKey(t, h.apiUpload(mayaToken, "pumps", "x", "a.png", png))
	other := imageKey(t, h.apiUpload(mayaToken, "diet", "x", "b.png", png))
	sams := imageKey(t, h.apiUpload(samToken, "pumps", "x", "c.png", png))

	create := func(body string) apiResp {
		return h.api(http.MethodPost, "/api/v1/forums/pumps/threads", mayaToken, map[string]any{"title": "My pump and me", "body": body})
	}
	const altMsg = "Describe the image for people who can't see it (alt text)"
	for body, want := range map[string]string{
		"Look ![Sam's photo](/images/" + sams + ")":     "not one you uploaded",
		"Look ![From diet](/images/" + other + ")":      "uploaded for another forum",
		"Look ![](/images/" + mine + ")":                altMsg,
		"Look ![ ](/images/" + mine + ") and no words.": altMsg,
	} {
		r := create(body)
		e, _ := r.Body["error"].(map[string]any)
		fields, _ := e["fields"].(map[string]any)
		if r.Status != http.StatusUnprocessableEntity || fields == nil || !strings.Contains(fields["body"].(string), want) {
			t.Errorf("%q: %d %s, want 422 with %q", body, r.Status, r.Raw, want)
		}
	}
	// The preview shows the member's own image, and only theirs.
	pv := h.api(http.MethodPost, "/api/v1/preview", mayaToken, map[string]any{"body": "![Mine](/images/" + mine + ") ![Sam's](/images/" + sams + ")"})
	if html, _ := pv.Body["body_html"].(string); pv.Status != http.StatusOK || !strings.Contains(html, `<img src="/images/`+mine+`"`) || strings.Contains(html, `<img src="/images/`+sams+`"`) {
		t.Errorf("preview: %d %s", pv.Status, pv.Raw)
	}
	// The page shows the form again, the text kept.
	maya.get("/f/pumps/new")
	r := maya.post("/f/pumps/threads", url.Values{"title": {"My pump and me"}, "body": {"Here ![](/images/" + mine + ")"}, "action": {"post"}})
	if html := strings.ReplaceAll(r.body, "&#39;", "'"); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html, altMsg) ||
		!strings.Contains(html, "Here ![](/images/"+mine+")</textarea>") {
		t.Errorf("page without alt text: %d\n%s", r.StatusCode, r.body)
	}
	if h.count("threads") != 0 || h.count("post_images") != 0 {
		t.Fatal("a refused post was saved")
	}

	ok := create("My pump ![My pump, clipped to a belt](/images/" + mine + ") and a chart ![sugar chart](https://example.org/chart.png)")
	if ok.Status != http.StatusCreated {
		t.Fatalf("thread: %d %s", ok.Status, ok.Raw)
	}
	id := int64(ok.Body["id"].(float64))
	page := h.browser().get("/t/" + itoa(id))
	want := `<img src="/images/` + mine + `" alt="My pump, clipped to a belt" loading="lazy" width="40" height="30">`
	if !strings.Contains(page.body, want) {
		t.Errorf("thread page lacks %s", want)
	}
	if !strings.Contains(page.body, `<a href="https://example.org/chart.png" rel="nofollow ugc noopener">sugar chart</a>`) || strings.Contains(page.body, `src="https://example.org`) {
		t.Error("the outside image is not a plain link")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM post_images pi JOIN images i ON i.id = pi.image_id WHERE i.key = ?`, mine); n != 1 {
		t.Errorf("post_images rows: %d", n)
	}
	// One post per image: the same picture in a second post (here an
	// anonymous one would be tied to the signed first) is refused; the
	// post that has it may keep it through edits.
	r2 := h.api(http.MethodPost, "/api/v1/threads/"+itoa(id)+"/posts", mayaToken, map[string]any{"body": "Again ![My pump](/images/" + mine + ")"})
	if e, _ := r2.Body["error"].(map[string]any); r2.Status != http.StatusUnprocessableEntity || !strings.Contains(r2.Raw, "already in another post") || e == nil {
		t.Errorf("the same image in a second post: %d %s", r2.Status, r2.Raw)
	}
	p := h.firstPost(id)
	if r := h.api(http.MethodPatch, "/api/v1/posts/"+itoa(p.ID), mayaToken, map[string]any{"body": "Still: ![My pump, clipped to a belt](/images/" + mine + ")"}); r.Status != http.StatusOK {
		t.Errorf("edit keeping the image: %d %s", r.Status, r.Raw)
	}
	// A thread moved to another forum keeps its images through edits.
	diet := h.forum("diet-and-pumps", nil)
	if err := h.app.DB.Gorm.Exec(`UPDATE threads SET forum_id = ? WHERE id = ?`, diet.ID, id).Error; err != nil {
		t.Fatal(err)
	}
	if r := h.api(http.MethodPatch, "/api/v1/posts/"+itoa(p.ID), mayaToken, map[string]any{"body": "Moved: ![My pump, clipped to a belt](/images/" + mine + ")"}); r.Status != http.StatusOK {
		t.Errorf("edit after a move, keeping the image: %d %s", r.Status, r.Raw)
	}
	if err := h.app.DB.Gorm.Exec(`UPDATE threads SET forum_id = (SELECT id FROM forums WHERE slug = 'pumps') WHERE id = ?`, id).Error; err != nil {
		t.Fatal(err)
	}
	// The compose pages offer Add image, with the no-JavaScript link for this forum.
	for _, path := range []string{"/f/pumps/new", "/t/" + itoa(id), "/posts/" + itoa(p.ID) + "/edit"} {
		if page := maya.get(path); !strings.Contains(page.body, `<input id="image-file" type="file" accept="image/png,image/jpeg,image/webp,image/heic,image/heif">`) ||
			!strings.Contains(page.body, `href="/images/new?forum=pumps"`) {
			t.Errorf("%s lacks the Add image control", path)
		}
	}
	// Edited out: the link goes; someone else's image in an edit is refused.
	if r := h.api(http.MethodPatch, "/api/v1/posts/"+itoa(p.ID), mayaToken, map[string]any{"body": "Sam's: ![Sam's](/images/" + sams + ")"}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("edit with someone else's image: %d %s", r.Status, r.Raw)
	}
	if r := h.api(http.MethodPatch, "/api/v1/posts/"+itoa(p.ID), mayaToken, map[string]any{"body": "No picture after all."}); r.Status != http.StatusOK {
		t.Fatalf("edit: %d %s", r.Status, r.Raw)
	}
	if n := h.count("post_images"); n != 0 {
		t.Errorf("post_images after the edit: %d", n)
	}
}

// The sweep removes, from the table and the store, images never posted
// after a day, images edited out or whose post was deleted, and objects
// no row names; it keeps posted images and those a saved draft names.
func TestImageSweepRemovesOrphans(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("pumps", nil)
	h.member("maya")
	token := h.tokenFor("maya", "write")
	png := testenv.PNG(t, testenv.Gradient(20, 20))
	up := func() string { return imageKey(t, h.apiUpload(token, "pumps", "x", "a.png", png)) }
	posted, unposted, drafted, deleted := up(), up(), up(), up()
	th := h.thread("maya", f, "Pictures of my pump", "![pump](/images/"+posted+")", false)
	gone := h.reply("maya", th.ID, "![pump](/images/"+deleted+")", false)
	if r := h.api(http.MethodDelete, "/api/v1/posts/"+itoa(gone.ID), token, nil); r.Status >= 300 {
		t.Fatalf("delete: %d", r.Status)
	}
	if r := h.api(http.MethodPut, "/api/v1/threads/"+itoa(th.ID)+"/draft", token, map[string]any{"body": "later ![pump](/images/" + drafted + ")"}); r.Status >= 300 {
		t.Fatalf("draft: %d %s", r.Status, r.Raw)
	}
	stray := strings.Repeat("ab", 16) // an object whose row never committed
	if err := h.app.ImageStore.Put(context.Background(), stray, bytes.NewReader(png), int64(len(png)), "image/png"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if res, err := h.app.Images.Sweep(ctx); err != nil || res.Unused != 0 || res.Unnamed != 0 {
		t.Fatalf("fresh uploads swept: %+v %v", res, err)
	}
	if n := len(storedKeys(t, h)); n != 5 {
		t.Fatalf("%d objects before the day is over", n)
	}
	h.clock.Advance(25 * time.Hour)
	res, err := h.app.Images.Sweep(ctx)
	if err != nil || res.Unused != 2 || res.Unnamed != 1 {
		t.Errorf("sweep: %+v %v, want 2 unused (unposted, deleted) and 1 unnamed", res, err)
	}
	keys := storedKeys(t, h)
	left := map[string]bool{}
	for _, k := range keys {
		left[k] = true
	}
	if len(keys) != 2 || !left[posted] || !left[drafted] || left[unposted] || left[deleted] || left[stray] {
		t.Errorf("left in the store: %v; want the posted %s and drafted %s", keys, posted, drafted)
	}
	if n := h.count("images"); n != 2 {
		t.Errorf("%d image rows left", n)
	}
	if got := h.imageWithToken(unposted, token); got.status != http.StatusNotFound {
		t.Errorf("swept image: %d", got.status)
	}
	// An erased account's images go, rows and objects.
	if n, err := h.app.Images.DeleteUploadsOf(ctx, h.user("maya").ID); err != nil || n != 2 {
		t.Errorf("delete uploads: %d %v", n, err)
	}
	if n := len(storedKeys(t, h)); n != 0 || h.count("images") != 0 || h.count("post_images") != 0 {
		t.Errorf("after erasing: %d objects, %d rows", n, h.count("images"))
	}
}

// A member adds an image to a reply with the keyboard: chooses the file,
// describes it and presses Enter; the composer gets the Markdown at the
// cursor, and the posted reply shows the picture with that description.
// The thread page with the composer passes axe.
func TestImageBrowserReplyComposer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("pumps", func(f *forums.ForumForm) { f.Name = "Insulin pumps" })
	h.account("maya", models.RoleMember)
	h.account("sam", models.RoleMember)
	th := h.thread("sam", f, "Show us your pump set-up", "How do you wear yours?", false)
	file := t.TempDir() + "/pump.png"
	if err := os.WriteFile(file, testenv.PNG(t, testenv.Gradient(120, 90)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newPage(t, h)
	p.signIn("maya")
	p.visit("/t/"+itoa(th.ID), "Show us your pump set-up")
	if p.eval(`String(document.querySelector(".image-attach-controls").hidden) + " " + String(document.querySelector(".image-attach-link").hidden)`) != "false true" {
		t.Fatal("the script did not switch the composer to in-page uploads")
	}
	p.checkA11y("thread page with the image composer")
	const alt = "My pump clipped to a belt"
	p.do(
		chromedp.SendKeys(chromedp.ID("body"), "Mine sits here:"),
		chromedp.SetUploadFiles(chromedp.ID("image-file"), []string{file}),
		chromedp.SendKeys(chromedp.ID("image-alt"), alt),
		chromedp.SendKeys(chromedp.ID("image-alt"), kb.Enter),
	)
	p.waitJS(`/!\[My pump clipped to a belt\]\(\/images\/[0-9a-f]{32}\)/.test(document.getElementById("body").value)`, "the Markdown is in the composer")
	p.waitText("Image added to your message.")
	if v := p.eval(`document.getElementById("body").value`); !strings.HasPrefix(v, "Mine sits here:\n\n![") {
		t.Errorf("composer holds %q", v)
	}
	p.do(chromedp.Click(chromedp.CSS(`form[action$="/replies"] button[value=post]`)))
	p.waitJS(`(function () { var i = document.querySelector('.prose img[alt="`+alt+`"]'); return !!i && i.complete && i.naturalWidth === 120; })()`, "the reply shows the image")
	p.checkA11y("thread page with an image")
	if n := h.count("post_images"); n != 1 {
		t.Errorf("post_images: %d", n)
	}
}

// With KINDRED_STORAGE=s3 images live in the bucket under images/, apart
// from proof documents, as Kindred encoded them (EXIF gone, uploaded
// through the API this time) and private: the bucket does not hand them
// out, Kindred does. The sweep removes them from the bucket.
func TestImageS3Storage(t *testing.T) {
	t.Parallel()
	bucket := testenv.NewS3Bucket(t)
	h := newHarness(t, harnessOpts{s3: bucket})
	h.forum("pumps", nil)
	h.member("maya")
	token := h.tokenFor("maya", "write")
	serial := "SN-S3-CAMERA-0042"
	key := imageKey(t, h.apiUpload(token, "pumps", "A photo", "IMG_2.JPG", testenv.JPEG(t, testenv.Gradient(64, 48), testenv.EXIFSegment(1, serial))))
	if keys := bucket.Keys(t); len(keys) != 1 || keys[0] != "images/"+key {
		t.Fatalf("bucket holds %v, want images/%s", keys, key)
	}
	got := h.imageWithToken(key, token)
	if got.status != http.StatusOK || bytes.Contains(got.body, []byte("Exif")) || bytes.Contains(got.body, []byte(serial)) || bytes.Contains(got.body, testenv.GPSLatitude) {
		t.Errorf("served from S3: %d, %d bytes, metadata left: %v", got.status, len(got.body), bytes.Contains(got.body, []byte(serial)))
	}
	decodeImage(t, got.body)
	res, err := http.Get(bucket.Endpoint + "/" + bucket.Bucket + "/images/" + key)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous GET from the bucket: %d", res.StatusCode)
	}
	h.clock.Advance(25 * time.Hour)
	if res, err := h.app.Images.Sweep(context.Background()); err != nil || res.Unused != 1 {
		t.Errorf("sweep: %+v %v", res, err)
	}
	if keys := bucket.Keys(t); len(keys) != 0 {
		t.Errorf("after the sweep the bucket holds %v", keys)
	}
}

// Uploads cost CPU every page shares: 60 an hour per member, then 429
// with Retry-After.
func TestImageUploadRateLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("pumps", nil)
	h.member("maya")
	token := h.tokenFor("maya", "write")
	png := testenv.PNG(t, testenv.Gradient(8, 8))
	for i := range 60 {
		if r := h.apiUpload(token, "pumps", "x", "a.png", png); r.Status != http.StatusCreated {
			t.Fatalf("upload %d: %d %s", i+1, r.Status, r.Raw)
		}
	}
	r := h.apiUpload(token, "pumps", "x", "a.png", png)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("upload 61: %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
	}
	if n := h.count("images"); n != 60 {
		t.Errorf("%d images stored", n)
	}
}
