package cli

import (
	"errors"
	"fmt"
	"path"

	"github.com/spf13/cobra"

	"netdisk/internal/proto"
)

func (a *app) mvCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mv FROM TO",
		Short: "Move or rename a file or folder (into TO if TO is a folder)",
		Long: `Move or rename FROM to TO, or into TO if TO is a folder. An existing file
at the destination is never replaced (as with mv -n, which is accepted).`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.loggedIn(cmd.Context())
			if err != nil {
				return err
			}
			from, to := a.remote(args[0]), a.remote(args[1])
			if path.Clean(from) == path.Clean(to) {
				return fmt.Errorf("%s and %s are the same; nothing to move", safeName(args[0]), safeName(args[1]))
			}
			if e, err := c.Stat(cmd.Context(), to); err == nil && e.Kind == proto.KindDir {
				to = joinRemote(to, path.Base(from))
			} else if err != nil && !errors.Is(err, proto.ErrNotFound) {
				return err
			}
			return c.Move(cmd.Context(), from, to)
		},
	}
	cmd.Flags().BoolP("no-clobber", "n", false, "never replace an existing file (always so; accepted by habit)")
	return cmd
}
