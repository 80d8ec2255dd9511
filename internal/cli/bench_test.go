package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"netdisk/internal/daemon"
	"netdisk/internal/loadgen"
	"netdisk/internal/service"
	"netdisk/internal/users"

	"netdisk/internal/testwait"
)

// cheapHashes keeps argon2 fast in bench tests, where every client logs in
// and the mix logs in again: the code paths are the same.
func cheapHashes(c *daemon.Config) {
	c.Argon2 = users.Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16}
}

// benchJSON runs bench with --json and decodes its document.
func benchJSON(t *testing.T, u *user, args ...string) (loadgen.Report, result) {
	t.Helper()
	r := u.run("", append([]string{"bench", "--json"}, args...)...)
	var rep loadgen.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("bench --json printed no JSON document (%v); exit %d\nstdout: %s\nstderr: %s", err, r.code, r.stdout, r.stderr)
	}
	return rep, r
}

// A closed-loop run of every operation over TLS: every operation of the
// mix was done, without an error, and the figures add up.
func TestBenchClosedLoop(t *testing.T) {
	s := startServer(t, cheapHashes)
	u := s.newUser(t)
	mix := "login=1,ls=2,stat=2,mkdir=2,rm=2,put=3,get=3"
	saved := filepath.Join(t.TempDir(), "bench-users")
	rep, r := benchJSON(t, u, "-c", "4", "-d", "2s", "--mix", mix, "--size", "4KiB,64KiB", "--fail-errors", "0", "--save-users", saved)
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
	}
	if !rep.TLS || rep.Fingerprint != s.d.Fingerprint || rep.Loop != "closed" || rep.Latency != "operation_start" || rep.Clients != 4 {
		t.Errorf("report header: tls %v fingerprint %q (server %q) loop %q latency %q clients %d",
			rep.TLS, rep.Fingerprint, s.d.Fingerprint, rep.Loop, rep.Latency, rep.Clients)
	}
	var ops, bytes int64
	for _, op := range []loadgen.Op{"login", "ls", "stat", "mkdir", "rm", "put", "get"} {
		o, ok := rep.Operations[op]
		if !ok || o.Count == 0 || o.Errors != 0 {
			t.Errorf("%s: %+v (present %v), want a count and no error", op, o, ok)
		}
		if o.LatencyUS.P50 <= 0 || o.LatencyUS.P50 > o.LatencyUS.P99 || o.LatencyUS.P99 > o.LatencyUS.Max {
			t.Errorf("%s: latencies out of order: %+v", op, o.LatencyUS)
		}
		ops += o.Count
		bytes += o.Bytes
	}
	if len(rep.Operations) != 7 || ops != rep.Ops || bytes != rep.Bytes || rep.Errors != 0 || len(rep.ErrorsByCode) != 0 {
		t.Errorf("totals: ops %d (sum %d), bytes %d (sum %d), errors %d %v", rep.Ops, ops, rep.Bytes, bytes, rep.Errors, rep.ErrorsByCode)
	}
	if rep.Operations["put"].Bytes < 4096*rep.Operations["put"].Count || rep.Operations["get"].Bytes < 4096*rep.Operations["get"].Count {
		t.Errorf("put and get moved too few bytes: %+v %+v", rep.Operations["put"], rep.Operations["get"])
	}
	if rep.Seconds < 2 || rep.Seconds > 10 || rep.MBPerS <= 0 {
		t.Errorf("seconds %v, MB/s %v", rep.Seconds, rep.MBPerS)
	}
	if rep.Users.Registered != 4 || rep.FoldersRemoved != 4 || len(rep.CleanupErrors) != 0 {
		t.Errorf("users %+v, folders removed %d, cleanup errors %v", rep.Users, rep.FoldersRemoved, rep.CleanupErrors)
	}
	if !strings.Contains(r.stderr, "stay on the server") || !strings.Contains(r.stderr, "bench-"+rep.RunID+"-0003") {
		t.Errorf("stderr does not say the registered users stay: %s", r.stderr)
	}
	s.waitIdle(t)

	// The saved accounts log in, and their folders hold nothing.
	accts, err := loadgen.ReadUsers(saved)
	if err != nil || len(accts) != 4 {
		t.Fatalf("saved users: %v, %v", accts, err)
	}
	for _, a := range accts {
		if !strings.HasPrefix(a.User, "bench-"+rep.RunID+"-") {
			t.Errorf("saved user %s is not of this run (%s)", a.User, rep.RunID)
		}
	}
	owner := s.newUser(t)
	owner.ok(accts[2].Password+"\n", "login", "--password-stdin", accts[2].User)
	if out := owner.ok("", "ls"); out != "" {
		t.Errorf("%s's folder after bench:\n%s", accts[2].User, out)
	}
	if out := owner.ok("", "uploads"); strings.Contains(out, "bench-") {
		t.Errorf("unfinished uploads left:\n%s", out)
	}
}

