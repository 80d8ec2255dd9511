package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

func (a *app) duCommand() *cobra.Command {
	var human bool
	cmd := &cobra.Command{
		Use:   "du [PATH]",
		Short: "Show how much a folder holds (files, folders, bytes), everything under it counted",
		Args:  rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := a.loggedIn(ctx)
			if err != nil {
				return err
			}
			top := a.remoteFolderArg(args)
			files, folders, size, err := a.du(ctx, c, top)
			if err != nil {
				return err
			}
			shown := fmt.Sprintf("%d", size)
			if human {
				shown = humanSize(size)
			}
			fmt.Fprintf(a.stdout, "%s\t%s (%d files, %d folders)\n", shown, safeName(top), files, folders)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&human, "human", "h", false, "size in KiB/MiB/GiB")
	cmd.Flags().Bool("help", false, "help for du")
	return cmd
}

// du walks the remote tree under top, breadth first with the same limits
// as get -r, and sums it.
func (a *app) du(ctx context.Context, c *client.Client, top string) (files, folders, size int64, err error) {
	if e, err := c.Stat(ctx, top); err != nil {
		return 0, 0, 0, err
	} else if e.Kind != proto.KindDir {
		return 1, 0, e.Size, nil
	}
	err = walkRemote(ctx, c, top, func(_ string, e proto.Entry) error {
		switch e.Kind {
		case proto.KindDir:
			folders++
		case proto.KindFile:
			files++
			size += e.Size
		}
		return nil
	})
	return files, folders, size, err
}
