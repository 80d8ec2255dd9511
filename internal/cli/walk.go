package cli

import (
	"context"
	"fmt"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

// walkRemote lists the remote tree under the folder top breadth first,
// with get -r's limits (folders, depth), and calls visit with each entry
// and the folder it is in. Folder names are checked before they are
// joined to a path.
func walkRemote(ctx context.Context, c *client.Client, top string, visit func(dir string, e proto.Entry) error) error {
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
			if e.Kind == proto.KindDir {
				if err := client.CheckName(e.Name); err != nil {
					return fmt.Errorf("in %s: %w", client.FolderLabel(d.dir), err)
				}
				if folders++; folders > treeLimits.folders {
					return fmt.Errorf("the server's folder %s holds more than %d folders; stopping", safeName(top), treeLimits.folders)
				}
				if d.depth+1 > treeLimits.depth {
					return fmt.Errorf("the server's folder %s is more than %d folders deep; stopping", safeName(top), treeLimits.depth)
				}
				queue = append(queue, folder{joinRemote(d.dir, e.Name), d.depth + 1})
			}
			if err := visit(d.dir, e); err != nil {
				return err
			}
		}
	}
	return nil
}
