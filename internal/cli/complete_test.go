package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"netdisk/internal/client"
)

// shellApp is a shell of u's (without a terminal), writing into a buffer.
func (u *user) shellApp(t *testing.T) *app {
	env := map[string]string{"NETDISK_CONFIG_DIR": u.cfgDir, "NETDISK_SERVER": u.srv.addr}
	a := &app{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(k string) string { return env[k] }, timeout: client.DefaultTimeout}
	a.shell = &shell{cache: make(map[string]cachedList)}
	t.Cleanup(a.disconnect)
	return a
}

// completer is a shell's tab completion for u at the end of the line, as
// liner calls it (with the cursor position in runes), and what it prints.
func (u *user) completer(t *testing.T) (func(line string) (string, []string, string), *bytes.Buffer) {
	a := u.shellApp(t)
	return func(line string) (string, []string, string) {
		return a.complete(context.Background(), line, utf8.RuneCountInString(line))
	}, a.stdout.(*bytes.Buffer)
}

// Tab completion works on characters: Chinese names, combining marks and
// spaces complete whole and never as broken bytes.
func TestCompletionNonASCII(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "alice", "correct horse battery")
	u.ok("", "mkdir", "照片", "照相", "my photos", "cafe\u0301")
	local := filepath.Join(t.TempDir(), "x.txt")
	os.WriteFile(local, []byte("x"), 0o644)
	u.ok("", "put", local, "照片/片.jpg")
	u.ok("", "put", local, "照片/片子.jpg")
	u.ok("", "put", local, "my photos/it's here.txt")
	complete, printed := u.completer(t)

	check := func(line, wantHead string, want ...string) {
		t.Helper()
		head, got, tail := complete(line)
		if head != wantHead || tail != "" || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("complete(%q) = %q, %q, %q; want %q, %q", line, head, got, tail, wantHead, want)
		}
		for _, g := range got {
			if !utf8.ValidString(g) {
				t.Errorf("complete(%q) gave broken text %q", line, g)
			}
		}
	}
	check("cd 照片", "cd ", "照片/")     // one folder
	check("get 照片/", "get ", "照片/片") // the common prefix, in whole characters
	check("get 照片/片子", "get ", "照片/片子.jpg ")
	// 照片 and 照相 share only 照: nothing to add, so the candidates are listed.
	printed.Reset()
	check("ls 照", "ls ", "照")
	if got := printed.String(); !strings.Contains(got, "照片/") || !strings.Contains(got, "照相/") {
		t.Errorf("the candidates printed are %q", got)
	}
	check("ls my", "ls ", "'my photos'/")
	check("ls 'my photos'/", "ls ", `'my photos/it'\''s here.txt' `)
	check("ls my\\ ph", "ls ", "'my photos'/")
	check("cd caf", "cd ", "café/")        // stored in NFC
	check("cd cafe\u0301", "cd ", "café/") // typed with a combining accent
	check("cd 照片 ", "cd 照片 ")              // a new empty word lists the top folder: several candidates
}

// The cursor position counts characters: completing in the middle of a
// line keeps what follows it.
func TestCompletionMidLine(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "bob", "correct horse battery")
	u.ok("", "mkdir", "照片")
	a := u.shellApp(t)
	line := "mv 照 新的"
	head, got, tail := a.complete(context.Background(), line, utf8.RuneCountInString("mv 照"))
	if head != "mv " || len(got) != 1 || got[0] != "照片/" || tail != " 新的" {
		t.Errorf("complete mid-line = %q %q %q", head, got, tail)
	}
}

func TestCurrentWord(t *testing.T) {
	for _, c := range []struct {
		head  string
		start int
		word  string
	}{
		{"", 0, ""},
		{"ls ", 3, ""},
		{"ls 照片", 3, "照片"},
		{"get 'my ph", 4, "my ph"},
		{`get my\ ph`, 4, "my ph"},
		{`get "a b" c`, 10, "c"},
		{`put x 'it'\''s`, 6, "it's"},
	} {
		start, word := currentWord(c.head)
		if start != c.start || word != c.word {
			t.Errorf("currentWord(%q) = %d, %q; want %d, %q", c.head, start, word, c.start, c.word)
		}
	}
}

func TestColumnsByDisplayWidth(t *testing.T) {
	got := columns([]string{"照片/", "ab/", "照相机/", "x"}, 20)
	// Widest is 照相机/ (7 columns): two columns of 9; rows padded by width.
	want := "照片/    照相机/\nab/      x\n"
	if got != want {
		t.Errorf("columns:\n%q\nwant\n%q", got, want)
	}
}
