package cli

import (
	"github.com/spf13/cobra"
)

func (a *app) rmCommand() *cobra.Command {
	var recursive bool
	cmd := &cobra.Command{
		Use:   "rm PATH...",
		Short: "Remove files, or folders with -r",
		Args:  atLeastOne("path"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loggedIn(cmd.Context())
			if err != nil {
				return err
			}
			for _, p := range args {
				if err := c.Remove(cmd.Context(), a.remote(p), recursive); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&recursive, "recursive", "r", false, "remove folders and everything in them")
	return cmd
}
