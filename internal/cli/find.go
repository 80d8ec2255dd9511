package cli

import (
	"fmt"
	"path"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
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
			top := "."
			if len(args) == 1 {
				top = args[0]
			}
			top = a.remote(top)
			type folder struct {
				dir   string
				depth int
			}
			queue := []folder{{top, 0}}
			folders := 0
			for len(queue) > 0 {
				d := queue[0]
				queue = queue[1:]
				entries, err := c.List(ctx, d.dir)
				if err != nil {
					return err
				}
				for _, e := range entries {
					p := joinRemote(d.dir, e.Name)
					if e.Kind == proto.KindDir {
						if err := client.CheckName(e.Name); err != nil {
							return fmt.Errorf("in %s: %w", client.FolderLabel(d.dir), err)
						}
						if folders++; folders > treeLimits.folders || d.depth+1 > treeLimits.depth {
							return fmt.Errorf("%s holds more than %d folders or is deeper than %d; stopping", safeName(top), treeLimits.folders, treeLimits.depth)
						}
						queue = append(queue, folder{p, d.depth + 1})
					}
					if ok, _ := path.Match(name, e.Name); name != "" && !ok {
						continue
					}
					if (kind == "f" && e.Kind != proto.KindFile) || (kind == "d" && e.Kind != proto.KindDir) {
						continue
					}
					fmt.Fprintln(a.stdout, safeName(p))
				}
			}
			return nil
		},
	}
	return cmd
}
