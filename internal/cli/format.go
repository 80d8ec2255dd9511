package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"netdisk/internal/proto"
	"netdisk/internal/units"
)

// humanSize formats a byte count in binary units: 1.5 KiB, 3.0 GiB.
func humanSize(n int64) string { return units.Bytes(n) }

// Text from a server (names, messages, the welcome line) is printed only
// through safeText or safeName: a server must not be able to move the
// cursor, retitle the window or rewrite what the user reads with terminal
// escape sequences, nor make one name look like another.

// safeText is server text as it may be printed: every character a
// terminal would act on (C0 and C1 control characters, newlines
// included, so one message cannot pose as several lines), every
// bidirectional text control, line and paragraph separator and byte of
// invalid UTF-8 is replaced by a visible escape such as \x1b or \u202e.
func safeText(s string) string {
	if isSafeText(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < utf8.RuneSelf && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// safeName shows a name as is, unless it holds what safeText would
// escape: then it is quoted, with Go's escapes, so that it reads as one
// unusual name.
func safeName(s string) string {
	if isSafeText(s) {
		return s
	}
	return strconv.Quote(s)
}

func isSafeText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unsafeRune(r) {
			return false
		}
	}
	return true
}

// unsafeRune reports the characters a terminal acts on or that reorder
// or break the text around them.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

func kindMark(e proto.Entry) string {
	switch e.Kind {
	case proto.KindDir:
		return "d"
	case proto.KindFile:
		return "-"
	}
	return "?"
}

func displayName(e proto.Entry) string {
	name := safeName(e.Name)
	if e.Kind == proto.KindDir {
		name += "/"
	}
	return name
}

// longLine is one line of ls -l: kind, size, modification time, name.
func longLine(e proto.Entry, human bool) string {
	size := strconv.FormatInt(e.Size, 10)
	if e.Kind == proto.KindDir {
		size = "-"
	} else if human {
		size = humanSize(e.Size)
	}
	return fmt.Sprintf("%s %12s  %s  %s", kindMark(e), size, e.MTime.Local().Format("2006-01-02 15:04"), displayName(e))
}

func formatTime(t time.Time) string {
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

// joinRemote joins remote path pieces with '/', keeping "." for the top.
func joinRemote(dir, name string) string {
	if dir == "" || dir == "." {
		return name
	}
	return strings.TrimSuffix(dir, "/") + "/" + name
}

// jsonEntry is a file or folder in --json output (stable field names,
// documented in the README).
type jsonEntry struct {
	Path  string    `json:"path,omitempty"`
	Name  string    `json:"name"`
	Kind  string    `json:"kind"`
	Size  int64     `json:"size"`
	MTime time.Time `json:"mtime"`
}

func toJSONEntry(dir string, e proto.Entry) jsonEntry {
	j := jsonEntry{Name: e.Name, Kind: e.Kind, Size: e.Size, MTime: e.MTime.UTC()}
	if dir != "" {
		j.Path = joinRemote(dir, e.Name)
	}
	return j
}

// printJSON writes v as one JSON document (names from the server are
// escaped by the encoder: no terminal control reaches the screen).
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
