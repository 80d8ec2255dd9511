package web

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	expslog "golang.org/x/exp/slog"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"netdisk/internal/service"
)

// Browser uploads speak tus v1 (resumable uploads over HTTP), served by
// tusd's handler with a store of ours: every tus upload is the service's
// upload of a path, so its partial is the same partial a command-line put
// of that path uses (counted in the same quota, listed by `netdisk
// uploads`, expired by the same rule, and resumable from either door).
//
// An upload's id names its owner, its path and its size:
// <user>.<base64url(path)>.<size>. The id is not a secret: a request for
// an id of another user is refused whoever sends it (tusd itself checks
// nothing), and the same file picked again finds its partial by computing
// the same id.
//
// tusd's part ends with the last byte. The commit is a request of its own
// (POST /api/commit) carrying the page's BLAKE3-256 of the whole file: the
// service commits only if it matches its own digest of what arrived, as
// for the command-line client. Until then the bytes are an unfinished
// upload, and whole ones wait for their commit to be asked again.

type tusHandler struct {
	h     *Handler
	inner http.Handler
}

// maxUploadSize is the largest file tus accepts (the quota and the disk
// are checked by the service as for any upload).
const maxUploadSize = 1 << 50

func newTusHandler(h *Handler) (*tusHandler, error) {
	composer := tusd.NewStoreComposer()
	store := tusStore{h: h}
	composer.UseCore(store)
	composer.UseTerminater(store)
	inner, err := tusd.NewHandler(tusd.Config{
		BasePath:                "/tus/",
		StoreComposer:           composer,
		MaxSize:                 maxUploadSize,
		DisableDownload:         true,
		DisableConcatenation:    true,
		Cors:                    &tusd.CorsConfig{Disable: true}, // the page is same-origin
		RespectForwardedHeaders: true,                            // only a trusted proxy's reach it (see ServeHTTP)
		Logger:                  expslog.New(expslog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return nil, err
	}
	return &tusHandler{h: h, inner: http.StripPrefix("/tus/", inner)}, nil
}

// ServeHTTP runs tusd's handler for a logged-in user (and, for requests
// that change something, with the CSRF token).
func (t *tusHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t.h.loggedIn(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			r.Body = newProgressBody(w, r)
		}
		t.inner.ServeHTTP(&tusErrors{ResponseWriter: w}, r)
	})(w, r)
}

// uploadID makes the id of user's upload of path with size bytes.
func uploadID(user, path string, size int64) string {
	return user + "." + base64.RawURLEncoding.EncodeToString([]byte(path)) + "." + strconv.FormatInt(size, 10)
}

// parseUploadID undoes uploadID.
func parseUploadID(id string) (user, path string, size int64, ok bool) {
	user, rest, ok1 := strings.Cut(id, ".")
	enc, sz, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 {
		return "", "", 0, false
	}
	p, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", "", 0, false
	}
	size, err = strconv.ParseInt(sz, 10, 64)
	if err != nil || size < 0 {
		return "", "", 0, false
	}
	return user, string(p), size, true
}

// tusStore is tusd's DataStore over the service's uploads.
type tusStore struct{ h *Handler }

// tusUpload is one upload as tusd sees it; each request opens the
// service's upload afresh (the partial and its digest state stay on disk
// between requests).
type tusUpload struct {
	h    *Handler
	sess *service.Session
	id   string
	path string
	size int64
}

// tusError turns an error into tusd's kind, with our JSON body, so the
// page reads every refusal the same way.
func (h *Handler) tusError(ctx context.Context, err error) error {
	var te tusd.Error
	if errors.As(err, &te) {
		return err
	}
	e := h.toAPI((&http.Request{}).WithContext(ctx), err)
	infoOf(ctx).code = e.Code
	status := e.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	body, _ := json.Marshal(e)
	out := tusd.NewError(e.Code, e.Message, status)
	out.HTTPResponse.Body = string(body)
	out.HTTPResponse.Header = tusd.HTTPHeader{"Content-Type": "application/json; charset=utf-8"}
	return out
}

var errNotYours = refusal(http.StatusForbidden, "not_found", "no such upload of yours")

func (s tusStore) NewUpload(ctx context.Context, info tusd.FileInfo) (tusd.Upload, error) {
	sess := sessionOf(ctx)
	if sess == nil {
		return nil, s.h.tusError(ctx, errNotLoggedIn)
	}
	path := info.MetaData["path"]
	if info.SizeIsDeferred {
		return nil, s.h.tusError(ctx, refusal(http.StatusBadRequest, "bad_request", "the upload's size must be known"))
	}
	// A new tus upload starts from nothing: whatever an earlier attempt
	// left is dropped (a page that wants to resume asks /api/upload first
	// and continues the upload's URL instead).
	u, err := s.h.svc.OpenUpload(ctx, sess, path, info.Size, service.UploadRestart)
	if err != nil {
		return nil, s.h.tusError(ctx, err)
	}
	temp := u.Temp()
	target := u.Target()
	u.Close()
	if temp {
		return nil, s.h.tusError(ctx, refusal(http.StatusLocked, "busy", "another upload of "+target+" is in progress"))
	}
	return &tusUpload{h: s.h, sess: sess, id: uploadID(sess.User, target, info.Size), path: target, size: info.Size}, nil
}

