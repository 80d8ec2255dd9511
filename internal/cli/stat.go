package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) statCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stat PATH",
		Short: "Show a file's or folder's kind, size and modification time",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loggedIn(cmd.Context())
			if err != nil {
				return err
			}
			remote := a.remote(args[0])
			e, err := c.Stat(cmd.Context(), remote)
			if err != nil {
				return err
			}
			if asJSON {
				j := toJSONEntry("", e)
				j.Path = remote
				return a.printJSON(j)
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
	cmd.Flags().BoolVar(&asJSON, "json", false, `one JSON document: {"path", "name", "kind", "size", "mtime"}`)
	return cmd
}
