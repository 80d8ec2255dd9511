package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netdisk/internal/daemon"
	"netdisk/internal/testlog"
)

// testServer is a real netdisk server started in the test process on
// 127.0.0.1:0, through the same assembly `netdisk serve` uses.
type testServer struct {
	t    *testing.T
	d    *daemon.Daemon
	cfg  daemon.Config
	addr string
	logs *testlog.Buffer
}

// startServer starts a server with a fresh data folder; mod adjusts the
// configuration. It stops when the test ends.
func startServer(t *testing.T, mod ...func(*daemon.Config)) *testServer {
	t.Helper()
	logger, logs := testlog.New()
	cfg := daemon.Config{
		DataDir: filepath.Join(t.TempDir(), "data"),
		Listen:  "127.0.0.1:0",
		HTTP:    "off",
		Logger:  logger,
	}
	for _, m := range mod {
		m(&cfg)
	}
	s := &testServer{t: t, cfg: cfg, logs: logs}
	s.start()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return s
}

func (s *testServer) start() {
	s.t.Helper()
	d, err := daemon.Start(s.cfg)
	if err != nil {
		s.t.Fatalf("starting server: %v", err)
	}
	s.d = d
	s.addr = d.Addr.String()
}

// stop shuts the server down (idempotent).
func (s *testServer) stop() {
	if s.d == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.d.Shutdown(ctx)
	s.d = nil
}

// waitIdle waits until the server serves no connection: every request it
// was in the middle of (an upload cut short, say) has ended.
func (s *testServer) waitIdle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.d.Server.Conns() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the server still serves %d connections", s.d.Server.Conns())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// restart stops the server and starts it again on the same address and
// data folder.
func (s *testServer) restart() {
	s.t.Helper()
	s.stop()
	s.cfg.Listen = s.addr
	s.start()
}

// user is one person at one machine: their own config folder (sessions,
// pinned certificates) and the real command line.
type user struct {
	t         *testing.T
	srv       *testServer
	cfgDir    string
	plaintext bool
	server    string // address to use instead of the server's (a proxy)
}

func (s *testServer) newUser(t *testing.T) *user {
	return &user{t: t, srv: s, cfgDir: t.TempDir(), plaintext: s.cfg.Plaintext}
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs `netdisk ARGS` with stdin as standard input.
func (u *user) run(stdin string, args ...string) result {
	u.t.Helper()
	return u.runCtx(context.Background(), stdin, args...)
}

func (u *user) runCtx(ctx context.Context, stdin string, args ...string) result {
	return u.runEnvCtx(ctx, nil, stdin, args...)
}

// runEnv is run with extra environment variables.
func (u *user) runEnv(extra map[string]string, stdin string, args ...string) result {
	return u.runEnvCtx(context.Background(), extra, stdin, args...)
}

func (u *user) runEnvCtx(ctx context.Context, extra map[string]string, stdin string, args ...string) result {
	var out, errb bytes.Buffer
	addr := u.srv.addr
	if u.server != "" {
		addr = u.server
	}
	env := map[string]string{
		"NETDISK_CONFIG_DIR": u.cfgDir,
		"NETDISK_SERVER":     addr,
	}
	for k, v := range extra {
		env[k] = v
	}
	if u.plaintext {
		args = append([]string{"--plaintext"}, args...)
	}
	code := mainWithEnv(ctx, args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// ok runs a command that must succeed and returns its standard output.
func (u *user) ok(stdin string, args ...string) string {
	u.t.Helper()
	r := u.run(stdin, args...)
	if r.code != 0 {
		u.t.Fatalf("netdisk %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs a command that must fail and returns its standard error,
// checking it says wantInStderr.
func (u *user) fails(wantInStderr string, stdin string, args ...string) string {
	u.t.Helper()
	r := u.run(stdin, args...)
	if r.code == 0 {
		u.t.Fatalf("netdisk %s: succeeded, want failure\nstdout: %s", strings.Join(args, " "), r.stdout)
	}
	if !strings.Contains(r.stderr, wantInStderr) {
		u.t.Fatalf("netdisk %s: stderr %q does not say %q", strings.Join(args, " "), r.stderr, wantInStderr)
	}
	return r.stderr
}

// registered returns a user with an account name/password, logged in.
func (s *testServer) registered(t *testing.T, name, password string) *user {
	t.Helper()
	u := s.newUser(t)
	u.ok(password+"\n", "register", "--password-stdin", name)
	u.ok(password+"\n", "login", "--password-stdin", name)
	return u
}