// The text report has a row per operation of the mix with its count.
func TestBenchTextReport(t *testing.T) {
	s := startServer(t, cheapHashes)
	u := s.newUser(t)
	out := u.ok("", "bench", "-c", "2", "-n", "60", "--mix", "ls=1,put=1,get=1", "--fail-errors", "0", "--fail-p99", "1m")
	for _, op := range []string{"ls", "put", "get"} {
		m := regexp.MustCompile(`(?m)^` + op + ` +(\d+) +0 `).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no row for %s with no error in:\n%s", op, out)
		}
		if n, _ := strconv.Atoi(m[1]); n == 0 {
			t.Errorf("%s: count 0 in:\n%s", op, out)
		}
	}
	for _, want := range []string{"60 operations in", "ops/s", "MB/s", "p99.9", "closed loop", "removed the clients' folders and what was uploaded to them (2)"} {
		if !strings.Contains(out, want) {
			t.Errorf("report does not say %q:\n%s", want, out)
		}
	}
}

// An open loop starts exactly the operations its schedule holds, and
// counts latency from their intended starts.
func TestBenchOpenLoop(t *testing.T) {
	s := startServer(t, cheapHashes)
	u := s.newUser(t)
	// 4 clients at 200 ops/s in all: one every 20 ms each, for 2 s.
	rep, r := benchJSON(t, u, "-c", "4", "-R", "200", "-d", "2s", "--mix", "ls=2,stat=1,put=1,get=1", "--size", "8KiB")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
	}
	if rep.Loop != "open" || rep.Rate != 200 || rep.Latency != "intended_start" {
		t.Errorf("loop %q rate %v latency %q", rep.Loop, rep.Rate, rep.Latency)
	}
	if rep.Ops != 400 {
		t.Errorf("%d operations, want the 400 the schedule holds", rep.Ops)
	}
	if rep.Errors != 0 {
		t.Errorf("errors: %v", rep.ErrorsByCode)
	}
}

