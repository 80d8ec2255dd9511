package cli

import (
	"context"
	"errors"
	"fmt"
	"path"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

func (a *app) mkdirCommand() *cobra.Command {
	var parents bool
	cmd := &cobra.Command{
		Use:   "mkdir PATH...",
		Short: "Create folders (-p: with missing parents, no error if present)",
		Args:  atLeastOne("path"),
		RunE: a.forEachPath(func(ctx context.Context, c *client.Client, remote string) error {
			err := c.Mkdir(ctx, remote, parents)
			if !parents && errors.Is(err, proto.ErrNotFound) {
				return fmt.Errorf("remote folder %s does not exist, so %s cannot be made in it; use mkdir -p to make the missing folders too", safeName(path.Dir(remote)), safeName(remote))
			}
			return err
		}),
	}
	cmd.Flags().BoolVarP(&parents, "parents", "p", false, "create missing parent folders; no error if the folder exists")
	return cmd
}
