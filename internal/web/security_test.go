package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netdisk/internal/pathtest"
)

// TestSecurityHeaders: every reply forbids framing and sniffing, and the
// page's policy allows no inline code and nothing from elsewhere.
func TestSecurityHeaders(t *testing.T) {
	s := newSite(t, false)
	b := s.browser()
	for _, p := range []string{"/", "/api/hello", "/api/session", "/static/index.html"} {
		r := b.get(p)
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", p, csp, want)
			}
		}
		if strings.Contains(csp, "'unsafe-inline'") || strings.Contains(csp, "'unsafe-eval'") {
			t.Errorf("%s: CSP allows inline code or eval: %q", p, csp)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", p)
		}
	}
}

// TestSessionCookie: the session cookie cannot be read by scripts, goes
// only to this site, and over HTTPS only to this host over HTTPS.
func TestSessionCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		s := newSite(t, secure)
		b := s.browser()
		b.must(b.post("/api/register", map[string]string{"user": "hal", "password": "hal password"}), http.StatusNoContent)
		r := b.must(b.post("/api/login", map[string]string{"user": "hal", "password": "hal password"}), http.StatusOK)
		cookies := r.Cookies()
		if len(cookies) != 1 {
			t.Fatalf("secure=%v: %d cookies", secure, len(cookies))
		}
		c := cookies[0]
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure != secure {
			t.Errorf("secure=%v: cookie %+v", secure, c)
		}
		if secure != strings.HasPrefix(c.Name, "__Host-") {
			t.Errorf("secure=%v: cookie named %s", secure, c.Name)
		}
		if raw := r.Header.Get("Set-Cookie"); strings.Contains(strings.ToLower(raw), "domain=") {
			t.Errorf("cookie with a domain: %s", raw)
		}
	}
}

// TestCSRF: a state-changing request needs the session's CSRF token, and
// one from another origin is refused even before that.
func TestCSRF(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("ivy")
	token := b.csrf
	b.csrf = ""
	b.refused(b.post("/api/mkdir", map[string]string{"path": "x"}), http.StatusForbidden, "csrf")
	b.csrf = "not-the-token"
	b.refused(b.post("/api/mkdir", map[string]string{"path": "x"}), http.StatusForbidden, "csrf")
	b.csrf = token
	r := b.do("POST", "/api/mkdir", strings.NewReader(`{"path":"x"}`), map[string]string{
		"Content-Type": "application/json", "Origin": "https://evil.example"})
	b.refused(r, http.StatusForbidden, "csrf")
	// A form post (what another site can make without asking) is not JSON.
	r = b.do("POST", "/api/mkdir", strings.NewReader("path=x"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	b.refused(r, http.StatusUnsupportedMediaType, "bad_request")
	b.must(b.post("/api/mkdir", map[string]string{"path": "x"}), http.StatusNoContent)
	// And the tus door wants it too.
	b.csrf = ""
	r = b.do("POST", "/tus/", nil, map[string]string{"Tus-Resumable": "1.0.0", "Upload-Length": "1"})
	b.refused(r, http.StatusForbidden, "csrf")
}

// TestBodiesBounded: a JSON body larger than the API's bound is refused.
func TestBodiesBounded(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("jay")
	big := `{"path":"` + strings.Repeat("a", 100<<10) + `"}`
	r := b.do("POST", "/api/mkdir", strings.NewReader(big), map[string]string{"Content-Type": "application/json"})
	b.refused(r, http.StatusRequestEntityTooLarge, "too_large")
}

// TestNotLoggedIn: every route of a user's files wants a session.
func TestNotLoggedIn(t *testing.T) {
	s := newSite(t, false)
	b := s.browser()
	for _, p := range []string{"/api/list?path=", "/api/usage", "/dl/x", "/view/x", "/zip?path=x", "/api/uploads"} {
		b.refused(b.get(p), http.StatusUnauthorized, "not_logged_in")
	}
}

// TestSessionEndsEverywhere: a password change (from either door) ends
// the browser's session.
func TestSessionEndsEverywhere(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("kim")
	b.must(b.get("/api/usage"), http.StatusOK)
	sess, err := s.svc.Login(t.Context(), "kim", "kim password", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.ChangePassword(t.Context(), sess, "kim password", "kim's new password", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	b.refused(b.get("/api/usage"), http.StatusUnauthorized, "session_expired")
}

// TestHostilePaths: the paths the TCP commands refuse are refused by every
// route too, and nothing outside the user's folder is read or changed.
func TestHostilePaths(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("mal")
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "victim.txt"), []byte("keep me"), 0o644)
	userDir := filepath.Join(s.data, "files", "mal")
	if err := os.Symlink(outside, filepath.Join(userDir, "escape")); err != nil {
		t.Fatal(err)
	}
	b.must(b.post("/api/mkdir", map[string]string{"path": "inside"}), http.StatusNoContent)
	for _, p := range pathtest.Hostile {
		q := url.QueryEscape(p)
		esc := strings.ReplaceAll(url.PathEscape(p), "%2F", "/")
		for _, r := range []response{
			b.post("/api/mkdir", map[string]string{"path": p}),
			b.post("/api/mkdir", map[string]string{"path": p + "/sub"}),
			b.post("/api/rm", map[string]any{"paths": []string{p}}),
			b.post("/api/mv", map[string]any{"moves": []map[string]string{{"from": "inside", "to": p}}}),
			b.get("/api/stat?path=" + q + "/victim.txt"),
			b.get("/dl/" + esc),
			b.get("/view/" + esc),
			b.get("/api/upload?path=" + q + "&size=3"),
			b.post("/api/commit", map[string]any{"path": p, "size": 3, "digest": strings.Repeat("0", 64)}),
		} {
			ok := r.StatusCode < 300
			if ok && r.Request.URL.Path == "/api/rm" || ok && r.Request.URL.Path == "/api/mv" {
				ok = !bytes.Contains(r.body, []byte(`"code"`))
			}
			if ok {
				t.Errorf("%s %s %q: accepted (%d %s)", r.Request.Method, r.Request.URL.Path, p, r.StatusCode, r.body)
			}
			if bytes.Contains(r.body, []byte(s.data)) || bytes.Contains(r.body, []byte("keep me")) {
				t.Errorf("%s %q: the reply leaks: %s", r.Request.URL.Path, p, r.body)
			}
		}
	}
	if got, _ := os.ReadFile(filepath.Join(outside, "victim.txt")); string(got) != "keep me" {
		t.Errorf("the outside file was changed: %q", got)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("the outside folder holds %d entries", len(entries))
	}
}

// TestPreviewCannotRun: an uploaded HTML or SVG file previews as plain
// text in a sandbox, and downloads as an attachment; neither is ever
// served as something the browser would run in this site.
func TestPreviewCannotRun(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("nan")
	evil := []byte(`<html><script>document.title="owned"</script></html>`)
	for _, name := range []string{"evil.html", "evil.svg", "evil.htm", "evil.xhtml", "noext"} {
		u := b.tusCreate(name, len(evil))
		b.must(b.tusPatch(u, 0, evil), http.StatusNoContent)
		b.must(b.commit(name, evil), http.StatusOK)
		r := b.must(b.get("/view/"+name), http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("%s previewed as %s", name, ct)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s preview CSP %q", name, csp)
		}
		r = b.must(b.get("/dl/"+name), http.StatusOK)
		if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
			t.Errorf("%s downloaded with %q", name, cd)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("%s downloaded as %s", name, ct)
		}
	}
}
