package server

import (
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

// handleList streams a listing in frames of at most MaxListBatch entries,
// so no folder is too large for the header limit.
func (c *conn) handleList(h *proto.Header) (proto.Message, error) {
	var req proto.ListRequest
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	infos, err := c.srv.svc.List(c.ctx, c.sess, req.Path)
	if err != nil {
		return nil, err
	}
	for start := 0; ; start += proto.MaxListBatch {
		end := min(start+proto.MaxListBatch, len(infos))
		batch := proto.List{Entries: make([]proto.Entry, 0, end-start), More: end < len(infos)}
		for _, info := range infos[start:end] {
			batch.Entries = append(batch.Entries, entry(info))
		}
		if err := c.send(h.ID, batch); err != nil {
			return nil, fatal{err}
		}
		if !batch.More {
			return nil, nil
		}
	}
}

func (c *conn) handleStat(h *proto.Header) (proto.Message, error) {
	var req proto.StatRequest
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	info, err := c.srv.svc.Stat(c.ctx, c.sess, req.Path)
	if err != nil {
		return nil, err
	}
	return proto.EntryReply{Entry: entry(info)}, nil
}

func (c *conn) handleMkdir(h *proto.Header) (proto.Message, error) {
	var req proto.Mkdir
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	if err := c.srv.svc.Mkdir(c.ctx, c.sess, req.Path, req.Parents); err != nil {
		return nil, err
	}
	return proto.OK{}, nil
}

func (c *conn) handleRemove(h *proto.Header) (proto.Message, error) {
	var req proto.Remove
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	if err := c.srv.svc.Remove(c.ctx, c.sess, req.Path, req.Recursive); err != nil {
		return nil, err
	}
	return proto.OK{}, nil
}

func (c *conn) handleMove(h *proto.Header) (proto.Message, error) {
	var req proto.Move
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	if err := c.srv.svc.Rename(c.ctx, c.sess, req.From, req.To); err != nil {
		return nil, err
	}
	return proto.OK{}, nil
}

func (c *conn) handleUsage(h *proto.Header) (proto.Message, error) {
	used, quota, err := c.srv.svc.Usage(c.ctx, c.sess)
	if err != nil {
		return nil, err
	}
	return proto.Usage{Used: used, Quota: quota}, nil
}
