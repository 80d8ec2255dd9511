package config

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteTOML writes the settings in effect as a config file, each with
// where its value came from in a comment.
func (c *Config) WriteTOML(w io.Writer) error {
	lines := make([][2]string, len(table))
	width := 0
	for i, s := range table {
		lines[i] = [2]string{s.key() + " = " + s.toml(&c.Settings), c.sources[s.name].String()}
		width = max(width, utf8.RuneCountInString(lines[i][0]))
	}
	width = min(width, 44) // a long welcome is not worth pushing every comment far right
	var b strings.Builder
	b.WriteString("# netdisk serve: the settings in effect; after each, where it came from\n")
	if c.File != "" {
		fmt.Fprintf(&b, "# config file: %s\n", c.File)
	}
	for _, l := range lines {
		fmt.Fprintf(&b, "%s%s  # %s\n", l[0], strings.Repeat(" ", max(0, width-utf8.RuneCountInString(l[0]))), l[1])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
