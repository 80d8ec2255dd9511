package cli

import (
	"context"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
)

func (a *app) rmCommand() *cobra.Command {
	var recursive bool
	cmd := &cobra.Command{
		Use:   "rm PATH...",
		Short: "Remove files, or folders with -r",
		Args:  atLeastOne("path"),
		RunE: a.forEachPath(func(ctx context.Context, c *client.Client, remote string) error {
			return c.Remove(ctx, remote, recursive)
		}),
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "remove folders and everything in them")
	return cmd
}
