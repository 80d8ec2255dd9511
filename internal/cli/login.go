package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"netdisk/internal/proto"
)

func (a *app) loginCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "login USER",
		Short: "Log in; the session is kept for later commands",
		Long: `Log in to the server. The session is saved in the config folder
($NETDISK_CONFIG_DIR, else ~/.config/netdisk) with mode 0600, so later
commands need no password until it expires (7 days by default) or you log out.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := a.dial(cmd.Context()); err != nil {
				return err
			}
			pw, err := a.password("Password: ")
			if err != nil {
				return err
			}
			s, err := a.login(cmd.Context(), args[0], pw)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Logged in to %s as %s (session valid until %s).\n",
				a.connAddr, s.User, s.Expires.Local().Format("2006-01-02 15:04"))
			return nil
		},
	}
	cmd.Flags().BoolVar(&a.passwdStdin, "password-stdin", false, "read the password from one line of standard input")
	return cmd
}

// login logs in on the current connection and saves the session.
func (a *app) login(ctx context.Context, user, password string) (proto.Session, error) {
	c, err := a.dial(ctx)
	if err != nil {
		return proto.Session{}, err
	}
	if a.user != "" {
		// A new login replaces the connection's session.
		if err := c.Logout(ctx); err != nil {
			return proto.Session{}, err
		}
		a.user = ""
	}
	s, err := c.Login(ctx, user, password)
	if err != nil {
		return proto.Session{}, err
	}
	a.user = s.User
	st, _ := a.loadState()
	if err := st.saveSession(a.connAddr, savedSession{User: s.User, Token: s.Token, Expires: s.Expires}); err != nil {
		return s, fmt.Errorf("logged in, but saving the session failed: %w", err)
	}
	changed, err := st.rememberServer(a.connAddr)
	if err != nil {
		fmt.Fprintf(a.stderr, "netdisk: warning: cannot save the default server: %v\n", err)
	} else if changed {
		fmt.Fprintf(a.stdout, "%s is now the default server for later commands.\n", a.connAddr)
	}
	return s, nil
}
