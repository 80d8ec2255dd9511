package cli

import (
	"context"

	"fmt"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
)

func (a *app) uploadsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "uploads",
		Short: "List your unfinished uploads (resume one by running the same put again)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loggedIn(cmd.Context())
			if err != nil {
				return err
			}
			list, err := c.Uploads(cmd.Context())
			if err != nil {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintln(a.stdout, "No unfinished uploads.")
				return nil
			}
			for _, u := range list {
				fmt.Fprintf(a.stdout, "%12s  %s  %s\n", humanSize(u.Size), u.Updated.Local().Format("2006-01-02 15:04"), safeName(u.Path))
			}
			return nil
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "discard PATH...",
		Short: "Drop unfinished uploads",
		Args:  atLeastOne("path"),
		RunE: a.forEachPath(func(ctx context.Context, c *client.Client, remote string) error {
			return c.DiscardUpload(ctx, remote)
		}),
	})
	return cmd
}
