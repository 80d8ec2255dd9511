// Package pathtest holds the paths every front door must refuse, for
// their tests: the same table runs through the TCP commands and the web's
// routes.
package pathtest

import "strings"

// Hostile are paths that must never reach outside a user's folder, nor
// touch the server's reserved names. Some name the top folder or a file
// that may exist ("", "."), so a door may accept them where a folder is
// read; every other use must be refused. The ones starting "escape"
// assume a symlink named escape in the user's folder that points out of
// it.
var Hostile = []string{
	"..", "../x", "inside/../../x", "inside/../../../etc",
	"/etc/passwd", "/tmp/x",
	`..\x`, `a\b`,
	"a\x00b",
	strings.Repeat("n", 256), strings.Repeat("d/", 2100) + "x",
	".", "", "a//b", "./a",
	"\u2025", "\uff0e\uff0e", "a\u2215b", "a\uff0fb", "\u2024",
	".netdisk", ".netdisk/uploads",
	"escape/victim.txt", "escape/new", "escape/sub/x", "inside/../escape/x",
	"a\u202eb", "bell\a",
}
