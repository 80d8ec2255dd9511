// Package web is netdisk's second front door: the drive in a browser page,
// served by `netdisk serve` on the web port. It speaks HTTP (a JSON API,
// file downloads with ranges, streamed zips and tus v1 resumable uploads)
// and, like the TCP server, knows nothing of storage or accounts: every
// request goes through the service layer, so both doors share one set of
// rules (users, sessions, quotas, limits, confinement, partial uploads).
package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"netdisk/internal/reqlog"
	"netdisk/internal/service"
)

// Config sets up a Handler.
type Config struct {
	Service *service.Service
	Logger  *slog.Logger
	// Secure says the page is served over HTTPS (directly, or by a trusted
	// proxy in front): cookies are then Secure and __Host- prefixed.
	Secure bool
	// TrustedProxies are the addresses whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (a reverse proxy in front).
	TrustedProxies []netip.Prefix
	Name           string  // server name shown on the page
	Welcome        string  // welcome line shown on the login page
	Metrics        Metrics // counts requests and bytes; nil counts nothing
}

// Handler serves the web port.
type Handler struct {
	svc     *service.Service
	logger  *slog.Logger
	metrics Metrics
	cfg     Config
	mux     *http.ServeMux
	uploads *tusHandler
}

// New returns the web port's handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = noMetrics{}
	}
	// Every line logged with a request's context carries its identifiers
	// (see internal/reqlog).
	cfg.Logger = reqlog.Wrap(cfg.Logger)
	h := &Handler{svc: cfg.Service, logger: cfg.Logger, metrics: cfg.Metrics, cfg: cfg, mux: http.NewServeMux()}
	var err error
	if h.uploads, err = newTusHandler(h); err != nil {
		return nil, err
	}
	h.routes()
	return h, nil
}

func (h *Handler) routes() {
	m := h.mux
	m.HandleFunc("GET /{$}", h.serveIndex)
	m.Handle("GET /static/", staticFiles())
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })

	m.HandleFunc("GET /api/hello", h.hello)
	m.HandleFunc("GET /api/session", h.session)
	m.HandleFunc("POST /api/register", h.register)
	m.HandleFunc("POST /api/login", h.login)
	m.HandleFunc("POST /api/logout", h.loggedIn(h.logout))
	m.HandleFunc("POST /api/passwd", h.loggedIn(h.passwd))

	m.HandleFunc("GET /api/list", h.loggedIn(h.list))
	m.HandleFunc("GET /api/stat", h.loggedIn(h.stat))
	m.HandleFunc("POST /api/mkdir", h.loggedIn(h.mkdir))
	m.HandleFunc("POST /api/rm", h.loggedIn(h.remove))
	m.HandleFunc("POST /api/mv", h.loggedIn(h.move))
	m.HandleFunc("GET /api/usage", h.loggedIn(h.usage))
	m.HandleFunc("GET /api/uploads", h.loggedIn(h.listUploads))
	m.HandleFunc("POST /api/uploads/discard", h.loggedIn(h.discardUpload))
	m.HandleFunc("GET /api/upload", h.loggedIn(h.uploadState))
	m.HandleFunc("POST /api/commit", h.loggedIn(h.commit))

	m.HandleFunc("GET /dl/{path...}", h.loggedIn(h.download))
	m.HandleFunc("GET /view/{path...}", h.loggedIn(h.preview))
	m.HandleFunc("GET /zip", h.loggedIn(h.zip))

	m.Handle("/tus/", h.uploads)
}

// ServeHTTP gives the request its identifiers for logs, sets the headers
// every reply carries, refuses state-changing requests from other sites,
// then routes; the request's line is logged and counted when it ends.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	w = sw
	hd := w.Header()
	hd.Set("Content-Security-Policy", pageCSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if !h.trusted(r) {
		// Only a trusted proxy may say where a request came from.
		for _, k := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded"} {
			r.Header.Del(k)
		}
	}
	ctx := reqlog.With(r.Context(), slog.String("door", front), slog.Uint64("req", reqlog.NewID()),
		slog.String("remote", h.clientAddr(r)), slog.String("method", r.Method))
	// The service keeps where a login or an upload came from, for the
	// administrator's listings.
	ctx = service.WithOrigin(ctx, service.Origin{Door: service.DoorWeb, Addr: h.clientAddr(r)})
	// One request value from here on: the mux records the route it took
	// (r.Pattern) in it, which finish reads for the log line and metrics.
	r = r.WithContext(context.WithValue(ctx, infoKey{}, &requestInfo{}))
	defer h.finish(r, sw, start)
	if !safeMethod(r.Method) && !h.sameOrigin(r) {
		h.fail(w, r, errCSRF)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// pageCSP allows the page's own scripts and styles only (no inline code,
// no other origin), WebAssembly for the hashing worker, and no framing.
const pageCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' blob: data:; media-src 'self'; frame-src 'self'; worker-src 'self'; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether a state-changing request comes from this
// server's page: a browser sends Origin with every such request, and
// another site's page cannot forge it. (The CSRF token is checked too,
// once there is a session; this covers login and registration.)
func (h *Handler) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		// Not a browser (or a very old one): nothing ambient to abuse,
		// since the cookie is SameSite=Strict and the token is still
		// required with a session.
		return true
	}
	scheme := "http"
	if h.isHTTPS(r) {
		scheme = "https"
	}
	return origin == scheme+"://"+r.Host
}

// isHTTPS says whether the browser reached us over HTTPS.
func (h *Handler) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if h.trusted(r) {
		return strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
	}
	return false
}

// trusted reports whether the request comes straight from a trusted proxy.
func (h *Handler) trusted(r *http.Request) bool {
	addr, ok := peerAddr(r)
	if !ok {
		return false
	}
	for _, p := range h.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

func peerAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// clientAddr is the address the rate limits count: the peer, or behind
// trusted proxies the last address in X-Forwarded-For that is not one of
// them.
func (h *Handler) clientAddr(r *http.Request) string {
	addr, ok := peerAddr(r)
	if !ok {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		return host
	}
	if !h.trusted(r) {
		return addr.String()
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		inner := false
		for _, p := range h.cfg.TrustedProxies {
			inner = inner || p.Contains(a)
		}
		if !inner {
			return a.String()
		}
	}
	return addr.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
