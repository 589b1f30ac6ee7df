package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// Static serves embedded assets under /static/<hash>/<path>. The hash covers
// every file, so URLs change whenever any asset does and can be cached forever.
type Static struct {
	fsys fs.FS
	hash string
}

// NewStatic hashes the asset tree once at start-up.
func NewStatic(fsys fs.FS) (*Static, error) {
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		h.Write([]byte(p))
		h.Write(b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Static{fsys: fsys, hash: hex.EncodeToString(h.Sum(nil))[:12]}, nil
}

// URL is the cacheable address of an asset such as "css/app.css".
func (s *Static) URL(p string) string {
	return "/static/" + s.hash + "/" + strings.TrimPrefix(p, "/")
}

// Handler serves GET /static/:hash/*. Unknown files are 404; an old hash
// still serves the current file but without the long cache lifetime.
func (s *Static) Handler(c echo.Context) error {
	name := path.Clean("/" + c.Param("*"))[1:]
	if name == "" || strings.HasPrefix(name, ".") {
		return echo.ErrNotFound
	}
	f, err := s.fsys.Open(name)
	if err != nil {
		return echo.ErrNotFound
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		return echo.ErrNotFound
	}
	if c.Param("hash") == s.hash {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "no-cache")
	}
	rs, ok := f.(interface {
		Read([]byte) (int, error)
		Seek(int64, int) (int64, error)
	})
	if !ok {
		return echo.ErrNotFound
	}
	http.ServeContent(c.Response(), c.Request(), name, st.ModTime(), rs)
	return nil
}
