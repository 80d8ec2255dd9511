package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"netdisk/internal/users"
)

func (a *app) registerCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "register USER",
		Short: "Create an account (and its folder) on the server",
		Long: `Create an account on the server. User names are 3 to 32 characters:
a-z, 0-9, '_' and '-', starting with a letter; they are case-insensitive
(stored in lower case). Passwords are at least 8 characters.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// The rules first, so a name or a password the server would
			// refuse is not typed twice for nothing (the server checks
			// them again).
			if _, err := users.NormalizeName(args[0]); err != nil {
				return errors.New(ruleMessage(err))
			}
			c, err := a.dial(cmd.Context())
			if err != nil {
				return err
			}
			pw, err := a.newPassword("New password: ")
			if err != nil {
				return err
			}
			if err := c.Register(cmd.Context(), args[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Registered %s on %s. Log in with: netdisk login %s\n", args[0], a.connAddr, args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&a.passwdStdin, "password-stdin", false, "read the password from one line of standard input")
	return cmd
}
