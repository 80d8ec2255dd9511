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
	var recursive bool
	cmd := &cobra.Command{
		Use:   "rm PATH...",
		Short: "Remove files, or folders with -r",
		Args:  atLeastOne("path"),
		RunE: a.forEachPath(func(ctx context.Context, c *client.Client, remote string) error {
			err := c.Remove(ctx, remote, recursive)
			if !recursive && errors.Is(err, proto.ErrNotEmpty) {
				return fmt.Errorf("remote folder %s is not empty; use rm -r to remove it with everything in it", safeName(remote))
			}
			return err
		}),
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "remove folders and everything in them")
	return cmd
}
