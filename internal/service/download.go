package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"netdisk/internal/storage"
)

// Download is one file being sent. Bytes [Offset, Size) go to the client,
// then the whole file's SHA-256: the one recorded at upload when it is
// still valid (so the bytes can go by sendfile untouched), otherwise one
// computed while sending.
type Download struct {
	path      string
	space     storage.Space
	file      storage.File
	Size      int64
	Offset    int64
	MTime     time.Time
	Restarted string // why a requested resume starts from 0 instead
	digest    []byte
	hash      hash.Hash // nil when digest is known
}

// OpenDownload opens path for sending from offset. When offset > 0 the
// client's SHA-256 of its first offset bytes must match the server's; if it
// does not (or the file is now shorter), the download restarts from 0 and
// Restarted says why.
func (s *Service) OpenDownload(ctx context.Context, sess *Session, path string, offset int64, prefix []byte) (*Download, error) {
	clean, err := CleanTarget(path)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, &PathError{Path: path, Reason: "negative offset"}
	}
	sp, err := s.space(sess)
	if err != nil {
		return nil, err
	}
	f, err := sp.Open(clean)
	if err != nil {
		sp.Close()
		return nil, err
	}
	info := f.Info()
	d := &Download{path: clean, space: sp, file: f, Size: info.Size, MTime: info.ModTime}
	if sum, ok := f.Digest(); ok {
		d.digest = sum
	}
	h := sha256.New()
	switch {
	case offset == 0:
	case offset > info.Size:
		d.Restarted = fmt.Sprintf("the server's file is now shorter (%d bytes) than your partial copy (%d bytes)", info.Size, offset)
	default:
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, offset)); err != nil {
			d.Close()
			return nil, fmt.Errorf("reading %s: %w", clean, err)
		}
		if subtle.ConstantTimeCompare(h.Sum(nil), prefix) == 1 {
			d.Offset = offset
		} else {
			h.Reset()
			d.Restarted = "the first bytes of your partial copy differ from the server's file (it changed, or your copy is damaged)"
		}
	}
	if d.digest == nil {
		d.hash = h
	}
	if _, err := f.Seek(d.Offset, io.SeekStart); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// WriteBody writes bytes [Offset, Size) to w, hashing them on the way if
// the digest is not known already; Sum then gives the trailer.
func (d *Download) WriteBody(w io.Writer) (int64, error) {
	n := d.Size - d.Offset
	if d.hash != nil {
		return copyHashed(w, d.file, n, d.hash)
	}
	bp := smallBufs.Get().(*[]byte)
	defer smallBufs.Put(bp)
	return io.CopyBuffer(w, io.LimitReader(onlyReader{d.file}, n), *bp)
}

// onlyReader hides WriteTo, so io.CopyBuffer uses the buffer given.
type onlyReader struct{ io.Reader }

// OSFile returns the file for sendfile(2) when no hashing is needed on the
// way (the digest is known); nil otherwise.
func (d *Download) OSFile() *os.File {
	if d.hash != nil {
		return nil
	}
	return d.file.OSFile()
}

// Sum is the whole file's SHA-256, once the body has been read.
func (d *Download) Sum() []byte {
	if d.hash != nil {
		return d.hash.Sum(nil)
	}
	return d.digest
}

// Path is the clean path being sent.
func (d *Download) Path() string { return d.path }

// Close releases the file.
func (d *Download) Close() error {
	err := d.file.Close()
	d.space.Close()
	return err
}
