package web

import (
	"archive/zip"
	"context"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"netdisk/internal/service"
)

// download serves a file as an attachment, with ranges (a browser or a
// download manager resumes with them): GET /dl/<path>. Its ETag is the
// recorded BLAKE3-256 when there is one, so a resumed range is checked
// against the same version (If-Range).
func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	h.serveFile(w, r, false)
}

// preview serves a file inline for the page's preview, as a type that
// cannot run anything in this site: images, audio, video and PDF as
// themselves, anything else as plain text (an uploaded .html or .svg
// shows as its source), all under a CSP that sandboxes the document
// (no script, no same-origin access) and forbids loading anything.
func (h *Handler) preview(w http.ResponseWriter, r *http.Request) {
	h.serveFile(w, r, true)
}

// previewTypes are the media types a preview keeps; everything else goes
// out as text/plain.
var previewTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".bmp": "image/bmp", ".avif": "image/avif",
	".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".wav": "audio/wav",
	".flac": "audio/flac", ".m4a": "audio/mp4",
	".mp4": "video/mp4", ".m4v": "video/mp4", ".webm": "video/webm", ".ogv": "video/ogg", ".mov": "video/quicktime",
	".pdf": "application/pdf",
}

// previewCSP sandboxes a previewed document: no scripts, no forms, a
// unique origin; nothing may be loaded from it.
const previewCSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"

// pdfCSP is for PDF previews: Chromium will not show a PDF in a sandboxed
// document, and a PDF cannot run script in the page's origin anyway.
const pdfCSP = "default-src 'none'; object-src 'self'; frame-ancestors 'self'"

func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, inline bool) {
	ctx, sess := r.Context(), sessionOf(r.Context())
	f, err := h.svc.OpenFile(ctx, sess, r.PathValue("path"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer f.Close()
	name := path.Base(f.Path)
	hd := w.Header()
	if sum := f.Digest(); sum != nil {
		hd.Set("ETag", `"b3-`+hexOf(sum)+`"`)
		hd.Set("Netdisk-Digest", hexOf(sum))
	}
	hd.Set("Cache-Control", "private, no-cache")
	if inline {
		ext := strings.ToLower(path.Ext(name))
		typ, ok := previewTypes[ext]
		if !ok {
			typ = "text/plain; charset=utf-8"
		}
		hd.Set("Content-Type", typ)
		hd.Set("Content-Disposition", disposition("inline", name))
		if typ == "application/pdf" {
			hd.Set("Content-Security-Policy", pdfCSP)
		} else {
			hd.Set("Content-Security-Policy", previewCSP)
		}
		hd.Set("X-Frame-Options", "SAMEORIGIN")
	} else {
		hd.Set("Content-Type", "application/octet-stream")
		hd.Set("Content-Disposition", disposition("attachment", name))
	}
	pw := newProgressWriter(w)
	http.ServeContent(pw, r, "", f.ModTime, f)
	h.metrics.Transferred(front, "down", pw.written)
}

// disposition is a Content-Disposition with the file's name, readable by
// every browser: an ASCII fallback, and the UTF-8 name (RFC 6266).
func disposition(kind, name string) string {
	ascii := strings.Map(func(c rune) rune {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return '_'
		}
		return c
	}, name)
	return mime.FormatMediaType(kind, map[string]string{"filename": ascii}) + "; filename*=UTF-8''" + pathEscape(name)
}

// pathEscape percent-encodes all but unreserved characters (RFC 3986).
func pathEscape(s string) string {
	const hexd = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hexd[c>>4])
			b.WriteByte(hexd[c&15])
		}
	}
	return b.String()
}

// Zips. A folder or a selection downloads as one zip, written as it is
// built (stored, not compressed: most large files are compressed
// already, and storing keeps the server's CPU for others). The walk holds
// one listing page and two descriptors per level of the tree (at most
// service.MaxDepth levels), whatever the tree's size; a user has at most
// maxZipsPerUser zips being built at once.
const maxZipsPerUser = 4

type zipSlots struct {
	mu   sync.Mutex
	busy map[string]int
}

