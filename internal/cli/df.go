package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) dfCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "df",
		Short: "Show the space and the files and folders you use, and your limits",
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
			if asJSON {
				return a.printJSON(map[string]int64{"used": u.Used, "charged": u.Used + 4096*u.Entries, "quota": u.Quota, "entries": u.Entries, "max_entries": u.MaxEntries})
			}
			if u.Quota <= 0 {
				fmt.Fprintf(a.stdout, "Used %s (%d bytes); no quota.\n", humanSize(u.Used), u.Used)
			} else {
				// Every file and folder costs 4 KiB of the quota.
				charged := u.Used + 4096*u.Entries
				fmt.Fprintf(a.stdout, "Used %s of %s (%.1f%%, counting 4 KiB for each file and folder); %s free.\n",
					humanSize(charged), humanSize(u.Quota), 100*float64(charged)/float64(u.Quota), humanSize(max(u.Quota-charged, 0)))
			}
			if u.MaxEntries > 0 {
				fmt.Fprintf(a.stdout, "%d of %d files and folders.\n", u.Entries, u.MaxEntries)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `one JSON document: {"used", "charged", "quota", "entries", "max_entries"} (bytes; 0: no limit)`)
	return cmd
}
