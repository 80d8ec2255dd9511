package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) statCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "stat PATH",
		Short: "Show a file's or folder's kind, size and modification time",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loggedIn(cmd.Context())
			if err != nil {
				return err
			}
			e, err := c.Stat(cmd.Context(), a.remote(args[0]))
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "    Path: %s\n", safeName(e.Name))
			fmt.Fprintf(a.stdout, "    Kind: %s\n", safeText(e.Kind))
			if e.Kind != "dir" {
				fmt.Fprintf(a.stdout, "    Size: %d bytes (%s)\n", e.Size, humanSize(e.Size))
			}
			fmt.Fprintf(a.stdout, "Modified: %s\n", formatTime(e.MTime))
			return nil
		},
	}
}
