package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

func (a *app) rmCommand() *cobra.Command {
	var recursive, force bool
	cmd := &cobra.Command{
		Use:   "rm PATH...",
		Short: "Remove files, or folders with -r",
		Args:  atLeastOne("path"),
		// rm 'tmp/*' removes what matches (quote the pattern so the local
		// shell leaves it).
		RunE: a.forEachPathOf(true, func(ctx context.Context, c *client.Client, remote string) error {
			err := c.Remove(ctx, remote, recursive)
			if force && errors.Is(err, proto.ErrNotFound) {
				return nil // rm -f: what is not there is already removed
			}
			if !recursive && errors.Is(err, proto.ErrNotEmpty) {
				return fmt.Errorf("remote folder %s is not empty; use rm -r to remove it with everything in it", safeName(remote))
			}
			return err
		}),
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "remove folders and everything in them (-R too)")
	cmd.Flags().BoolVarP(&recursive, "Recursive", "R", false, "the same as -r")
	cmd.Flags().MarkHidden("Recursive")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "no error for a path that is not there (rm -rf)")
	return cmd
}
