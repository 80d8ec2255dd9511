package web

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// The page and everything it loads are in the binary: nothing comes from
// another site, and `go build` needs nothing but Go (the third-party
// browser code in static/vendor is fetched by web/build.sh and committed).
//
//go:embed static
var staticFS embed.FS

// asset is one embedded file with its ETag.
type asset struct {
	body []byte
	etag string
	typ  string
}

var assets = loadAssets()

func loadAssets() map[string]asset {
	m := make(map[string]asset)
	fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		typ := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".js", ".mjs":
			typ = "text/javascript; charset=utf-8"
		case ".css":
			typ = "text/css; charset=utf-8"
		case ".html":
			typ = "text/html; charset=utf-8"
		case ".svg":
			typ = "image/svg+xml"
		case ".wasm":
			typ = "application/wasm"
		}
		if typ == "" {
			typ = "application/octet-stream"
		}
		m["/"+p] = asset{body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`, typ: typ}
		return nil
	})
	return m
}

// serveAsset writes one embedded file; browsers revalidate it with its
// ETag, so a new binary's page is picked up at once.
func serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.typ)
	w.Header().Set("ETag", a.etag)
	w.Header().Set("Cache-Control", "no-cache")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(a.body)
}

func staticFiles() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveAsset(w, r, path.Clean(r.URL.Path))
	})
}

func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, r, "/static/index.html")
}
