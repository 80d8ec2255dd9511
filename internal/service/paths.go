package service

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"netdisk/internal/storage"
)

// Path limits, in bytes of UTF-8 after normalization; they match Linux's
// NAME_MAX and PATH_MAX so nothing accepted here fails later in the kernel.
const (
	MaxNameBytes = 255
	MaxPathBytes = 4095
)

// MaxDepth bounds how deep a path may go (in names): a deeper tree costs
// every walk of it (counting, removing) more, and a user could otherwise
// build one deep enough to make those fail.
const MaxDepth = 64

// checkDepth refuses a clean path deeper than MaxDepth (orig is the path
// as given, for the message).
func checkDepth(clean, orig string) error {
	if depthOf(clean) > MaxDepth {
		return &PathError{Path: orig, Reason: fmt.Sprintf("deeper than %d folders", MaxDepth)}
	}
	return nil
}

// checkMoveExtent refuses to move from to to if a path under it would end
// deeper than MaxDepth or longer than MaxPathBytes (orig is to as given).
// Only a move that makes paths deeper or longer can, and only then is the
// tree under from measured.
func checkMoveExtent(ctx context.Context, sp storage.Space, from, to, orig string) error {
	deeper := depthOf(to) - depthOf(from)
	longer := len(to) - len(from)
	if deeper <= 0 && longer <= 0 {
		return nil
	}
	info, err := sp.Stat(ctx, from)
	if err != nil || !info.IsDir {
		return nil // a file: to itself was checked; errors come from the move
	}
	room := MaxDepth - depthOf(to)
	roomBytes := MaxPathBytes - len(to) - 1
	depth, length, err := sp.Extent(ctx, from, room, roomBytes)
	if err != nil {
		return mapErr(err)
	}
	if depth > room {
		return &PathError{Path: orig, Reason: fmt.Sprintf("the folder moved there would hold paths deeper than %d folders", MaxDepth)}
	}
	if length > roomBytes {
		return &PathError{Path: orig, Reason: fmt.Sprintf("the folder moved there would hold paths longer than %d bytes", MaxPathBytes)}
	}
	return nil
}

// ReservedName is the top-level folder where the store keeps unfinished
// uploads; users can neither see nor name it.
const ReservedName = ".netdisk"

// slashLookalikes render like '/' or '\' but are not changed into them by
// NFKC, so the NFKC check below does not catch them.
var slashLookalikes = []rune{
	'\u2044', // FRACTION SLASH
	'\u2215', // DIVISION SLASH
	'\u2216', // SET MINUS
	'\u2571', // BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT
	'\u2572', // BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT
	'\u27CB', // MATHEMATICAL RISING DIAGONAL
	'\u27CD', // MATHEMATICAL FALLING DIAGONAL
	'\u29F5', // REVERSE SOLIDUS OPERATOR
	'\u29F8', // BIG SOLIDUS
	'\u29F9', // BIG REVERSE SOLIDUS
}

// CleanPath checks a path sent by a client and returns it in the form the
// store takes: '/'-separated, relative to the user's top folder, every name
// in Unicode NFC. "" and "." become "." (the top folder). A trailing '/' is
// allowed. Everything that could leave the folder or confuse a reader is
// refused with a reason: absolute paths, '..' and '.', empty names ("a//b"),
// backslashes, NUL and other control characters, bidirectional overrides,
// look-alikes of '/' and of '.' or '..', over-long names and paths, invalid
// UTF-8, and the reserved top-level name.
func CleanPath(p string) (string, error) {
	refuse := func(reason string) (string, error) {
		return "", &PathError{Path: p, Reason: reason}
	}
	if !utf8.ValidString(p) {
		return refuse("not valid UTF-8")
	}
	if len(p) > MaxPathBytes {
		return refuse("longer than 4095 bytes")
	}
	if p == "" || p == "." || p == "./" {
		return ".", nil
	}
	if strings.HasPrefix(p, "/") {
		return refuse("absolute paths are not allowed; paths are relative to your top folder")
	}
	p2 := strings.TrimSuffix(p, "/")
	names := strings.Split(p2, "/")
	for i, name := range names {
		if reason := checkName(name); reason != "" {
			return refuse(reason)
		}
		names[i] = norm.NFC.String(name)
		if len(names[i]) > MaxNameBytes {
			return refuse("a name is longer than 255 bytes")
		}
	}
	if names[0] == ReservedName {
		return refuse("the name " + ReservedName + " is reserved at the top level")
	}
	clean := strings.Join(names, "/")
	if len(clean) > MaxPathBytes {
		return refuse("longer than 4095 bytes")
	}
	return clean, nil
}

// CleanTarget is CleanPath for operations that create, change or remove
// something: the top folder itself is refused.
func CleanTarget(p string) (string, error) {
	clean, err := CleanPath(p)
	if err == nil && clean == "." {
		return "", &PathError{Path: p, Reason: "the top folder itself cannot be changed"}
	}
	return clean, err
}

// checkName returns why one path component is refused, or "".
func checkName(name string) string {
	switch name {
	case "":
		return "empty name (two '/' in a row)"
	case ".", "..":
		return "'.' and '..' are not allowed"
	}
	if len(name) > MaxNameBytes {
		return "a name is longer than 255 bytes"
	}
	for _, r := range name {
		switch {
		case r == 0:
			return "contains a NUL byte"
		case r == '\\':
			return "backslashes are not allowed"
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			return "contains a control character"
		case (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f':
			return "contains a bidirectional text control"
		}
		for _, l := range slashLookalikes {
			if r == l {
				return "contains a look-alike of '/' or '\\'"
			}
		}
	}
	folded := norm.NFKC.String(name)
	if strings.ContainsAny(folded, `/\`) {
		return "contains a look-alike of '/' or '\\'"
	}
	if folded == "." || folded == ".." {
		return "is a look-alike of '.' or '..'"
	}
	return ""
}

// splitPath returns the parent folder and last name of a clean path.
func splitPath(clean string) (dir, name string) {
	i := strings.LastIndexByte(clean, '/')
	if i < 0 {
		return ".", clean
	}
	return clean[:i], clean[i+1:]
}
