package cli

import (
	"fmt"
	"path"

	"github.com/spf13/cobra"

	"netdisk/internal/proto"
)

func (a *app) findCommand() *cobra.Command {
	var name, kind string
	cmd := &cobra.Command{
		Use:   "find [PATH] [-name PATTERN] [-type f|d]",
		Short: "List every file and folder under a folder, optionally by name (-name '*.jpg') or kind (-type f|d)",
		Long: `List the path of every file and folder under PATH (default: the current
folder), one per line, breadth first. --name keeps those whose name matches a
pattern (* ? [...], quoted so the local shell leaves it); -type f keeps
files, -type d folders.`,
		// find's own habit: -name and -type with one dash, as find(1)
		// spells them (the two-dash forms work too).
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var rest []string
			for i := 0; i < len(args); i++ {
				switch args[i] {
				case "-h", "--help":
					return cmd.Help()
				case "-name", "--name", "-type", "--type":
					if i+1 == len(args) {
						return usagef("%s needs a value", args[i])
					}
					if args[i] == "-name" || args[i] == "--name" {
						name = args[i+1]
					} else {
						kind = args[i+1]
					}
					i++
				default:
					if len(args[i]) > 1 && args[i][0] == '-' {
						return usagef("find takes -name PATTERN and -type f|d, not %s", args[i])
					}
					rest = append(rest, args[i])
				}
			}
			if len(rest) > 1 {
				return usagef("find takes one folder")
			}
			args = rest
			if _, err := path.Match(name, ""); err != nil {
				return usagef("bad pattern %q: %v", name, err)
			}
			if kind != "" && kind != "f" && kind != "d" {
				return usagef("--type takes f or d")
			}
			c, err := a.loggedIn(ctx)
			if err != nil {
				return err
			}
			top := a.remoteFolderArg(args)
			return walkRemote(ctx, c, top, func(dir string, e proto.Entry) error {
				if ok, _ := path.Match(name, e.Name); name != "" && !ok {
					return nil
				}
				if (kind == "f" && e.Kind != proto.KindFile) || (kind == "d" && e.Kind != proto.KindDir) {
					return nil
				}
				fmt.Fprintln(a.stdout, safeName(joinRemote(dir, e.Name)))
				return nil
			})
		},
	}
	return cmd
}