func (s tusStore) GetUpload(ctx context.Context, id string) (tusd.Upload, error) {
	sess := sessionOf(ctx)
	if sess == nil {
		return nil, s.h.tusError(ctx, errNotLoggedIn)
	}
	user, path, size, ok := parseUploadID(id)
	if !ok || user != sess.User {
		return nil, s.h.tusError(ctx, errNotYours)
	}
	return &tusUpload{h: s.h, sess: sess, id: id, path: path, size: size}, nil
}

func (s tusStore) AsTerminatableUpload(up tusd.Upload) tusd.TerminatableUpload {
	return up.(*tusUpload)
}

// open opens the service's upload, resuming what is held. An upload of the
// path that is live elsewhere (another tab, a command-line put) is not
// shared: the request is refused as busy.
func (u *tusUpload) open(ctx context.Context) (*service.Upload, error) {
	up, err := u.h.svc.OpenUpload(ctx, u.sess, u.path, u.size, service.UploadResume)
	if err != nil {
		return nil, u.h.tusError(ctx, err)
	}
	if up.Temp() {
		up.Close()
		return nil, u.h.tusError(ctx, refusal(http.StatusLocked, "busy", "another upload of "+u.path+" is in progress"))
	}
	return up, nil
}

func (u *tusUpload) GetInfo(ctx context.Context) (tusd.FileInfo, error) {
	up, err := u.open(ctx)
	if err != nil {
		return tusd.FileInfo{}, err
	}
	held := up.Held()
	up.Close()
	return tusd.FileInfo{ID: u.id, Size: u.size, Offset: held, MetaData: tusd.MetaData{"path": u.path}}, nil
}

// WriteChunk appends the request's body from offset. The read deadline
// moves on while bytes come (see progressBody), so a large chunk on a slow
// link is not cut by the web port's request timeout.
func (u *tusUpload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	up, err := u.open(ctx)
	if err != nil {
		return 0, err
	}
	defer up.Close()
	if up.Held() != offset {
		return 0, tusd.ErrMismatchOffset
	}
	n, err := up.Stream(offset, src)
	u.h.metrics.Transferred(front, "up", n)
	if err != nil && n == 0 {
		return 0, u.h.tusError(ctx, err)
	}
	// Bytes taken are kept (tusd reports the new offset); an error after
	// some shows at the next request.
	return n, nil
}

func (u *tusUpload) GetReader(ctx context.Context) (io.ReadCloser, error) {
	return nil, tusd.ErrNotImplemented
}

// FinishUpload does nothing: the commit waits for the page's digest.
func (u *tusUpload) FinishUpload(ctx context.Context) error { return nil }

func (u *tusUpload) Terminate(ctx context.Context) error {
	err := u.h.svc.DiscardUpload(ctx, u.sess, u.path)
	if err != nil && !errors.Is(err, service.ErrNotFound) {
		return u.h.tusError(ctx, err)
	}
	return nil
}

