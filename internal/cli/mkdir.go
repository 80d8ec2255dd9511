package cli

import (
	"github.com/spf13/cobra"
)

func (a *app) mkdirCommand() *cobra.Command {
	var parents bool
	cmd := &cobra.Command{
		Use:   "mkdir PATH...",
		Short: "Create folders (-p: with missing parents, no error if present)",
		Args:  atLeastOne("path"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loggedIn(cmd.Context())
			if err != nil {
				return err
			}
			for _, p := range args {
				if err := c.Mkdir(cmd.Context(), a.remote(p), parents); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&parents, "parents", "p", false, "create missing parent folders; no error if the folder exists")
	return cmd
}
