package client

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A server is not trusted with the client's files. Every name it sends is
// checked here before anything uses it, so that a hostile or broken server
// cannot name a local file outside the folder a download goes to, loop a
// recursive download, or hide terminal escapes in what a user reads
// (OpenSSH's scp learned this with CVE-2019-6111).

// Limits on names, the same as the server's own rules (PROTOCOL.md §5.2):
// a name or path past them could not have been stored by a netdisk server.
const (
	MaxNameBytes = 255
	MaxPathBytes = 4095
)

// ErrUnsafeName is matched (errors.Is) by every *UnsafeNameError.
var ErrUnsafeName = errors.New("unsafe name from the server")

// UnsafeNameError is a name from a server that the client refuses to use:
// empty, "." or "..", holding '/', '\', NUL, a control character or a
// bidirectional text control, or too long.
type UnsafeNameError struct {
	Server string // the server's address; "" when the check ran without one
	Folder string // the folder whose listing held the name; "" for a path
	Name   string
	Reason string
}

func (e *UnsafeNameError) Error() string {
	var b strings.Builder
	if e.Server != "" {
		fmt.Fprintf(&b, "the server %s sent an unsafe name ", e.Server)
	} else {
		b.WriteString("unsafe name ")
	}
	b.WriteString(strconv.Quote(e.Name))
	if e.Folder != "" {
		fmt.Fprintf(&b, " in %s", FolderLabel(e.Folder))
	}
	fmt.Fprintf(&b, " (%s); refusing it", e.Reason)
	return b.String()
}

func (e *UnsafeNameError) Unwrap() error { return ErrUnsafeName }

// FolderLabel names a remote folder in a message: quoted and escaped, or
// "the top folder".
func FolderLabel(folder string) string {
	if folder == "" || folder == "." || folder == "./" {
		return "the top folder"
	}
	return "the folder " + strconv.Quote(folder)
}

// CheckName returns an *UnsafeNameError if name cannot be one entry of a
// folder: the name of a local file made from it must stay in that folder
// and print as what it is.
func CheckName(name string) error {
	if reason := nameProblem(name); reason != "" {
		return &UnsafeNameError{Name: name, Reason: reason}
	}
	return nil
}

// nameProblem says why name is refused, or "".
func nameProblem(name string) string {
	switch name {
	case "":
		return "an empty name"
	case ".", "..":
		return "'.' and '..' name no file"
	}
	if len(name) > MaxNameBytes {
		return fmt.Sprintf("longer than %d bytes", MaxNameBytes)
	}
	if !utf8.ValidString(name) {
		return "not valid UTF-8"
	}
	for _, r := range name {
		switch {
		case r == 0:
			return "holds a NUL byte"
		case r == '/':
			return "holds a '/'"
		case r == '\\':
			return "holds a '\\'"
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return "holds a control character"
		case isBidiControl(r):
			return "holds a bidirectional text control"
		}
	}
	return ""
}

// isBidiControl reports the characters that reorder text on display
// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C): a name holding
// one can print as another name.
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') ||
		r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// checkPath checks a path the server sent (stat's cleaned path, an
// unfinished upload's path): "." for the top folder, or names joined by
// '/', each passing CheckName.
func checkPath(server, p string) error {
	if p == "." {
		return nil
	}
	if len(p) > MaxPathBytes {
		return &UnsafeNameError{Server: server, Name: p, Reason: fmt.Sprintf("a path longer than %d bytes", MaxPathBytes)}
	}
	for name := range strings.SplitSeq(p, "/") {
		if reason := nameProblem(name); reason != "" {
			return &UnsafeNameError{Server: server, Name: p, Reason: "its part " + strconv.Quote(name) + ": " + reason}
		}
	}
	return nil
}
