package storage

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"
)

func TestCheckPath(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{".", true},
		{"a", true},
		{"a/b.txt", true},
		{"..a", true},
		{"a..", true},
		{".hidden", true},
		{"a/.netdisk", true}, // reserved at the top only
		{"", false},
		{"..", false},
		{"/a", false},
		{"a/", false},
		{"a//b", false},
		{"a/./b", false},
		{"a/../b", false},
		{`a\b`, false},
		{"a\x00", false},
		{".netdisk", false},
		{".netdisk/x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPath(t.Context(), "op", tt.name)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidPath)) {
				t.Errorf("checkPath(%q) = %v, want ok %v", tt.name, err, tt.ok)
			}
		})
	}
}

func TestCause(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"ENOENT", syscall.ENOENT, fs.ErrNotExist},
		{"EEXIST", syscall.EEXIST, fs.ErrExist},
		{"ENOTDIR", syscall.ENOTDIR, ErrNotDir},
		{"EISDIR", syscall.EISDIR, ErrIsDir},
		{"ENOTEMPTY", syscall.ENOTEMPTY, ErrNotEmpty},
		{"other errno", syscall.ENAMETOOLONG, syscall.ENAMETOOLONG},
		{"escape", errors.New(escapeMessage), ErrInvalidPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrapped := &fs.PathError{Op: "openat", Path: "/srv/netdisk/alice/x", Err: tt.err}
			got := fsError("open", "x", wrapped)
			if !errors.Is(got, tt.want) {
				t.Errorf("fsError(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if got.Error() != "open x: "+cause(tt.err).Error() {
				t.Errorf("fsError(%v) = %q", tt.err, got)
			}
		})
	}
}
