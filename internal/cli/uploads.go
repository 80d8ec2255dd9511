package cli

import (
	"context"

	"fmt"
	"time"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
)

func (a *app) uploadsCommand() *cobra.Command {
	var asJSON bool
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
			if asJSON {
				type upload struct {
					Path    string    `json:"path"`
					Size    int64     `json:"size"`
					Updated time.Time `json:"updated"`
				}
				out := make([]upload, len(list))
				for i, u := range list {
					out[i] = upload{Path: u.Path, Size: u.Size, Updated: u.Updated.UTC()}
				}
				return a.printJSON(map[string]any{"uploads": out})
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
	cmd.Flags().BoolVar(&asJSON, "json", false, `one JSON document: {"uploads": [{"path", "size", "updated"}]}`)
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
