package service

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"time"

	"netdisk/internal/digest"
	"netdisk/internal/hashcopy"
	"netdisk/internal/storage"
)

// Download is one file being sent, the same for every front door: open it
// (OpenDownload, with the resume check), send its bytes (WriteTo), then
// the whole file's BLAKE3-256 (Digest), and Close. The digest is the one
// recorded when the file was committed if the record is still valid (so
// the bytes can go by sendfile untouched); otherwise it is computed while
// sending, and recorded for the next download.
type Download struct {
	Path      string // the clean path being sent
	Size      int64
	Offset    int64 // the first byte sent: where a verified resume continues
	MTime     time.Time
	Restarted string // why a requested resume starts from 0 instead

	ctx   context.Context
	space storage.Space
	file  storage.File
	sum   []byte         // the whole file's digest, when known before sending
	hash  *digest.Hasher // otherwise: of bytes [0, Offset), completed while sending
}

// OpenDownload opens path for sending from offset. When offset > 0, prefix
// is the receiver's BLAKE3-256 of its first offset bytes: if it does not
// match the server's (or the file is now shorter), the download restarts
// from 0 and Restarted says why. The check reads at most one span of the
// file (see digest.Marks) when the file's record is valid.
func (s *Service) OpenDownload(ctx context.Context, sess *Session, path string, offset int64, prefix []byte) (*Download, error) {
	clean, err := CleanTarget(path)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("%w: negative offset %d", ErrBadRequest, offset)
	}
	sp, err := s.space(ctx, sess)
	if err != nil {
		return nil, err
	}
	f, err := sp.Open(ctx, clean)
	if err != nil {
		sp.Close()
		return nil, mapErr(err)
	}
	info := f.Info()
	d := &Download{Path: clean, Size: info.Size, MTime: info.ModTime, ctx: ctx, space: sp, file: f}
	var marks *digest.Marks
	if b, ok := f.Record(); ok {
		if rec, err := decodeRecord(b); err == nil && rec.marks.Span() > 0 && int64(len(rec.marks.CVs))*rec.marks.Span() <= info.Size {
			d.sum, marks = rec.sum, &rec.marks
		}
	}
	if err := d.checkPrefix(s, sess.User, offset, prefix, marks); err != nil {
		d.Close()
		return nil, err
	}
	if _, err := f.Seek(d.Offset, io.SeekStart); err != nil {
		d.Close()
		return nil, mapErr(err)
	}
	return d, nil
}

// checkPrefix sets Offset (or Restarted) for a requested resume at offset,
// and the hash state the send continues from when the digest is not known.
func (d *Download) checkPrefix(s *Service, user string, offset int64, prefix []byte, marks *digest.Marks) error {
	h := digest.New()
	switch {
	case offset == 0:
	case offset > d.Size:
		d.Restarted = fmt.Sprintf("the server's file is now shorter (%d bytes) than your partial copy (%d bytes)", d.Size, offset)
	case marks != nil:
		if err := s.chargeHashing(user, min(offset, marks.Span())); err != nil {
			return err
		}
		got, err := marks.Prefix(d.file, offset)
		if err != nil {
			return fmt.Errorf("reading %s: %w", d.Path, mapErr(err))
		}
		d.match(offset, got, prefix)
	default:
		if err := s.chargeHashing(user, offset); err != nil {
			return err
		}
		rest := io.NewSectionReader(d.file, 0, offset)
		if _, err := hashcopy.Copy(d.ctx, io.Discard, rest, offset, h, nil); err != nil {
			return fmt.Errorf("reading %s: %w", d.Path, mapErr(err))
		}
		if !d.match(offset, h.Sum(nil), prefix) {
			h.Reset()
		}
	}
	if d.sum == nil {
		d.hash = h
	}
	return nil
}

// match continues from offset if the server's digest of its first offset
// bytes equals the receiver's.
func (d *Download) match(offset int64, server, receiver []byte) bool {
	if subtle.ConstantTimeCompare(server, receiver) == 1 {
		d.Offset = offset
		return true
	}
	d.Restarted = "the first bytes of your partial copy differ from the server's file (it changed, or your copy is damaged)"
	return false
}

// WriteTo writes bytes [Offset, Size) to w, hashing them on the way when
// the digest is not known. When it is, and w can take a file directly
// (io.ReaderFrom), the file goes to w as it is: sendfile(2) for a TCP
// connection.
func (d *Download) WriteTo(w io.Writer) (int64, error) {
	n := d.Size - d.Offset
	var sent int64
	var err error
	_, direct := w.(io.ReaderFrom)
	wt, canSend := d.file.(io.WriterTo)
	switch {
	case d.hash == nil && direct && canSend:
		sent, err = wt.WriteTo(w)
	case d.hash == nil:
		sent, err = hashcopy.Copy(d.ctx, w, d.file, n, nil, nil)
	default:
		sent, err = hashcopy.Copy(d.ctx, w, d.file, n, d.hash, nil)
	}
	if err == nil && sent != n {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return sent, fmt.Errorf("sending %s: %w", d.Path, mapErr(err))
	}
	if d.hash != nil {
		d.sum = d.hash.Sum(nil)
		// Computed from the first byte to the last: keep it, so the next
		// download of this version is sent without hashing.
		if record, err := encodeRecord(d.sum, d.hash.Marks()); err == nil {
			d.file.SetRecord(record)
		}
		d.hash = nil
	}
	return sent, nil
}

// Digest is the whole file's BLAKE3-256, once WriteTo has run.
func (d *Download) Digest() []byte { return d.sum }

// Content is the file itself, for a front door that serves ranges of it
// (HTTP): reads see the version opened, whatever replaces it meanwhile.
func (d *Download) Content() io.ReadSeeker { return d.file }

// Close releases the file.
func (d *Download) Close() error {
	err := d.file.Close()
	d.space.Close()
	return mapErr(err)
}
