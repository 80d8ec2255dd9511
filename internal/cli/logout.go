package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "End the session on the server and forget it here",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, _ := a.serverAddr()
			st, err := a.loadState()
			if err != nil {
				return err
			}
			c, err := a.loggedIn(cmd.Context())
			if err != nil {
				// Not logged in (or expired): forgetting locally is all there is to do.
				st.forgetSession(addr)
				fmt.Fprintf(a.stdout, "Not logged in to %s.\n", addr)
				return nil
			}
			user := a.user
			if err := c.Logout(cmd.Context()); err != nil {
				return err
			}
			a.user = ""
			if err := st.forgetSession(a.connAddr); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Logged out %s from %s.\n", user, a.connAddr)
			return nil
		},
	}
}