func (z *zipSlots) take(user string) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.busy == nil {
		z.busy = make(map[string]int)
	}
	if z.busy[user] >= maxZipsPerUser {
		return false
	}
	z.busy[user]++
	return true
}

func (z *zipSlots) give(user string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.busy[user]--; z.busy[user] <= 0 {
		delete(z.busy, user)
	}
}

var zips zipSlots

// zip streams GET /zip?path=A&path=B&name=N.zip: each path (a file or a
// folder, with everything under it) under its own name at the top of the
// archive.
func (h *Handler) zip(w http.ResponseWriter, r *http.Request) {
	ctx, sess := r.Context(), sessionOf(r.Context())
	q := r.URL.Query()
	paths := q["path"]
	if len(paths) == 0 || len(paths) > maxBatch {
		h.fail(w, r, refusal(http.StatusBadRequest, "bad_request", "name between 1 and 1000 files or folders to zip"))
		return
	}
	infos := make([]service.Info, len(paths))
	for i, p := range paths {
		info, err := h.svc.Stat(ctx, sess, p)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		infos[i] = info
	}
	if !zips.take(sess.User) {
		h.fail(w, r, refusal(http.StatusLocked, "busy", "you have several zips being made already; wait for one to finish"))
		return
	}
	defer zips.give(sess.User)
	name := q.Get("name")
	if name == "" || strings.ContainsAny(name, "/\\") {
		name = "netdisk.zip"
		if len(paths) == 1 {
			name = path.Base(infos[0].Name) + ".zip"
		}
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", disposition("attachment", name))
	w.Header().Set("Cache-Control", "no-store")
	pw := newProgressWriter(w)
	defer func() { h.metrics.Transferred(front, "down", pw.written) }()
	zw := zip.NewWriter(pw)
	z := &zipper{h: h, ctx: ctx, sess: sess, zw: zw}
	for _, info := range infos {
		top := path.Base(info.Name)
		if top == "." {
			top = sess.User // the whole folder
		}
		if err := z.add(info.Name, top, info); err != nil {
			// The reply has begun: a broken zip (no central directory)
			// is how the browser learns it failed.
			h.logger.WarnContext(ctx, "zip stopped", "err", err)
			return
		}
	}
	if err := zw.Close(); err != nil {
		h.logger.DebugContext(ctx, "zip not finished", "err", err)
	}
}

type zipper struct {
	h    *Handler
	ctx  context.Context
	sess *service.Session
	zw   *zip.Writer
}

// add writes the file or folder at src (a path in the user's folder) into
// the zip as name.
func (z *zipper) add(src, name string, info service.Info) error {
	if err := z.ctx.Err(); err != nil {
		return err
	}
	// Names come from the user's folder, where the service made sure each
	// is a clean, relative name; one made there by other means is checked
	// again, so that no entry can point outside the folder it is
	// extracted into.
	if _, err := service.CleanTarget(name); err != nil {
		z.h.logger.WarnContext(z.ctx, "zip: skipping a name that is not safe", "path", src)
		return nil
	}
	switch {
	case info.IsDir:
		if _, err := z.zw.CreateHeader(&zip.FileHeader{Name: name + "/", Modified: info.ModTime, Method: zip.Store}); err != nil {
			return err
		}
		return z.h.svc.List(z.ctx, z.sess, src, func(page []service.Info) error {
			for _, e := range page {
				if err := z.add(path.Join(src, e.Name), name+"/"+e.Name, e); err != nil {
					return err
				}
			}
			return nil
		})
	case info.Regular:
		f, err := z.h.svc.OpenFile(z.ctx, z.sess, src)
		if err != nil {
			z.h.logger.WarnContext(z.ctx, "zip: skipping a file that cannot be read", "path", src, "err", err)
			return nil
		}
		defer f.Close()
		hdr := &zip.FileHeader{Name: name, Modified: f.ModTime, Method: zip.Store}
		hdr.UncompressedSize64 = uint64(f.Size)
		out, err := z.zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, f)
		return err
	}
	return nil // links and devices made on the server are left out
}
