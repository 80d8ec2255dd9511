package web

import (
	"context"
	"net/http"
	"time"
)

// Metrics receives the web door's counts (internal/metrics implements
// it). Its arguments come from fixed lists: front is always "web", typ an
// operation of ops (or "other"), code "ok" or an API error code.
type Metrics interface {
	Request(front, typ, code string, took time.Duration)
	// Transferred adds n file bytes moved in direction "up" or "down".
	Transferred(front, direction string, n int64)
}

// front is this door's name in metrics and logs.
const front = "web"

type noMetrics struct{}

func (noMetrics) Request(string, string, string, time.Duration) {}
func (noMetrics) Transferred(string, string, int64)             {}

// ops names each route as logs and metrics give a request's type: a fixed
// set, whatever the URL.
var ops = map[string]string{
	"GET /{$}":                  "page",
	"GET /static/":              "static",
	"GET /healthz":              "healthz",
	"GET /api/hello":            "hello",
	"GET /api/session":          "session",
	"POST /api/register":        "register",
	"POST /api/login":           "login",
	"POST /api/logout":          "logout",
	"POST /api/passwd":          "passwd",
	"GET /api/list":             "list",
	"GET /api/stat":             "stat",
	"POST /api/mkdir":           "mkdir",
	"POST /api/rm":              "rm",
	"POST /api/mv":              "mv",
	"GET /api/usage":            "usage",
	"GET /api/uploads":          "uploads",
	"POST /api/uploads/discard": "upload_discard",
	"GET /api/upload":           "upload_state",
	"POST /api/commit":          "commit",
	"GET /dl/{path...}":         "download",
	"GET /view/{path...}":       "preview",
	"GET /zip":                  "zip",
}

// tusOps names the tus requests by method (creation, status, a chunk,
// termination).
var tusOps = map[string]string{
	http.MethodPost:    "tus_create",
	http.MethodHead:    "tus_head",
	http.MethodPatch:   "tus_patch",
	http.MethodDelete:  "tus_delete",
	http.MethodOptions: "tus_options",
}

// opOf is the type of a request the mux has routed.
func opOf(r *http.Request) string {
	if r.Pattern == "/tus/" {
		if op, ok := tusOps[r.Method]; ok {
			return op
		}
		return "tus_other"
	}
	if op, ok := ops[r.Pattern]; ok {
		return op
	}
	return "other" // no route: not found, or a method not allowed
}

// requestInfo is what a request's handlers tell the log line and the
// metrics written when it ends.
type requestInfo struct {
	code string // the refusal's code; "" when none was written
	user string // the user it ran for, once known
}

type infoKey struct{}

// infoOf returns the request's info (a throwaway one outside ServeHTTP).
func infoOf(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}

// codeOfStatus names the outcome of a reply no handler explained (tusd's,
// the mux's).
func codeOfStatus(status int) string {
	switch {
	case status < 400:
		return "ok"
	case status == http.StatusUnauthorized:
		return "not_logged_in"
	case status == http.StatusNotFound:
		return "not_found"
	case status == http.StatusRequestEntityTooLarge:
		return "too_large"
	case status == http.StatusLocked:
		return "busy"
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status == http.StatusServiceUnavailable:
		return "shutting_down"
	case status < 500:
		return "bad_request"
	}
	return "internal"
}

// finish logs a request's outcome and counts it. Its context carries the
// door, the request's id and the remote address (see ServeHTTP).
func (h *Handler) finish(r *http.Request, sw *statusWriter, start time.Time) {
	took := time.Since(start)
	info := infoOf(r.Context())
	status := sw.status
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends 200
	}
	code := info.code
	if code == "" {
		code = codeOfStatus(status)
	}
	typ := opOf(r)
	h.metrics.Request(front, typ, code, took)
	args := []any{"type", typ, "code", code, "status", status, "took", took}
	if info.user != "" {
		args = append(args, "user", info.user)
	}
	h.logger.DebugContext(r.Context(), "request", args...)
}

// statusWriter remembers the status of the reply.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(status int) {
	if s.status == 0 {
		s.status = status
	}
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// flushes).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
