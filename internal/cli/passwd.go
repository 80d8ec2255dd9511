package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) passwdCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "passwd",
		Short: "Change your password (ends your other sessions)",
		Long: `Change the password of the logged-in user. Every other session of the
user ends; this one continues. With --password-stdin, standard input holds
two lines: the current password, then the new one.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loggedIn(cmd.Context())
			if err != nil {
				return err
			}
			old, err := a.password("Current password: ")
			if err != nil {
				return err
			}
			pw, err := a.newPassword("New password: ")
			if err != nil {
				return err
			}
			s, err := c.Passwd(cmd.Context(), old, pw)
			if err != nil {
				return err
			}
			st, _ := a.loadState()
			if err := st.saveSession(a.connAddr, savedSession{User: s.User, Token: s.Token, Expires: s.Expires}); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Password changed for %s; other sessions were ended.\n", s.User)
			return nil
		},
	}
	cmd.Flags().BoolVar(&a.passwdStdin, "password-stdin", false, "read the passwords from standard input")
	return cmd
}
