package clinicians

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
)

// MaxDocumentSize is the largest proof document accepted (5 MB).
const MaxDocumentSize = 5 << 20

// Accepted document types, found from the file's content (never from its
// name or the browser's claim).
var documentTypes = map[string]string{
	"application/pdf": "pdf",
	"image/png":       "png",
	"image/jpeg":      "jpg",
}

// DetectDocumentType returns the real type of a document and its file
// extension, or ok=false when it is not a PDF, PNG or JPEG. An HTML or SVG
// file renamed to .pdf is detected as text and refused.
func DetectDocumentType(content []byte) (mime, ext string, ok bool) {
	mime = http.DetectContentType(content)
	ext, ok = documentTypes[mime]
	return mime, ext, ok
}

// Documents stores proof documents in a private directory under random
// names; the name a browser sent is never used.
type Documents struct {
	dir string
}

var storedName = regexp.MustCompile(`^[0-9a-f]{32}$`)

// NewDocuments opens (and creates, mode 0700) the document directory.
func NewDocuments(dir string) (*Documents, error) {
	if dir == "" {
		return nil, errors.New("clinicians: no document directory configured")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("clinicians: document directory: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("clinicians: document directory: %w", err)
	}
	return &Documents{dir: abs}, nil
}

// Dir is the absolute directory (for tests and the operator).
func (d *Documents) Dir() string { return d.dir }

// Save writes content under a new random name and returns that name.
func (d *Documents) Save(content []byte) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	name := hex.EncodeToString(b)
	tmp, err := os.CreateTemp(d.dir, ".upload-*")
	if err != nil {
		return "", fmt.Errorf("clinicians: save document: %w", err)
	}
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", fmt.Errorf("clinicians: save document: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("clinicians: save document: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.dir, name)); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("clinicians: save document: %w", err)
	}
	return name, nil
}

func (d *Documents) path(name string) (string, error) {
	if !storedName.MatchString(name) {
		return "", fmt.Errorf("clinicians: bad document name")
	}
	return filepath.Join(d.dir, name), nil
}

// Open opens a stored document for reading.
func (d *Documents) Open(name string) (*os.File, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

// Delete removes a stored document; a missing file is not an error.
func (d *Documents) Delete(name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
