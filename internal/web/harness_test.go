package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"netdisk/internal/service"
	"netdisk/internal/storage"
	"netdisk/internal/users"
	"netdisk/internal/web"
)

// site is a web handler on a real service, served by httptest.
type site struct {
	t    *testing.T
	srv  *httptest.Server
	svc  *service.Service
	reg  *users.Registry
	data string // the data folder
	// metrics records what the handler counts.
	metrics *countingMetrics
}

// newSite starts a web handler over HTTPS (secure) or plain HTTP.
func newSite(t *testing.T, secure bool) *site {
	t.Helper()
	dir := t.TempDir()
	reg, err := users.Open(filepath.Join(dir, "users.xlsx"), nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := storage.NewLocal(filepath.Join(dir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(service.Config{
		DataDir: dir, Users: reg, Store: store, Logger: slog.New(slog.DiscardHandler),
		Hasher: users.NewHasher(users.Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, 2),
	})
	if err != nil {
		t.Fatal(err)
	}
	m := &countingMetrics{requests: map[string]int{}, bytes: map[string]int64{}}
	h, err := web.New(web.Config{Service: svc, Secure: secure, Name: "netdisk", Welcome: "welcome", Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	if secure {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(func() {
		srv.Close()
		svc.Close(context.Background())
		reg.Close()
		store.Close()
	})
	return &site{t: t, srv: srv, svc: svc, reg: reg, data: dir, metrics: m}
}

// browser is a client with a cookie jar, as a page is.
type browser struct {
	t    *testing.T
	s    *site
	c    *http.Client
	csrf string
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{
		Transport:     s.srv.Client().Transport,
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &browser{t: s.t, s: s, c: c}
}

// loggedIn registers name and logs in.
func (s *site) loggedIn(name string) *browser {
	b := s.browser()
	b.must(b.post("/api/register", map[string]string{"user": name, "password": name + " password"}), http.StatusNoContent)
	res := b.post("/api/login", map[string]string{"user": name, "password": name + " password"})
	var reply struct{ User, CSRF string }
	b.decode(res, http.StatusOK, &reply)
	b.csrf = reply.CSRF
	return b
}

type response struct {
	*http.Response
	body []byte
}

func (b *browser) do(method, path string, body io.Reader, hdr map[string]string) response {
	b.t.Helper()
	req, err := http.NewRequest(method, b.s.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return response{res, data}
}

func (b *browser) get(path string) response { return b.do("GET", path, nil, nil) }

func (b *browser) post(path string, v any) response {
	body, _ := json.Marshal(v)
	return b.do("POST", path, bytes.NewReader(body), map[string]string{"Content-Type": "application/json"})
}

// must checks the status.
func (b *browser) must(r response, status int) response {
	b.t.Helper()
	if r.StatusCode != status {
		b.t.Fatalf("%s %s: %d %s; want %d", r.Request.Method, r.Request.URL.Path, r.StatusCode, r.body, status)
	}
	return r
}

func (b *browser) decode(r response, status int, v any) {
	b.t.Helper()
	b.must(r, status)
	if err := json.Unmarshal(r.body, v); err != nil {
		b.t.Fatalf("%s: %v in %s", r.Request.URL.Path, err, r.body)
	}
}

// refused checks an error reply: the status, its code, a message, and no
// server detail.
func (b *browser) refused(r response, status int, code string) {
	b.t.Helper()
	var e struct{ Code, Message string }
	json.Unmarshal(r.body, &e)
	if r.StatusCode != status || e.Code != code || e.Message == "" {
		b.t.Errorf("%s %s: %d %s; want %d %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, r.body, status, code)
	}
	if strings.Contains(string(r.body), b.s.data) {
		b.t.Errorf("%s: the reply names the server's folder: %s", r.Request.URL.Path, r.body)
	}
}

func setQuota(t *testing.T, s *site, name string, bytes int64) {
	t.Helper()
	err := s.reg.Update(context.Background(), name, func(u *users.User) error {
		u.QuotaBytes = bytes
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
