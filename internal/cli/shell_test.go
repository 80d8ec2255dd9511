package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"netdisk/internal/testwait"
)

// TestShellFlow walks the seeds' interactive flow on a script: welcome,
// a failed login and a retry, commands with a current folder, exit.
func TestShellFlow(t *testing.T) {
	srv := startServer(t)
	srv.registered(t, "ivan", "ivan's password")
	u := srv.newUser(t)
	script := strings.Join([]string{
		"ivan", "wrong password", // refused, asked again
		"ivan", "ivan's password",
		"mkdir docs",
		"cd docs",
		"pwd",
		"mkdir 'my notes'",
		"ls",
		"cd ..",
		"ls -l",
		"cd nowhere",
		"help",
		"exit",
	}, "\n") + "\n"
	r := u.run(script, "shell")
	// cd nowhere failed: a script's exit status says so.
	if r.code != exitError || !strings.Contains(r.stderr, "1 command(s) failed") {
		t.Fatalf("shell exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"欢迎使用",         // the server's welcome comes first
		"Login failed", // on stderr, see below
		"Logged in as ivan",
		"ivan@netdisk:/docs> ",
		"/docs\n",
		"my notes/\n",
		"docs/\n",
		"Shell commands:",
	} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("shell transcript lacks %q:\n%s\n--- stderr:\n%s", want, r.stdout, r.stderr)
		}
	}
	if !strings.HasPrefix(r.stdout, "欢迎使用") {
		t.Errorf("the transcript does not open with the welcome: %q", r.stdout[:min(len(r.stdout), 80)])
	}
	if !strings.Contains(r.stderr, "no such file or folder") && !strings.Contains(r.stderr, "not exist") {
		t.Errorf("cd nowhere did not complain: %q", r.stderr)
	}
}

