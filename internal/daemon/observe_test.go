package daemon_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"netdisk/internal/client"
	"netdisk/internal/daemon"
	"netdisk/internal/proto"
	"netdisk/internal/testlog"
	"netdisk/internal/users"

	"netdisk/internal/testwait"
)

const (
	testUser     = "erin"
	testPassword = "correct horse battery"
	fileName     = "report-2026.bin"
	fileSize     = 300 << 10 // below client.ResumeThreshold: one put, no put_open
)

// observed is a real server with both doors and the metrics endpoint on
// loopback, logging JSON at debug level into logs.
type observed struct {
	d       *daemon.Daemon
	metrics string // base URL of the metrics listener
	logs    *testlog.Buffer
	web     *http.Client // with a cookie jar
}

func startObserved(t *testing.T, mod ...func(*daemon.Config)) *observed {
	t.Helper()
	logs := &testlog.Buffer{}
	cfg := daemon.Config{
		DataDir:   filepath.Join(t.TempDir(), "data"),
		Listen:    "127.0.0.1:0",
		HTTP:      "127.0.0.1:0",
		Metrics:   "127.0.0.1:0",
		Plaintext: true,
		Logger:    slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Argon2:    users.Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16},
	}
	for _, m := range mod {
		m(&cfg)
	}
	d, err := daemon.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	o := &observed{d: d, metrics: "http://" + d.MetricsAddr.String(), logs: logs, web: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if o.d != nil {
			o.d.Shutdown(ctx)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return o
}

// exercise does what the tests then look for in the metrics and logs,
// with the real client: a registration, a failed login, a login, a
// listing, an upload and a download of fileSize bytes; then on the web a
// login and a download of the same file. It returns the protocol client,
// still connected.
func (o *observed) exercise(t *testing.T) *client.Client {
	t.Helper()
	ctx := context.Background()
	c, err := client.Dial(ctx, o.d.Addr.String(), client.Options{Plaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Register(ctx, testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	var pe *proto.Error
	if _, err := c.Login(ctx, testUser, "not the password"); !errors.As(err, &pe) || pe.Code != proto.CodeAuthFailed {
		t.Fatalf("login with a wrong password: %v", err)
	}
	if _, err := c.Login(ctx, testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(ctx, ""); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	content := make([]byte, fileSize)
	rand.Read(content)
	src := filepath.Join(dir, "up")
	if err := os.WriteFile(src, content, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := c.Put(ctx, f, fileName, client.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	dst, err := os.Create(filepath.Join(dir, "down"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := c.Get(ctx, fileName, dst, 0, client.GetOptions{}); err != nil {
		t.Fatal(err)
	}

	base := "http://" + o.d.HTTPAddr.String()
	body, _ := json.Marshal(map[string]string{"user": testUser, "password": testPassword})
	resp, err := o.web.Post(base+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("web login: %s", resp.Status)
	}
	resp, err = o.web.Get(base + "/dl/" + fileName)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(got, content) {
		t.Fatalf("web download: %s, %d bytes, err %v", resp.Status, len(got), err)
	}
	return c
}

// get fetches path from the metrics listener.
func (o *observed) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(o.metrics + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// scrape reads /metrics as Prometheus does and parses it.
func (o *observed) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	status, text := o.get(t, "/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", status, text)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parsing /metrics: %v\n%s", err, text)
	}
	return families
}

// value is the value of the series of family with exactly labels (a
// counter, gauge or untyped one; a histogram's sample count), and whether
// it exists.
func value(families map[string]*dto.MetricFamily, family string, labels map[string]string) (float64, bool) {
	mf := families[family]
	if mf == nil {
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, lp := range m.GetLabel() {
			if labels[lp.GetName()] != lp.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func TestMetricsCountWhatTheServerDoes(t *testing.T) {
	o := startObserved(t)
	before := o.scrape(t)
	if v, ok := value(before, "netdisk_logins_total", map[string]string{"result": "ok"}); !ok || v != 0 {
		t.Errorf("before anything: logins ok = %v (present %v), want a 0 series", v, ok)
	}
	o.exercise(t) // its client stays connected

	fams := o.scrape(t)
	want := []struct {
		family string
		labels map[string]string
		value  float64
	}{
		{"netdisk_requests_total", map[string]string{"front": "protocol", "type": "register", "code": "ok"}, 1},
		{"netdisk_requests_total", map[string]string{"front": "protocol", "type": "login", "code": "auth_failed"}, 1},
		{"netdisk_requests_total", map[string]string{"front": "protocol", "type": "login", "code": "ok"}, 1},
		{"netdisk_requests_total", map[string]string{"front": "protocol", "type": "ls", "code": "ok"}, 1},
		{"netdisk_requests_total", map[string]string{"front": "protocol", "type": "put", "code": "ok"}, 1},
		{"netdisk_requests_total", map[string]string{"front": "protocol", "type": "get", "code": "ok"}, 1},
		{"netdisk_requests_total", map[string]string{"front": "web", "type": "login", "code": "ok"}, 1},
		{"netdisk_requests_total", map[string]string{"front": "web", "type": "download", "code": "ok"}, 1},
		{"netdisk_request_duration_seconds", map[string]string{"front": "protocol", "type": "put"}, 1},
		{"netdisk_request_duration_seconds", map[string]string{"front": "protocol", "type": "login"}, 2},
		{"netdisk_transfer_bytes_total", map[string]string{"front": "protocol", "direction": "up"}, fileSize},
		{"netdisk_transfer_bytes_total", map[string]string{"front": "protocol", "direction": "down"}, fileSize},
		{"netdisk_transfer_bytes_total", map[string]string{"front": "web", "direction": "down"}, fileSize},
		{"netdisk_transfer_bytes_total", map[string]string{"front": "web", "direction": "up"}, 0},
		{"netdisk_logins_total", map[string]string{"result": "ok"}, 2}, // the protocol's and the web's
		{"netdisk_logins_total", map[string]string{"result": "failed"}, 1},
		{"netdisk_logins_total", map[string]string{"result": "rate_limited"}, 0},
		{"netdisk_registrations_total", map[string]string{}, 1},
		{"netdisk_connections_open", map[string]string{"front": "protocol"}, 1},
		{"netdisk_uploads_partial", map[string]string{}, 0},
	}
	for _, w := range want {
		got, ok := value(fams, w.family, w.labels)
		if !ok || got != w.value {
			t.Errorf("%s%v = %v (present %v), want %v", w.family, w.labels, got, ok, w.value)
		}
	}
	if v, ok := value(fams, "netdisk_connections_open", map[string]string{"front": "web"}); !ok || v < 1 {
		// The web client keeps its connection alive between requests.
		t.Errorf("web connections open = %v (present %v), want at least 1", v, ok)
	}
	bi := fams["netdisk_build_info"]
	if bi == nil || len(bi.GetMetric()) != 1 || bi.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("netdisk_build_info: %v", bi)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "process_open_fds"} {
		if fams[name] == nil {
			t.Errorf("%s missing: the Go and process collectors are not registered", name)
		}
	}
	// No series is labelled with who or what: user names and paths stay
	// in the logs.
	for name, mf := range fams {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v := lp.GetValue(); strings.Contains(v, testUser) || strings.Contains(v, fileName) {
					t.Errorf("%s has label %s=%q", name, lp.GetName(), v)
				}
			}
		}
	}

	if status, body := o.get(t, "/healthz"); status != http.StatusOK {
		t.Errorf("/healthz: %d %s", status, body)
	}
	if status, body := o.get(t, "/readyz"); status != http.StatusOK {
		t.Errorf("/readyz: %d %s", status, body)
	}
}

// TestReadyzSaysShuttingDown holds a web download in progress (its client
// reads nothing, so the server's writes fill the socket buffers and wait),
// which makes Shutdown wait for it; meanwhile /readyz must answer 503 and
// /healthz still 200.
func TestReadyzSaysShuttingDown(t *testing.T) {
	o := startObserved(t)
	ctx := context.Background()
	c, err := client.Dial(ctx, o.d.Addr.String(), client.Options{Plaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Register(ctx, testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	// Larger than loopback's socket buffers on both sides together.
	src := filepath.Join(t.TempDir(), "big")
	big, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(64 << 20); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, big, "big", client.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	big.Close()
	base := "http://" + o.d.HTTPAddr.String()
	body, _ := json.Marshal(map[string]string{"user": testUser, "password": testPassword})
	resp, err := o.web.Post(base+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = o.web.Get(base + "/dl/big")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() // not read until the end

	if status, _ := o.get(t, "/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz before shutdown: %d", status)
	}
	stop, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	d := o.d
	o.d = nil // shut down here, not at cleanup
	go func() { done <- d.Shutdown(stop) }()
	var status int
	testwait.Until(t, 10*time.Second, func() bool {
		status, _ = o.get(t, "/readyz")
		return status == http.StatusServiceUnavailable
	}, func() string { return fmt.Sprintf("/readyz still %d during shutdown", status) })
	if status, _ := o.get(t, "/healthz"); status != http.StatusOK {
		t.Errorf("/healthz during shutdown: %d", status)
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) while a download was in progress", err)
	default:
	}
	cancel() // cut the download
	<-done
}

// TestMetricsCountRefusedConnections: a login over the per-user
// connection limit is refused, and counted as such.
func TestMetricsCountRefusedConnections(t *testing.T) {
	o := startObserved(t, func(c *daemon.Config) { c.MaxConnsPerUser = 1 })
	ctx := context.Background()
	dial := func() *client.Client {
		c, err := client.Dial(ctx, o.d.Addr.String(), client.Options{Plaintext: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	first, second := dial(), dial()
	if err := first.Register(ctx, testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Login(ctx, testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	var pe *proto.Error
	if _, err := second.Login(ctx, testUser, testPassword); !errors.As(err, &pe) || pe.Code != proto.CodeBusy {
		t.Fatalf("a second connection's login: %v, want busy", err)
	}
	fams := o.scrape(t)
	for _, w := range []struct {
		family string
		labels map[string]string
		value  float64
	}{
		{"netdisk_rate_limited_total", map[string]string{"what": "connections"}, 1},
		{"netdisk_rate_limited_total", map[string]string{"what": "login"}, 0},
		{"netdisk_requests_total", map[string]string{"front": "protocol", "type": "login", "code": "busy"}, 1},
		// The password was right: the service counts the login; the
		// connection limit refuses it after.
		{"netdisk_logins_total", map[string]string{"result": "ok"}, 2},
		{"netdisk_connections_open", map[string]string{"front": "protocol"}, 2},
	} {
		if got, ok := value(fams, w.family, w.labels); !ok || got != w.value {
			t.Errorf("%s%v = %v (present %v), want %v", w.family, w.labels, got, ok, w.value)
		}
	}
}

// TestTransferBytesCountWhatMoved: an upload cut short and then resumed
// counts the bytes of both attempts, which together are the file's size
// (what the server kept of the first is not sent again).
func TestTransferBytesCountWhatMoved(t *testing.T) {
	o := startObserved(t)
	ctx := context.Background()
	dial := func() *client.Client {
		c, err := client.Dial(ctx, o.d.Addr.String(), client.Options{Plaintext: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	first := dial()
	if err := first.Register(ctx, testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Login(ctx, testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	const size = 32 << 20
	src := filepath.Join(t.TempDir(), "big")
	content := make([]byte, size)
	rand.Read(content)
	if err := os.WriteFile(src, content, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cut, stop := context.WithCancel(ctx)
	_, err = first.Put(cut, f, "big", client.PutOptions{Progress: func(done int64) {
		if done >= 4<<20 {
			stop()
		}
	}})
	stop()
	if err == nil {
		// 28 MiB cannot all be in flight in loopback's socket buffers.
		t.Fatal("the upload finished although it was cut at 4 MiB")
	}
	first.Close()

	second := dial()
	if _, err := second.Login(ctx, testUser, testPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	res, err := second.Put(ctx, f, "big", client.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed == 0 {
		t.Fatalf("the second upload did not resume: %+v", res)
	}
	// The first connection's count lands when its handler returns, which
	// the takeover need not wait for.
	var up float64
	testwait.Until(t, 10*time.Second, func() bool {
		up, _ = value(o.scrape(t), "netdisk_transfer_bytes_total", map[string]string{"front": "protocol", "direction": "up"})
		if up > size {
			t.Fatalf("up = %v bytes after a resumed upload of %d (resumed at %d)", up, size, res.Resumed)
		}
		return up == size
	}, func() string {
		return fmt.Sprintf("up = %v bytes after a resumed upload of %d (resumed at %d)", up, size, res.Resumed)
	})
}
