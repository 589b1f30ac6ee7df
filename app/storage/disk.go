package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Disk keeps objects as files in one private directory (0700, files 0600):
// right for a single machine. Writes go to a temporary file that is
// synced and then renamed, so a reader or a crash never sees half a file.
type Disk struct {
	dir     string
	maxSize int64
}

// tempPrefix marks files being written; List skips them.
const tempPrefix = ".upload-"

// NewDisk opens (and creates) dir. maxSize is the largest object accepted
// (0: no limit).
func NewDisk(dir string, maxSize int64) (*Disk, error) {
	if dir == "" {
		return nil, errors.New("storage: no directory configured")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: directory: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("storage: directory: %w", err)
	}
	// A directory made earlier with a looser mode is tightened.
	if err := os.Chmod(abs, 0o700); err != nil {
		return nil, fmt.Errorf("storage: directory: %w", err)
	}
	return &Disk{dir: abs, maxSize: maxSize}, nil
}

// String names the store for logs and the copy command.
func (d *Disk) String() string { return "local disk " + d.dir }

// Put implements Store.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, size int64, _ string) (err error) {
	if err := checkPut(key, size, d.maxSize); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(d.dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("storage: put %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, newExactReader(r, size)); err != nil {
		return fmt.Errorf("storage: put %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("storage: put %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("storage: put %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(d.dir, key)); err != nil {
		return fmt.Errorf("storage: put %s: %w", key, err)
	}
	// The rename itself is durable only once the directory is synced.
	if err := syncDir(d.dir); err != nil {
		return fmt.Errorf("storage: put %s: %w", key, err)
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Open implements Store.
func (d *Disk) Open(ctx context.Context, key string) (*Object, error) {
	if !ValidKey(key) {
		return nil, ErrBadKey
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(d.dir, key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("storage: open %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("storage: open %s: %w", key, err)
	}
	return &Object{ReadCloser: f, Size: st.Size()}, nil
}

// Delete implements Store.
func (d *Disk) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return ErrBadKey
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(d.dir, key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("storage: delete %s: %w", key, err)
	}
	return nil
}

// List implements Store. Files being written and names that are not keys
// are skipped.
func (d *Disk) List(ctx context.Context, fn func(key string) error) error {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return fmt.Errorf("storage: list: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") || !ValidKey(e.Name()) {
			continue
		}
		if err := fn(e.Name()); err != nil {
			return err
		}
	}
	return nil
}
