package service

import (
	"context"
	"fmt"
	"io"
	"time"

	"netdisk/internal/digest"
	"netdisk/internal/storage"
)

// File is a stored file opened for reading at any offset: a front door that
// serves byte ranges (a browser, a download manager) reads it with Seek and
// Read. It is not verified on the way: Digest is the verified BLAKE3-256
// recorded when the file was stored, when the server has it.
type File struct {
	Path    string // the clean path
	Size    int64
	ModTime time.Time

	space  storage.Space
	file   storage.File
	digest []byte
}

// OpenFile opens a stored file for reading; Close it.
func (s *Service) OpenFile(ctx context.Context, sess *Session, path string) (*File, error) {
	clean, err := CleanTarget(path)
	if err != nil {
		return nil, err
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
	file := &File{Path: clean, Size: info.Size, ModTime: info.ModTime, space: sp, file: f}
	if b, ok := f.Record(); ok {
		if rec, err := decodeRecord(b); err == nil {
			file.digest = rec.sum
		}
	}
	return file, nil
}

func (f *File) Read(p []byte) (int, error) {
	n, err := f.file.Read(p)
	if err != nil && err != io.EOF {
		err = mapErr(err)
	}
	return n, err
}

func (f *File) Seek(offset int64, whence int) (int64, error) { return f.file.Seek(offset, whence) }

// Digest is the file's BLAKE3-256 as recorded when it was stored (nil if
// the server has no valid record: a file put there by other means, or
// changed since).
func (f *File) Digest() []byte { return f.digest }

// Close releases the file.
func (f *File) Close() error {
	err := f.file.Close()
	f.space.Close()
	return err
}

// Digest returns the recorded BLAKE3-256 of a stored file, or nil if the
// server has none: no file is read or hashed for it.
func (s *Service) Digest(ctx context.Context, sess *Session, path string) ([]byte, error) {
	f, err := s.OpenFile(ctx, sess, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Digest(), nil
}

// Copy makes to a copy of the stored file from, on the server: an upload
// whose bytes are read from the file, counted in the quota and limits like
// any upload and committed the same way (an existing file at to is
// replaced whole, atomically; a folder there is refused). The copy keeps
// from's modification time and gets its own digest record.
func (s *Service) Copy(ctx context.Context, sess *Session, from, to string) error {
	src, err := s.OpenFile(ctx, sess, from)
	if err != nil {
		return err
	}
	defer src.Close()
	up, err := s.OpenUpload(ctx, sess, to, src.Size, UploadOnce)
	if err != nil {
		return err
	}
	defer up.Close()
	h := digest.New()
	n, err := up.Stream(0, io.TeeReader(io.LimitReader(src, src.Size), h))
	if err != nil {
		return err
	}
	if n != src.Size {
		return fmt.Errorf("%w: %s changed while it was copied", ErrBusy, src.Path)
	}
	return up.Commit(ctx, h.Sum(nil), src.ModTime)
}
