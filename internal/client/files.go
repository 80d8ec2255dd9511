package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"netdisk/internal/proto"
)

// List returns one level of a folder, sorted by name (the server sends
// the entries in the order it reads them). Every name is checked
// (CheckName): a listing holding an unsafe name, the same name twice or a
// negative size is refused whole with an *UnsafeNameError or a plain
// error, and one past the limits (MaxListEntries, MaxListPages,
// MaxListBytes) with ErrListTooLong.
func (c *Client) List(ctx context.Context, path string) ([]proto.Entry, error) {
	cl, err := c.start(ctx, proto.ListRequest{Path: path}, 0, nil)
	if err != nil {
		return nil, err
	}
	all, err := readPages(ctx, c, cl, "list", "the listing of "+FolderLabel(path), func(h *proto.Header) ([]proto.Entry, bool, error) {
		var batch proto.List
		err := h.Decode(&batch)
		return batch.Entries, batch.More, err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b proto.Entry) int { return strings.Compare(a.Name, b.Name) })
	for i, e := range all {
		if reason := nameProblem(e.Name); reason != "" {
			return nil, &UnsafeNameError{Server: c.addr, Folder: folderOrTop(path), Name: e.Name, Reason: reason}
		}
		if i > 0 && all[i-1].Name == e.Name {
			return nil, fmt.Errorf("the server %s listed %s twice in %s; refusing the listing", c.addr, strconv.Quote(e.Name), FolderLabel(path))
		}
		if e.Size < 0 {
			return nil, fmt.Errorf("the server %s listed %s in %s with a negative size (%d); refusing the listing", c.addr, strconv.Quote(e.Name), FolderLabel(path), e.Size)
		}
	}
	return all, nil
}

// folderOrTop is path as UnsafeNameError.Folder wants it: never "".
func folderOrTop(path string) string {
	if path == "" {
		return "."
	}
	return path
}

// Stat describes one file or folder.
func (c *Client) Stat(ctx context.Context, path string) (proto.Entry, error) {
	var r proto.EntryReply
	if err := c.do(ctx, proto.StatRequest{Path: path}, &r); err != nil {
		return proto.Entry{}, err
	}
	if err := checkPath(c.addr, r.Entry.Name); err != nil {
		return proto.Entry{}, err
	}
	if r.Entry.Size < 0 {
		return proto.Entry{}, fmt.Errorf("the server %s gave %s a negative size (%d)", c.addr, strconv.Quote(r.Entry.Name), r.Entry.Size)
	}
	return r.Entry, nil
}

// Hash returns the BLAKE3-256 the server recorded for a stored file, and
// its size; a nil digest means the server has none for it.
func (c *Client) Hash(ctx context.Context, path string) ([]byte, int64, error) {
	var r proto.DigestReply
	if err := c.do(ctx, proto.HashRequest{Path: path}, &r); err != nil {
		return nil, 0, err
	}
	if r.Digest == "" {
		return nil, r.Size, nil
	}
	sum, err := hex.DecodeString(r.Digest)
	if err != nil || len(sum) != proto.DigestLen {
		return nil, 0, fmt.Errorf("the server %s sent a malformed digest for %s", c.addr, strconv.Quote(path))
	}
	return sum, r.Size, nil
}

// Copy makes to a copy of the stored file from, on the server.
func (c *Client) Copy(ctx context.Context, from, to string) error {
	return c.do(ctx, proto.Copy{From: from, To: to}, nil)
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
// Each path is checked as List checks names, and the list is bounded by
// the same limits.
func (c *Client) Uploads(ctx context.Context) ([]proto.Upload, error) {
	cl, err := c.start(ctx, proto.UploadsRequest{}, 0, nil)
	if err != nil {
		return nil, err
	}
	all, err := readPages(ctx, c, cl, "upload_list", "the list of unfinished uploads", func(h *proto.Header) ([]proto.Upload, bool, error) {
		var batch proto.UploadList
		err := h.Decode(&batch)
		return batch.Uploads, batch.More, err
	})
	if err != nil {
		return nil, err
	}
	for _, u := range all {
		if err := checkPath(c.addr, u.Path); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// DiscardUpload drops the unfinished upload of path.
func (c *Client) DiscardUpload(ctx context.Context, path string) error {
	return c.do(ctx, proto.DiscardUpload{Path: path}, nil)
}
