package daemon

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"netdisk/internal/metrics"
)

// metricsAddr is where the metrics listener binds: an address without a
// host (":9090") binds loopback only, since the endpoint tells anyone who
// reaches it how the server is used; a host given is taken as given.
func metricsAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "" {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// newMetricsServer serves /metrics, /healthz (the process serves) and
// /readyz (it accepts connections and its data folder is usable).
func (d *Daemon) newMetricsServer(reg *metrics.Registry) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", reg.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if why := d.notReady(); why != "" {
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// notReady says why the server should get no traffic now, or "".
func (d *Daemon) notReady() string {
	if d.closing.Load() {
		return "shutting down"
	}
	if d.stopped.Load() {
		return "not accepting connections"
	}
	// The files folder must be there and a folder; a Stat is cheap and
	// fails when the disk is gone or unmounted.
	fi, err := os.Stat(filepath.Join(d.DataDir, "files"))
	if err != nil {
		return "data folder unusable: " + err.Error()
	}
	if !fi.IsDir() {
		return "data folder unusable: files is not a folder"
	}
	return ""
}
