package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

func (a *app) lsCommand() *cobra.Command {
	var long, human, recursive bool
	cmd := &cobra.Command{
		Use:   "ls [PATH]",
		Short: "List a folder (one level; -l for size and time, -R for everything below)",
		Args:  rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loggedIn(cmd.Context())
			if err != nil {
				return err
			}
			path := "."
			if len(args) == 1 {
				path = args[0]
			}
			path = a.remote(path)
			entry, err := c.Stat(cmd.Context(), path)
			if err != nil {
				return err
			}
			if entry.Kind != proto.KindDir {
				entry.Name = args[0]
				a.printEntries([]proto.Entry{entry}, long, human)
				return nil
			}
			if recursive {
				return a.listRecursive(cmd.Context(), c, path, long, human)
			}
			entries, err := c.List(cmd.Context(), path)
			if err != nil {
				return err
			}
			a.printEntries(entries, long, human)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&long, "long", "l", false, "show kind, size and modification time")
	cmd.Flags().BoolVarP(&human, "human", "H", false, "with -l, sizes in KiB/MiB/GiB")
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
// ls -R, folders in name order.
func (a *app) listRecursive(ctx context.Context, c *client.Client, dir string, long, human bool) error {
	entries, err := c.List(ctx, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s:\n", safeName(dir))
	a.printEntries(entries, long, human)
	for _, e := range entries {
		if e.Kind == proto.KindDir {
			fmt.Fprintln(a.stdout)
			if err := a.listRecursive(ctx, c, joinRemote(dir, e.Name), long, human); err != nil {
				return err
			}
		}
	}
	return nil
}
