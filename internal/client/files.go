package client

import (
	"context"

	"netdisk/internal/proto"
)

// List returns one level of a folder, in the server's order (by name).
func (c *Client) List(ctx context.Context, path string) ([]proto.Entry, error) {
	cl, err := c.start(ctx, proto.ListRequest{Path: path}, 0, nil)
	if err != nil {
		return nil, err
	}
	var all []proto.Entry
	for {
		f, err := cl.next(ctx, c)
		if err != nil {
			return nil, err
		}
		var batch proto.List
		if err := f.h.Decode(&batch); err != nil {
			return nil, err
		}
		all = append(all, batch.Entries...)
		if !batch.More {
			return all, nil
		}
	}
}

// Stat describes one file or folder.
func (c *Client) Stat(ctx context.Context, path string) (proto.Entry, error) {
	var r proto.EntryReply
	err := c.do(ctx, proto.StatRequest{Path: path}, &r)
	return r.Entry, err
}

// Mkdir creates a folder; with parents, missing parents too.
func (c *Client) Mkdir(ctx context.Context, path string, parents bool) error {
	return c.do(ctx, proto.Mkdir{Path: path, Parents: parents}, nil)
}

// Remove deletes a file or folder (a non-empty one only with recursive).
func (c *Client) Remove(ctx context.Context, path string, recursive bool) error {
	return c.do(ctx, proto.Remove{Path: path, Recursive: recursive}, nil)
}

// Move renames a file or folder.
func (c *Client) Move(ctx context.Context, from, to string) error {
	return c.do(ctx, proto.Move{From: from, To: to}, nil)
}

// Usage returns the bytes used and the quota (0: none).
func (c *Client) Usage(ctx context.Context) (proto.Usage, error) {
	var u proto.Usage
	err := c.do(ctx, proto.UsageRequest{}, &u)
	return u, err
}

// Uploads lists the unfinished uploads the server holds for the user.
func (c *Client) Uploads(ctx context.Context) ([]proto.Upload, error) {
	cl, err := c.start(ctx, proto.UploadsRequest{}, 0, nil)
	if err != nil {
		return nil, err
	}
	var all []proto.Upload
	for {
		f, err := cl.next(ctx, c)
		if err != nil {
			return nil, err
		}
		var batch proto.UploadList
		if err := f.h.Decode(&batch); err != nil {
			return nil, err
		}
		all = append(all, batch.Uploads...)
		if !batch.More {
			return all, nil
		}
	}
}

// DiscardUpload drops the unfinished upload of path.
func (c *Client) DiscardUpload(ctx context.Context, path string) error {
	return c.do(ctx, proto.DiscardUpload{Path: path}, nil)
}
