package cli

import (
	"reflect"
	"strings"
	"testing"
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
	if r.code != 0 {
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
