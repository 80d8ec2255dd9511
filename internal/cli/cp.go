package cli

import (
	"errors"
	"fmt"
	"path"

	"github.com/spf13/cobra"

	"netdisk/internal/proto"
)

func (a *app) cpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cp FROM TO",
		Short: "Copy a file on the server (into TO if TO is a folder); the copy counts in your quota",
		Long: `Copy the stored file FROM to TO on the server, without sending it through
this machine: the copy is made like an upload (counted in your quota,
replacing a file at TO whole and atomically, with its own digest record and
FROM's modification time). Into TO if TO is a folder. Files only.`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := a.loggedIn(ctx)
			if err != nil {
				return err
			}
			from, to := a.remote(args[0]), a.remote(args[1])
			if e, err := c.Stat(ctx, to); err == nil && e.Kind == proto.KindDir {
				to = joinRemote(to, path.Base(from))
			} else if err != nil && !errors.Is(err, proto.ErrNotFound) {
				return err
			}
			if path.Clean(from) == path.Clean(to) {
				return fmt.Errorf("%s and %s are the same; nothing to copy", safeName(args[0]), safeName(args[1]))
			}
			return c.Copy(ctx, from, to)
		},
	}
}
