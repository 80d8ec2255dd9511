package cli

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
)

// eachSource runs one (a command of one source and one destination) for
// every source into the folder dest, reporting each failure and going on
// with the rest.
func (a *app) eachSource(cmd *cobra.Command, sources []string, dest string, one func(*cobra.Command, []string) error) error {
	if !strings.HasSuffix(dest, "/") {
		dest += "/" // several sources go into a folder, which must exist
	}
	failed := 0
	var first error
	for _, src := range sources {
		if err := one(cmd, []string{src, dest}); err != nil {
			failed++
			if first == nil {
				first = err
			}
			fmt.Fprintf(a.stderr, "netdisk: %s: %s\n", safeName(src), message(err))
		}
		if cmd.Context().Err() != nil {
			return cmd.Context().Err()
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d failed; the first: %w", failed, len(sources), first)
	}
	return nil
}

// hasPattern says whether a remote argument names several files by a
// pattern (* ? [ in its last name; quote it so the local shell leaves it).
func hasPattern(arg string) bool {
	return strings.ContainsAny(path.Base(arg), "*?[")
}

// expandRemote turns remote arguments into paths: one with a pattern in
// its last name becomes every name of its folder that matches (path.Match
// rules), listed from the server; a pattern that matches nothing is an
// error. Names stay inside the folder listed, like every path.
func (a *app) expandRemote(ctx context.Context, c *client.Client, args []string) ([]string, error) {
	var out []string
	for _, arg := range args {
		if !hasPattern(arg) {
			out = append(out, arg)
			continue
		}
		dir, pattern := path.Split(arg)
		if _, err := path.Match(pattern, ""); err != nil {
			return nil, usagef("bad pattern %q: %v", pattern, err)
		}
		entries, err := c.List(ctx, a.remote(dirOrDot(dir)))
		if err != nil {
			return nil, err
		}
		n := 0
		for _, e := range entries {
			if ok, _ := path.Match(pattern, e.Name); ok {
				if err := client.CheckName(e.Name); err != nil {
					return nil, err
				}
				out = append(out, dir+e.Name)
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("remote: nothing matches %s", safeName(arg))
		}
	}
	return out, nil
}
