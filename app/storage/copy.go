package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
)

// Copy copies the object under key from one store to another and reads it
// back to check that every byte arrived. An object already there with the
// same content is left alone (copied is false), so a copy that was
// interrupted can simply run again.
func Copy(ctx context.Context, from, to Store, key, contentType string) (copied bool, err error) {
	want, size, err := digest(ctx, from, key)
	if err != nil {
		return false, fmt.Errorf("storage: copy %s: source: %w", key, err)
	}
	if have, haveSize, err := digest(ctx, to, key); err == nil && haveSize == size && bytes.Equal(have, want) {
		return false, nil
	}
	src, err := from.Open(ctx, key)
	if err != nil {
		return false, fmt.Errorf("storage: copy %s: source: %w", key, err)
	}
	err = to.Put(ctx, key, src, size, contentType)
	src.Close()
	if err != nil {
		return false, fmt.Errorf("storage: copy %s: %w", key, err)
	}
	have, _, err := digest(ctx, to, key)
	if err != nil {
		return true, fmt.Errorf("storage: copy %s: read back: %w", key, err)
	}
	if !bytes.Equal(have, want) {
		return true, fmt.Errorf("storage: copy %s: the copy differs from the source", key)
	}
	return true, nil
}

// digest is the SHA-256 and size of a stored object.
func digest(ctx context.Context, s Store, key string) ([]byte, int64, error) {
	obj, err := s.Open(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	defer obj.Close()
	h := sha256.New()
	n, err := io.Copy(h, obj)
	if err != nil {
		return nil, 0, err
	}
	if n != obj.Size {
		return nil, 0, fmt.Errorf("%w: read %d bytes of %d", ErrSizeMismatch, n, obj.Size)
	}
	return h.Sum(nil), n, nil
}
