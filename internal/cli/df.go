package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) dfCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "df",
		Short: "Show the space you use and your quota",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loggedIn(cmd.Context())
			if err != nil {
				return err
			}
			u, err := c.Usage(cmd.Context())
			if err != nil {
				return err
			}
			if u.Quota <= 0 {
				fmt.Fprintf(a.stdout, "Used %s (%d bytes); no quota.\n", humanSize(u.Used), u.Used)
				return nil
			}
			fmt.Fprintf(a.stdout, "Used %s of %s (%.1f%%); %s free.\n", humanSize(u.Used), humanSize(u.Quota),
				100*float64(u.Used)/float64(u.Quota), humanSize(max(u.Quota-u.Used, 0)))
			return nil
		},
	}
}
