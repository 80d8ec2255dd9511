package cli

import (
	"context"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
)

func (a *app) mkdirCommand() *cobra.Command {
	var parents bool
	cmd := &cobra.Command{
		Use:   "mkdir PATH...",
		Short: "Create folders (-p: with missing parents, no error if present)",
		Args:  atLeastOne("path"),
		RunE: a.forEachPath(func(ctx context.Context, c *client.Client, remote string) error {
			return c.Mkdir(ctx, remote, parents)
		}),
	}
	cmd.Flags().BoolVarP(&parents, "parents", "p", false, "create missing parent folders; no error if the folder exists")
	return cmd
}