// --fail-p99 and --fail-errors gate a run with exit status 1.
func TestBenchGates(t *testing.T) {
	s := startServer(t, cheapHashes)
	u := s.newUser(t)
	rep, r := benchJSON(t, u, "-c", "2", "-n", "20", "--mix", "ls=1,stat=1", "--fail-p99", "1ns")
	if r.code != 1 || !strings.Contains(r.stderr, "above --fail-p99 1ns") {
		t.Errorf("--fail-p99 1ns: exit %d, stderr %s", r.code, r.stderr)
	}
	if rep.Ops != 20 {
		t.Errorf("the report of the failed gate holds %d operations, want 20", rep.Ops)
	}
	r = u.run("", "bench", "-c", "1", "-n", "10", "--mix", "ls=1", "--fail-errors", "0", "--fingerprint", s.d.Fingerprint)
	if r.code != 0 || strings.Contains(r.stderr, "seen first") {
		t.Errorf("--fail-errors 0 with no error, --fingerprint given: exit %d, stderr %s", r.code, r.stderr)
	}
	r = u.run("", "bench", "-c", "1", "-n", "10", "--fingerprint", "SHA256:"+strings.Repeat("A", 43))
	if r.code != 1 || !strings.Contains(r.stderr, "not the one expected") {
		t.Errorf("a wrong --fingerprint: exit %d, stderr %s", r.code, r.stderr)
	}
	// A server pinned with another certificate is refused, naming the file.
	pins := filepath.Join(u.cfgDir, "known_servers")
	if err := os.WriteFile(pins, []byte(s.addr+" SHA256:"+strings.Repeat("B", 43)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = u.run("", "bench", "-c", "1", "-n", "10")
	if r.code != 1 || !strings.Contains(r.stderr, "CERTIFICATE HAS CHANGED") || !strings.Contains(r.stderr, pins) {
		t.Errorf("a changed certificate: exit %d, stderr %s", r.code, r.stderr)
	}
}

// With the server's registration limit reached, bench says which server
// setting to raise.
func TestBenchSignupLimit(t *testing.T) {
	s := startServer(t, cheapHashes, func(c *daemon.Config) {
		c.Limits = service.DefaultLimits
		c.Limits.SignupsPerHour = 2
	})
	u := s.newUser(t)
	r := u.run("", "bench", "-c", "4", "-n", "10")
	if r.code != 1 || !strings.Contains(r.stderr, "rate_limited") || !strings.Contains(r.stderr, "--signups-per-hour") {
		t.Errorf("exit %d, stderr: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "stay on the server") {
		t.Errorf("stderr does not say the 2 registered users stay: %s", r.stderr)
	}
}

// Bench works as a given user, in a folder of its own, and leaves the
// user's folder as it found it: empty.
func TestBenchGivenUsersLeavesNothing(t *testing.T) {
	s := startServer(t, cheapHashes)
	alice := s.registered(t, "alice", "correct horse")
	file := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(file, []byte("# bench accounts\nalice:correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, r := benchJSON(t, alice, "-c", "3", "-d", "1s", "--users", file, "--mix", "put=2,get=1,mkdir=1,ls=1", "--fail-errors", "0")
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
	}
	if rep.Users.Registered != 0 || rep.Users.Given != 1 || rep.Operations["put"].Count == 0 || rep.FoldersRemoved != 3 {
		t.Errorf("users %+v, puts %d, folders removed %d", rep.Users, rep.Operations["put"].Count, rep.FoldersRemoved)
	}
	if strings.Contains(r.stderr, "stay on the server") {
		t.Errorf("stderr speaks of registered users where there are none: %s", r.stderr)
	}
	// alice's login pinned the server: bench holds it to that pin.
	if strings.Contains(r.stderr, "seen first") || rep.Fingerprint != s.d.Fingerprint {
		t.Errorf("a pinned server taken as new (fingerprint %q): %s", rep.Fingerprint, r.stderr)
	}
	if out := alice.ok("", "ls"); out != "" {
		t.Errorf("alice's folder after bench:\n%s", out)
	}
	if out := alice.ok("", "uploads"); strings.Contains(out, "bench-") {
		t.Errorf("unfinished uploads left:\n%s", out)
	}
}

// --idle holds logged-in connections through the run, spread over users
// within the per-user limit and opened in batches under the pre-login
// limit, and lets them go at the end.
func TestBenchIdleConnections(t *testing.T) {
	s := startServer(t, cheapHashes, func(c *daemon.Config) {
		c.MaxConnsPerUser = 64
		c.MaxPreLoginPerAddr = 16
	})
	u := s.newUser(t)
	const clients, idle = 2, 200
	done := make(chan result, 1)
	go func() {
		done <- u.run("", "bench", "--json", "-c", strconv.Itoa(clients), "-d", "3s", "--mix", "ls=1",
			"--idle", strconv.Itoa(idle), "--max-prelogin", "8")
	}()
	// Poll the server's count until it holds them all, while bench runs.
	deadline := time.Now().Add(20 * time.Second)
	var r result
	for held := false; !held; {
		select {
		case r = <-done:
			t.Fatalf("bench ended before the server held %d connections (it holds %d); exit %d\nstderr: %s", idle+clients, s.d.Server.Conns(), r.code, r.stderr)
		default:
		}
		held = s.d.Server.Conns() >= idle+clients
		if time.Now().After(deadline) {
			t.Fatalf("the server holds %d connections, want %d idle and %d clients", s.d.Server.Conns(), idle, clients)
		}
		time.Sleep(2 * time.Millisecond)
	}
	r = <-done
	if r.code != 0 {
		t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
	}
	var rep loadgen.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.IdleHeld != idle || rep.IdleLost != 0 || rep.IdleUsers != 4 || rep.Users.Registered != clients+4 {
		t.Errorf("idle held %d lost %d over %d users; %d users registered", rep.IdleHeld, rep.IdleLost, rep.IdleUsers, rep.Users.Registered)
	}
	if strings.Contains(s.logs.String(), "connection refused") {
		t.Errorf("the server refused connections:\n%s", s.logs.String())
	}
	s.waitIdle(t)
}

// Failed operations are counted by error code, and --fail-errors turns
// them into exit status 1 after the report.
func TestBenchErrorsByCode(t *testing.T) {
	s := startServer(t, cheapHashes)
	quinn := s.registered(t, "quinn", "correct horse")
	// Room for the seed file and little more: new files are refused.
	setQuota(t, s, "quinn", 100<<10)
	file := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(file, []byte("quinn:correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := quinn.run("", "bench", "-c", "1", "-n", "40", "--users", file, "--mix", "ls=1,put=1", "--fail-errors", "0")
	if r.code != 1 || !strings.Contains(r.stderr, "more than --fail-errors 0") {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	m := regexp.MustCompile(`(?m)^put +(\d+) +(\d+) `).FindStringSubmatch(r.stdout)
	if m == nil || m[2] == "0" {
		t.Fatalf("no put row with errors in:\n%s", r.stdout)
	}
	if !regexp.MustCompile(`(?m)^ +put +quota_exceeded +` + m[2] + `$`).MatchString(r.stdout) {
		t.Errorf("the %s failed puts are not listed as quota_exceeded:\n%s", m[2], r.stdout)
	}
	if !regexp.MustCompile(`(?m)^ls +\d+ +0 `).MatchString(r.stdout) {
		t.Errorf("ls failed too:\n%s", r.stdout)
	}
	if out := quinn.ok("", "ls"); out != "" {
		t.Errorf("quinn's folder after bench:\n%s", out)
	}
}

// --plaintext (or --tls=false) against a plaintext server.
func TestBenchPlaintext(t *testing.T) {
	s := startServer(t, cheapHashes, func(c *daemon.Config) { c.Plaintext = true })
	u := s.newUser(t) // runs with --plaintext
	rep, r := benchJSON(t, u, "-c", "2", "-n", "20", "--mix", "put=1,get=1", "--fail-errors", "0")
	if r.code != 0 || rep.TLS || rep.Fingerprint != "" || rep.Ops != 20 {
		t.Errorf("exit %d, tls %v, fingerprint %q, ops %d\nstderr: %s", r.code, rep.TLS, rep.Fingerprint, rep.Ops, r.stderr)
	}
	u.plaintext = false
	if r := u.run("", "bench", "--tls=false", "-c", "1", "-n", "5", "--mix", "ls=1"); r.code != 0 {
		t.Errorf("--tls=false: exit %d, stderr %s", r.code, r.stderr)
	}
	if r := u.run("", "bench", "--plaintext", "--tls", "-n", "5"); r.code != 2 {
		t.Errorf("--plaintext --tls: exit %d, want 2; stderr %s", r.code, r.stderr)
	}
}

// A bench command line that does not make sense is refused before any
// connection, with exit status 2.
func TestBenchUsage(t *testing.T) {
	s := startServer(t)
	u := s.newUser(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "5", "-d", "1s"}, "not both"},
		{[]string{"--mix", "ls=1,chmod=2"}, `unknown operation "chmod"`},
		{[]string{"--mix", "ls=0"}, "no operation with a weight"},
		{[]string{"--size", "3TiB"}, "up to 1GiB"},
		{[]string{"-c", "0"}, "at least 1"},
		{[]string{"--plaintext", "--fingerprint", "SHA256:x"}, "--fingerprint is for TLS"},
		{[]string{"extra"}, "takes 0 argument"},
	} {
		r := u.run("", append([]string{"bench"}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("bench %v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if s.d.Server.Conns() != 0 || strings.Contains(s.logs.String(), "remote=") {
		t.Errorf("a refused command line reached the server:\n%s", s.logs.String())
	}
}

// An interrupted run prints what it measured and still removes what it
// uploaded.
func TestBenchInterrupted(t *testing.T) {
	s := startServer(t, cheapHashes)
	alice := s.registered(t, "alice", "correct horse")
	file := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(file, []byte("alice:correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan result, 1)
	go func() {
		done <- alice.runCtx(ctx, "", "bench", "-c", "2", "-d", "1m", "--users", file, "--mix", "put=1,mkdir=1")
	}()
	// Interrupt once both clients have uploaded past their seed files.
	testwait.Until(t, 15*time.Second, func() bool {
		puts, _ := filepath.Glob(filepath.Join(s.cfg.DataDir, "files", "alice", "bench-*", "f*"))
		return len(puts) >= 2
	}, func() string { return "no uploads seen in alice's folder" })
	cancel()
	r := <-done
	if r.code != exitInterrupted || !strings.Contains(r.stdout, "operations in") {
		t.Errorf("exit %d (want %d), stdout %s, stderr %s", r.code, exitInterrupted, r.stdout, r.stderr)
	}
	if out := alice.ok("", "ls"); out != "" {
		t.Errorf("alice's folder after an interrupted bench:\n%s\nstdout: %s\nstderr: %s", out, r.stdout, r.stderr)
	}
}
