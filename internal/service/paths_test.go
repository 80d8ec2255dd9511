package service

import (
	"errors"
	"strings"
	"testing"
)

func TestCleanPathAccepts(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "."},
		{".", "."},
		{"./", "."},
		{"notes.txt", "notes.txt"},
		{"photos/", "photos"},
		{"a/b/c.txt", "a/b/c.txt"},
		{"文档/报告.txt", "文档/报告.txt"},
		{"e\u0301t\u00e9.txt", "\u00e9t\u00e9.txt"}, // NFD becomes NFC
		{"...", "..."},
		{"a..b", "a..b"},
		{".hidden", ".hidden"},
		{"sub/.netdisk", "sub/.netdisk"}, // reserved only at the top
		{"report．txt", "report．txt"},     // a fullwidth dot inside a name is just a character
		{"句号。", "句号。"},
		{strings.Repeat("n", 255), strings.Repeat("n", 255)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := CleanPath(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("CleanPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestCleanPathRefuses(t *testing.T) {
	tests := []struct{ name, in, reason string }{
		{"dotdot", "..", "'.' and '..'"},
		{"dotdot prefix", "../x", "'.' and '..'"},
		{"dotdot inside", "a/../../x", "'.' and '..'"},
		{"dot inside", "a/./b", "'.' and '..'"},
		{"absolute", "/etc/passwd", "absolute"},
		{"root", "/", "absolute"},
		{"backslash", `a\b`, "backslash"},
		{"backslash dotdot", `..\x`, "backslash"},
		{"NUL", "a\x00b", "NUL"},
		{"control", "bell\a", "control"},
		{"C1 control", "a\u0085b", "control"},
		{"newline", "two\nlines", "control"},
		{"bidi override", "gnp.\u202eexe", "bidirectional"},
		{"empty component", "a//b", "empty name"},
		{"two trailing slashes", "a//", "empty name"},
		{"invalid UTF-8", "a\xffb", "UTF-8"},
		{"long name", strings.Repeat("n", 256), "255 bytes"},
		{"long name after NFC", strings.Repeat("\u00e9", 128), "255 bytes"},
		{"long path", strings.Repeat("d/", 2048), "4095 bytes"},
		{"fullwidth dotdot", "\uff0e\uff0e", "look-alike of '.'"},
		{"one dot leader", "\u2024", "look-alike of '.'"},
		{"two dot leader", "\u2025", "look-alike of '.'"},
		{"small full stop", "\ufe52", "look-alike of '.'"},
		{"fullwidth solidus", "a\uff0fb", "look-alike of '/'"},
		{"division slash", "a\u2215b", "look-alike of '/'"},
		{"fraction slash", "a\u2044b", "look-alike of '/'"},
		{"fullwidth reverse solidus", "a\uff3cb", "look-alike of '/'"},
		{"reserved", ".netdisk", "reserved"},
		{"reserved inside", ".netdisk/uploads/x", "reserved"},
		{"reserved with slash", ".netdisk/", "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CleanPath(tt.in)
			if err == nil {
				t.Fatalf("CleanPath(%q) = %q, accepted", tt.in, got)
			}
			if !errors.Is(err, ErrBadPath) {
				t.Errorf("error %v is not ErrBadPath", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not say %q", err, tt.reason)
			}
		})
	}
}

func TestCleanTargetRefusesTop(t *testing.T) {
	for _, p := range []string{"", ".", "./"} {
		if _, err := CleanTarget(p); !errors.Is(err, ErrBadPath) {
			t.Errorf("CleanTarget(%q) = %v; want ErrBadPath", p, err)
		}
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"a/b", "..", "文档/报告.txt", "a\x00", "\uff0e\uff0e", "/x", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		clean, err := CleanPath(p)
		if err != nil {
			return
		}
		if clean == "." {
			return
		}
		if strings.HasPrefix(clean, "/") || strings.Contains(clean, "\\") || strings.ContainsRune(clean, 0) {
			t.Fatalf("CleanPath(%q) = %q", p, clean)
		}
		for _, name := range strings.Split(clean, "/") {
			if name == "" || name == "." || name == ".." || len(name) > MaxNameBytes {
				t.Fatalf("CleanPath(%q) = %q has name %q", p, clean, name)
			}
		}
		if again, err := CleanPath(clean); err != nil || again != clean {
			t.Fatalf("not idempotent: %q → %q → %q, %v", p, clean, again, err)
		}
	})
}
