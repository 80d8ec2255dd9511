package server

import (
	"context"
	"encoding/hex"
	"netdisk/internal/proto"
	"netdisk/internal/service"
)

func entry(info service.Info) proto.Entry {
	kind := proto.KindOther
	switch {
	case info.IsDir:
		kind = proto.KindDir
	case info.Regular:
		kind = proto.KindFile
	}
	return proto.Entry{Name: info.Name, Kind: kind, Size: info.Size, MTime: info.ModTime.UTC()}
}

// handleList streams a listing as the service reads it, in frames of at
// most MaxListBatch entries, so that neither the header limit nor the
// server's memory grows with the folder. Each frame is sent once the next
// page is known to exist, so the last one can say more=false (an empty
// folder gets one empty frame).
func (c *conn) handleList(h *proto.Header) (proto.Message, error) {
	var req proto.ListRequest
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	var pending proto.List
	flush := func(more bool) error {
		pending.More = more
		if err := c.send(h.ID, pending); err != nil {
			return fatal{err}
		}
		pending.Entries = pending.Entries[:0]
		return nil
	}
	err := c.srv.svc.List(c.req, c.sess, req.Path, func(page []service.Info) error {
		for _, info := range page {
			if len(pending.Entries) == proto.MaxListBatch {
				if err := flush(true); err != nil {
					return err
				}
			}
			pending.Entries = append(pending.Entries, entry(info))
		}
		return nil
	})
	if err != nil {
		// Also after frames went out: an error frame ends the reply as a
		// last list frame would.
		return nil, err
	}
	if pending.Entries == nil {
		pending.Entries = []proto.Entry{}
	}
	if err := flush(false); err != nil {
		return nil, err
	}
	return nil, nil
}

func (c *conn) handleStat(h *proto.Header) (proto.Message, error) {
	var req proto.StatRequest
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	info, err := c.srv.svc.Stat(c.req, c.sess, req.Path)
	if err != nil {
		return nil, err
	}
	return proto.EntryReply{Entry: entry(info)}, nil
}

func (c *conn) handleHash(h *proto.Header) (proto.Message, error) {
	var req proto.HashRequest
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	info, err := c.srv.svc.Stat(c.req, c.sess, req.Path)
	if err != nil {
		return nil, err
	}
	if info.IsDir {
		return nil, proto.Errorf(proto.CodeIsDir, "%s is a folder; hash takes files", req.Path)
	}
	sum, err := c.srv.svc.Digest(c.req, c.sess, req.Path)
	if err != nil {
		return nil, err
	}
	return proto.DigestReply{Digest: hex.EncodeToString(sum), Size: info.Size}, nil
}

func (c *conn) handleCopy(h *proto.Header) (proto.Message, error) {
	var req proto.Copy
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	err := c.whileWatching(func(ctx context.Context) error {
		return c.srv.svc.Copy(ctx, c.sess, req.From, req.To)
	})
	if err != nil {
		return nil, err
	}
	return proto.OK{}, nil
}

func (c *conn) handleMkdir(h *proto.Header) (proto.Message, error) {
	var req proto.Mkdir
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	if err := c.srv.svc.Mkdir(c.req, c.sess, req.Path, req.Parents); err != nil {
		return nil, err
	}
	return proto.OK{}, nil
}

func (c *conn) handleRemove(h *proto.Header) (proto.Message, error) {
	var req proto.Remove
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	if err := c.srv.svc.Remove(c.req, c.sess, req.Path, req.Recursive); err != nil {
		return nil, err
	}
	return proto.OK{}, nil
}

func (c *conn) handleMove(h *proto.Header) (proto.Message, error) {
	var req proto.Move
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	if err := c.srv.svc.Rename(c.req, c.sess, req.From, req.To); err != nil {
		return nil, err
	}
	return proto.OK{}, nil
}

func (c *conn) handleUsage(h *proto.Header) (proto.Message, error) {
	u, err := c.srv.svc.Usage(c.req, c.sess)
	if err != nil {
		return nil, err
	}
	return proto.Usage{Used: u.Bytes, Quota: u.Quota, Entries: u.Entries, MaxEntries: u.MaxEntries}, nil
}
