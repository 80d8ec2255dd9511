package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

func (a *app) lsCommand() *cobra.Command {
	var long, human, recursive, asJSON bool
	cmd := &cobra.Command{
		Use:   "ls [PATH]",
		Short: "List a folder (one level; -l for size and time, -R for everything below)",
		Args:  rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loggedIn(cmd.Context())
			if err != nil {
				return err
			}
			path := a.remoteFolderArg(args)
			entry, err := c.Stat(cmd.Context(), path)
			if err != nil {
				return err
			}
			if entry.Kind != proto.KindDir {
				if strings.HasSuffix(args[0], "/") {
					return fmt.Errorf("remote %s is not a folder", safeName(strings.TrimRight(args[0], "/")))
				}
				if asJSON {
					return a.printJSON(map[string]any{"path": path, "entries": []jsonEntry{toJSONEntry("", entry)}})
				}
				entry.Name = args[0]
				a.printEntries([]proto.Entry{entry}, long, human)
				return nil
			}
			if recursive {
				if asJSON {
					return usagef("--json lists one folder; not with -R")
				}
				return a.listRecursive(cmd.Context(), c, path, long, human)
			}
			entries, err := c.List(cmd.Context(), path)
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]jsonEntry, len(entries))
				for i, e := range entries {
					out[i] = toJSONEntry("", e)
				}
				return a.printJSON(map[string]any{"path": path, "entries": out})
			}
			a.printEntries(entries, long, human)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&long, "long", "l", false, "show kind, size and modification time")
	cmd.Flags().BoolVar(&asJSON, "json", false, `one JSON document: {"path", "entries": [{"name", "kind", "size", "mtime"}]}`)
	cmd.Flags().BoolVarP(&human, "human", "h", false, "with -l, sizes in KiB/MiB/GiB (-H too)")
	cmd.Flags().BoolVarP(&human, "human-readable", "H", false, "the same as -h")
	cmd.Flags().MarkHidden("human-readable")
	// -h is ls's "human sizes" by habit (ls -lh), so help is --help only.
	cmd.Flags().Bool("help", false, "help for ls")
	cmd.Flags().BoolVarP(&recursive, "recursive", "R", false, "list folders below too")
	return cmd
}

func (a *app) printEntries(entries []proto.Entry, long, human bool) {
	for _, e := range entries {
		if long {
			fmt.Fprintln(a.stdout, longLine(e, human))
		} else {
			fmt.Fprintln(a.stdout, displayName(e))
		}
	}
}

// listRecursive prints each folder's entries under a "path:" heading, like
// ls -R, folders in name order. It goes no deeper, and through no more
// folders, than get -r would (treeLimits), so a server answering every
// listing with one more folder cannot keep it going.
func (a *app) listRecursive(ctx context.Context, c *client.Client, top string, long, human bool) error {
	folders := 0
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		entries, err := c.List(ctx, dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s:\n", safeName(dir))
		a.printEntries(entries, long, human)
		var subs []string // kept while going deeper; the listing is not
		for _, e := range entries {
			if e.Kind != proto.KindDir {
				continue
			}
			if err := client.CheckName(e.Name); err != nil {
				return fmt.Errorf("in %s: %w", client.FolderLabel(dir), err)
			}
			subs = append(subs, joinRemote(dir, e.Name))
		}
		for _, sub := range subs {
			if folders++; folders > treeLimits.folders {
				return fmt.Errorf("the server's folder %s holds more than %d folders; stopping", safeName(top), treeLimits.folders)
			}
			if depth+1 > treeLimits.depth {
				return fmt.Errorf("the server's folder %s is more than %d folders deep; stopping", safeName(top), treeLimits.depth)
			}
			fmt.Fprintln(a.stdout)
			if err := walk(sub, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(top, 0)
}
