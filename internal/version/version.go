// Package version says which netdisk this is: the module's version, else
// the commit it was built from.
package version

import "runtime/debug"

// String is the build's module version and commit ("(devel)" and the
// commit, with "+dirty" for uncommitted changes, for a build from a
// checkout).
func String() string {
	v, commit, dirty := "(devel)", "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if dirty {
		commit += "+dirty"
	}
	if commit != "" {
		v += " " + commit
	}
	return v
}