func TestShellQuitAndRegister(t *testing.T) {
	srv := startServer(t)
	u := srv.newUser(t)
	// A name that breaks the rules is refused before any password is
	// asked; a password that does is refused before it is asked again;
	// then a good registration logs in at once (no second login).
	r := u.run("R\nj\nR\njudy\nshort\nR\njudy\njudy's password\njudy's password\nls\nexit\n", "shell")
	if r.code != 0 || !strings.Contains(r.stdout, "Registered judy") || !strings.Contains(r.stdout, "Logged in as judy") {
		t.Fatalf("register inside the shell: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "invalid user name: too short") || !strings.Contains(r.stderr, "use at least 8 characters") {
		t.Errorf("the rules were not checked first:\n%s", r.stderr)
	}
	if n := strings.Count(r.stdout+r.stderr, "User name (R to register"); n != 3 {
		t.Errorf("the login prompt came %d times; want 3 (twice after a refusal, none after registering)", n)
	}
	// Q at the user name prompt quits without logging in.
	v := srv.newUser(t)
	r = v.run("Q\n", "shell")
	if r.code != 0 || strings.Contains(r.stdout, "Logged in") {
		t.Fatalf("Q: exit %d\n%s", r.code, r.stdout)
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"ls -l", []string{"ls", "-l"}},
		{"  put  'my file.txt'   docs ", []string{"put", "my file.txt", "docs"}},
		{`get "a b" c\ d`, []string{"get", "a b", "c d"}},
		{`mv 'it'\''s' x`, []string{"mv", "it's", "x"}},
		{"", nil},
		{"put 报告.txt", []string{"put", "报告.txt"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := splitArgs(tt.in)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitArgs(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			if len(got) > 0 {
				back, _ := splitArgs(quoteArg(got[len(got)-1]))
				if len(back) != 1 || back[0] != got[len(got)-1] {
					t.Errorf("quoteArg does not round-trip %q: %q", got[len(got)-1], back)
				}
			}
		})
	}
	for _, bad := range []string{"'open", `trailing\`} {
		if _, err := splitArgs(bad); err == nil {
			t.Errorf("splitArgs(%q) accepted", bad)
		}
	}
}

// A script fed to the shell says in its exit status that a command
// failed; shell -b stops at the first failure (a leading - lets a line
// fail); lcd, lls and ! work on this machine; help inside the shell does
// not offer connection flags.
func TestShellScriptsAndLocalCommands(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "kim", "kim's password")
	r := u.run("mkdir a\nrm nosuch\nls\nexit\n", "shell")
	if r.code != exitError || !strings.Contains(r.stderr, "1 command(s) failed") || !strings.Contains(r.stdout, "a/") {
		t.Errorf("a script with a failing line: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	r = u.run("ls\nexit\n", "shell")
	if r.code != exitOK {
		t.Errorf("a script that succeeds: exit %d, stderr %s", r.code, r.stderr)
	}

	local := t.TempDir()
	os.WriteFile(filepath.Join(local, "here.txt"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(local, "sub"), 0o755)
	batch := filepath.Join(t.TempDir(), "cmds")
	os.WriteFile(batch, []byte("-rm nosuch\nmkdir b\nlcd "+local+"\nlls\n!echo from-sh\nrm nosuch-either\nmkdir never\n"), 0o644)
	r = u.run("", "shell", "-b", batch)
	if r.code != exitError || !strings.Contains(r.stderr, "stopped at the first command that failed: rm nosuch-either") {
		t.Errorf("shell -b: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"here.txt\n", "sub/\n", "from-sh\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("shell -b output lacks %q:\n%s", want, r.stdout)
		}
	}
	if out := u.ok("", "ls"); !strings.Contains(out, "b/") || strings.Contains(out, "never") {
		t.Errorf("after shell -b: ls = %q (b made, never not)", out)
	}

	r = u.run("ls --help\nhelp\nexit\n", "shell")
	if strings.Contains(r.stdout, "--server") {
		t.Errorf("ls --help in the shell offers --server:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "  lcd [FOLDER]     change the local folder") {
		t.Errorf("help is not aligned:\n%s", r.stdout)
	}
}

// lockedBuffer is a bytes.Buffer safe to read while a command writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// When the server goes away under the shell, the shell says so and stays;
// the next command connects again with the saved session, without asking
// for a login.
func TestShellSurvivesAServerRestart(t *testing.T) {
	srv := startServer(t)
	u := srv.registered(t, "lena", "lena's password")
	u.ok("", "mkdir", "here")
	env := map[string]string{"NETDISK_CONFIG_DIR": u.cfgDir, "NETDISK_SERVER": srv.addr}
	in, feed := io.Pipe()
	var out, errs lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- mainWithEnv(context.Background(), []string{"shell"}, in, &out, &errs, func(k string) string { return env[k] })
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		testwait.Until(t, 20*time.Second, cond, func() string {
			return fmt.Sprintf("waiting for %s\nstdout: %s\nstderr: %s", what, out.String(), errs.String())
		})
	}
	io.WriteString(feed, "ls\n")
	waitFor("the first ls", func() bool { return strings.Contains(out.String(), "here/") })
	// The server stops: the next command fails, and the shell says so
	// and waits, asking for nothing. It says it as the connection's end
	// or as a refused connection, whichever the shell meets first: the
	// server's goodbye may still be on its way when the command goes out.
	srv.stop()
	io.WriteString(feed, "ls\n")
	waitFor("the refused ls", func() bool {
		e := errs.String()
		return strings.Contains(e, "no netdisk server at") || strings.Contains(e, "the server is shutting down")
	})
	// It comes back on the same address: the next command works.
	srv.cfg.Listen = srv.addr
	srv.start()
	io.WriteString(feed, "ls\nexit\n")
	feed.Close()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the shell did not end")
	}
	if n := strings.Count(out.String(), "here/"); n < 2 {
		t.Errorf("after the restart the shell listed %d times:\nstdout: %s\nstderr: %s", n, out.String(), errs.String())
	}
	if strings.Contains(out.String(), "User name (R to register") || strings.Contains(out.String(), "\n@netdisk") {
		t.Errorf("the shell asked for a login after the server came back:\n%s", out.String())
	}
}
