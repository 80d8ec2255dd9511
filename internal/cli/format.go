package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"netdisk/internal/proto"
)

// humanSize formats a byte count in binary units: 1.5 KiB, 3.0 GiB.
func humanSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	v := float64(n)
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// safeName shows a name as is, unless it holds characters a terminal would
// act on (control characters, from names made outside netdisk): then it is
// quoted with escapes.
func safeName(s string) string {
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u202e' || r == '\u202d' {
			return strconv.Quote(s)
		}
	}
	return s
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