// uploadState tells the page what the server holds of an upload of path
// with size bytes, to resume it: GET /api/upload?path=P&size=N →
// {"id","url","held","prefix_digest"}. The page compares prefix_digest
// with its own BLAKE3-256 of its first held bytes before continuing.
func (h *Handler) uploadState(w http.ResponseWriter, r *http.Request) {
	ctx, sess := r.Context(), sessionOf(r.Context())
	q := r.URL.Query()
	size, err := strconv.ParseInt(q.Get("size"), 10, 64)
	if err != nil || size < 0 {
		h.fail(w, r, refusal(http.StatusBadRequest, "bad_request", "size must be a number of bytes"))
		return
	}
	target, err := service.CleanTarget(q.Get("path"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	reply := struct {
		ID           string `json:"id"`
		URL          string `json:"url"`
		Held         int64  `json:"held"`
		PrefixDigest string `json:"prefix_digest,omitempty"`
	}{ID: uploadID(sess.User, target, size)}
	reply.URL = "/tus/" + reply.ID
	// The folder must be there (and be the user's: not reached through a
	// link that leads out), as for the upload itself.
	if dir := path.Dir(target); dir != "." {
		info, err := h.svc.Stat(ctx, sess, dir)
		if err == nil && !info.IsDir {
			err = refusal(http.StatusConflict, "not_dir", dir+": not a folder")
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
	}
	held, err := h.heldOf(ctx, sess, target, size)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if held > 0 {
		// Open it only when there is something: opening makes a partial.
		up, err := h.svc.OpenUpload(ctx, sess, target, size, service.UploadResume)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if up.Temp() {
			// Held by another request (the tab that was closed may not
			// have been noticed yet): the page asks again shortly rather
			// than start over.
			up.Close()
			h.fail(w, r, refusal(http.StatusLocked, "busy", "another upload of "+target+" is in progress"))
			return
		}
		reply.Held = up.Held()
		if d := up.HeldDigest(); d != nil {
			reply.PrefixDigest = hex.EncodeToString(d)
		}
		up.Close()
	}
	writeJSON(w, http.StatusOK, reply)
}

// heldOf returns how many bytes of target the user's unfinished uploads
// hold (0 if none).
func (h *Handler) heldOf(ctx context.Context, sess *service.Session, target string, size int64) (int64, error) {
	list, err := h.svc.Uploads(ctx, sess)
	if err != nil {
		return 0, err
	}
	for _, u := range list {
		if u.Target == target && u.Size <= size {
			return u.Size, nil
		}
	}
	return 0, nil
}

// commit makes a whole upload the new version of its path if the page's
// digest matches the server's: POST /api/commit
// {"path","size","digest","mtime"} → {"entry","digest"}. On a mismatch the
// partial is dropped (checksum_mismatch) and the old version stays.
func (h *Handler) commit(w http.ResponseWriter, r *http.Request) {
	ctx, sess := r.Context(), sessionOf(r.Context())
	var req struct {
		Path   string    `json:"path"`
		Size   int64     `json:"size"`
		Digest string    `json:"digest"`
		MTime  time.Time `json:"mtime"`
	}
	if err := readJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	sum, err := hex.DecodeString(req.Digest)
	if err != nil || len(sum) != 32 {
		h.fail(w, r, refusal(http.StatusBadRequest, "bad_request", "digest must be 64 hexadecimal digits (BLAKE3-256)"))
		return
	}
	up, err := h.svc.OpenUpload(ctx, sess, req.Path, req.Size, service.UploadResume)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer up.Close()
	if up.Temp() {
		h.fail(w, r, refusal(http.StatusLocked, "busy", "another upload of "+up.Target()+" is in progress"))
		return
	}
	if held := up.Held(); held != req.Size {
		h.fail(w, r, refusal(http.StatusConflict, "bad_request", fmt.Sprintf("the server holds %d of the %d bytes of %s; send the rest first", held, req.Size, up.Target())))
		return
	}
	if err := up.Commit(context.WithoutCancel(ctx), sum, req.MTime); err != nil {
		h.fail(w, r, err)
		return
	}
	info, err := h.svc.Stat(ctx, sess, up.Target())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.logger.InfoContext(ctx, "stored", "path", up.Target(), "size", req.Size)
	writeJSON(w, http.StatusOK, map[string]any{"entry": entryOf(info), "digest": req.Digest})
}

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// tusErrors rewrites tusd's own refusals (plain text, "ERR_…: message")
// into the API's JSON, so the page reads every refusal the same way.
// Ours (see tusError) are JSON already.
type tusErrors struct {
	http.ResponseWriter
	status  int
	rewrite bool
}

// tusCodes names tusd's error codes in the API's words.
var tusCodes = map[string]string{
	"ERR_UPLOAD_NOT_FOUND":  "not_found",
	"ERR_UPLOAD_LOCKED":     "busy",
	"ERR_MAX_SIZE_EXCEEDED": "too_large",
}

func (e *tusErrors) WriteHeader(status int) {
	e.status = status
	ct := e.Header().Get("Content-Type")
	if status >= 400 && !strings.HasPrefix(ct, "application/json") {
		e.rewrite = true
		e.Header().Set("Content-Type", "application/json; charset=utf-8")
		e.Header().Del("Content-Length")
	}
	e.ResponseWriter.WriteHeader(status)
}

func (e *tusErrors) Write(b []byte) (int, error) {
	if e.status == 0 {
		e.WriteHeader(http.StatusOK)
	}
	if !e.rewrite {
		return e.ResponseWriter.Write(b)
	}
	code, msg, ok := strings.Cut(strings.TrimSpace(string(b)), ": ")
	name := tusCodes[code]
	if name == "" {
		name = "bad_request"
	}
	if !ok {
		msg = code
	}
	body, _ := json.Marshal(apiError{Code: name, Message: "upload: " + msg})
	if _, err := e.ResponseWriter.Write(append(body, '\n')); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Unwrap lets http.ResponseController reach the connection (tusd sets
// deadlines through it).
func (e *tusErrors) Unwrap() http.ResponseWriter { return e.ResponseWriter }
