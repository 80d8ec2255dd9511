// Package metrics counts what the server does, for Prometheus. Registry
// holds the netdisk_* metrics with the Go and process collectors, and its
// methods are what the service and the front doors call, through small
// interfaces each of them defines (service.Metrics, server.Metrics,
// web.Metrics): they never import Prometheus, and the daemon hands them
// one Registry at assembly.
//
// Label values come from fixed lists chosen by the callers (request types,
// error codes, results); no user name or path is ever a label.
package metrics

import (
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"netdisk/internal/version"
)

// Registry is the server's metrics. Its methods are safe for concurrent
// use; a nil *Registry is not (callers hold a no-op instead).
type Registry struct {
	reg *prometheus.Registry

	conns         *prometheus.GaugeVec
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	transfer      *prometheus.CounterVec
	logins        *prometheus.CounterVec
	registrations prometheus.Counter
	rateLimited   *prometheus.CounterVec
}

// New returns a Registry. openUploads, if not nil, is called at each
// scrape for netdisk_uploads_partial.
func New(openUploads func() int) *Registry {
	r := &Registry{reg: prometheus.NewRegistry()}
	r.conns = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "netdisk_connections_open",
		Help: "Connections open now, by front door (protocol or web).",
	}, []string{"front"})
	r.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "netdisk_requests_total",
		Help: "Requests served, by front door, request type and outcome (ok or the error code).",
	}, []string{"front", "type", "code"})
	r.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "netdisk_request_duration_seconds",
		Help: "Time to serve a request (a transfer's whole body included), by front door and request type.",
		// 100 µs to about 100 s: listings take well under a millisecond,
		// a large transfer minutes.
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 11),
	}, []string{"front", "type"})
	r.transfer = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "netdisk_transfer_bytes_total",
		Help: "File bytes moved, by direction (up: client to server, down: server to client) and front door; resumed parts count what was moved.",
	}, []string{"direction", "front"})
	r.logins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "netdisk_logins_total",
		Help: "Logins with a password, by result (ok, failed, rate_limited, disabled, error).",
	}, []string{"result"})
	r.registrations = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "netdisk_registrations_total",
		Help: "Accounts registered.",
	})
	r.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "netdisk_rate_limited_total",
		Help: "Attempts refused by a rate or count limit, by what was limited (login, signup, hashing, connections, uploads).",
	}, []string{"what"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "netdisk_build_info",
		Help: "Always 1; the labels say which build is running.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(version.String(), runtime.Version()).Set(1)
	r.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.conns, r.requests, r.duration, r.transfer, r.logins, r.registrations, r.rateLimited, build,
	)
	if openUploads != nil {
		r.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "netdisk_uploads_partial",
			Help: "Unfinished uploads the server holds open now (being written, or reserved by put_open).",
		}, func() float64 { return float64(openUploads()) }))
	}
	// The series every scrape should show, at zero until something
	// happens, so that rate() and alerts see them from the start.
	for _, front := range []string{FrontProtocol, FrontWeb} {
		r.conns.WithLabelValues(front)
		for _, dir := range []string{Up, Down} {
			r.transfer.WithLabelValues(dir, front)
		}
	}
	for _, res := range []string{LoginOK, LoginFailed, LoginRateLimited, LoginDisabled} {
		r.logins.WithLabelValues(res)
	}
	for _, what := range []string{"login", "signup", "hashing", "connections", "uploads"} {
		r.rateLimited.WithLabelValues(what)
	}
	return r
}

// Label values shared by the callers.
const (
	FrontProtocol = "protocol"
	FrontWeb      = "web"

	Up   = "up"
	Down = "down"

	LoginOK          = "ok"
	LoginFailed      = "failed"
	LoginRateLimited = "rate_limited"
	LoginDisabled    = "disabled"
	LoginError       = "error"

	CodeOK = "ok"
)

// Handler serves the metrics in Prometheus's text (or protobuf) format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{MaxRequestsInFlight: 4})
}

// Gatherer is the registry behind Handler, for tests.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// ConnOpened and ConnClosed count a connection of a front door.
func (r *Registry) ConnOpened(front string) { r.conns.WithLabelValues(front).Inc() }
func (r *Registry) ConnClosed(front string) { r.conns.WithLabelValues(front).Dec() }

// Request counts one request served, with its outcome and duration.
func (r *Registry) Request(front, typ, code string, took time.Duration) {
	r.requests.WithLabelValues(front, typ, code).Inc()
	r.duration.WithLabelValues(front, typ).Observe(took.Seconds())
}

// Transferred adds n file bytes moved in direction (Up or Down).
func (r *Registry) Transferred(front, direction string, n int64) {
	if n > 0 {
		r.transfer.WithLabelValues(direction, front).Add(float64(n))
	}
}

// Login counts a login attempt by its result.
func (r *Registry) Login(result string) { r.logins.WithLabelValues(result).Inc() }

// Registered counts an account registered.
func (r *Registry) Registered() { r.registrations.Inc() }

// RateLimited counts an attempt refused by a limit on what.
func (r *Registry) RateLimited(what string) { r.rateLimited.WithLabelValues(what).Inc() }
