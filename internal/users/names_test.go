package users

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string // substring of the message; "" means success
	}{
		{"lower case", "alice", "alice", ""},
		{"upper case folded", "ALICE", "alice", ""},
		{"mixed case folded", "BoB_smith-2", "bob_smith-2", ""},
		{"minimum length", "abc", "abc", ""},
		{"maximum length", "a" + strings.Repeat("b", 31), "a" + strings.Repeat("b", 31), ""},
		{"empty", "", "", "required"},
		{"too short", "ab", "", "too short"},
		{"too long", "a" + strings.Repeat("b", 32), "", "too long"},
		{"starts with digit", "1abc", "", "start with a letter"},
		{"starts with underscore", "_abc", "", "start with a letter"},
		{"starts with dash", "-abc", "", "start with a letter"},
		{"space", "al ice", "", "' '"},
		{"leading space", " alice", "", "' '"},
		{"dot", "al.ice", "", "'.'"},
		{"dot dot", "..", "", "'.'"},
		{"slash", "al/ice", "", "'/'"},
		{"backslash", `al\ice`, "", `'\\'`},
		{"NUL", "ali\x00ce", "", `'\x00'`},
		{"non-ASCII letter", "jürgen", "", "ASCII"},
		{"Cyrillic look-alike a", "\u0430lice", "", "ASCII"},
		{"Kelvin sign folds to k in Unicode", "\u212aelvin", "", "ASCII"},
		{"fullwidth letters", "ａｌｉｃｅ", "", "ASCII"},
		{"invalid UTF-8", "ali\xffce", "", "ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeName(tt.in)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("NormalizeName(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, ErrBadName) {
				t.Fatalf("NormalizeName(%q) error = %v; want ErrBadName", tt.in, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.wantErr) || !strings.Contains(msg, "3 to 32 characters") {
				t.Errorf("NormalizeName(%q) error %q; want it to mention %q and the rule", tt.in, msg, tt.wantErr)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name    string
		pw      string
		wantErr string // substring of the message; "" means accepted
	}{
		{"eight ASCII characters", "abcdefgh", ""},
		{"eight non-ASCII characters", "ééééçççç", ""},
		{"spaces allowed", "correct horse battery staple", ""},
		{"maximum bytes", strings.Repeat("x", MaxPasswordLen), ""},
		{"empty", "", "at least 8"},
		{"seven characters", "abcdefg", "at least 8"},
		{"seven characters in more than eight bytes", "ééééééé", "at least 8"},
		{"too many bytes", strings.Repeat("x", MaxPasswordLen+1), "at most 1024"},
		{"NUL", "abcd\x00efgh", "NUL"},
		{"invalid UTF-8", "abcdefgh\xff", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.pw)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckPassword = %v; want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrBadPassword) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("CheckPassword error = %v; want ErrBadPassword mentioning %q", err, tt.wantErr)
			}
		})
	}
}
