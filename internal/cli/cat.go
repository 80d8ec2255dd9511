package cli

import (
	"github.com/spf13/cobra"
)

func (a *app) catCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cat REMOTE",
		Short: "Write a file to standard output (verified at the end)",
		Long: `Write REMOTE to standard output as it arrives (get REMOTE - does the
same). Its BLAKE3-256 is checked once the last byte is written: on a
mismatch the command fails, and what was written must not be trusted.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.cat(cmd, args[0])
		},
	}
}

func (a *app) cat(cmd *cobra.Command, arg string) error {
	ctx := cmd.Context()
	c, err := a.loggedIn(ctx)
	if err != nil {
		return err
	}
	_, err = c.Cat(ctx, a.remote(arg), a.stdout)
	return err
}
