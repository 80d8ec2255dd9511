package service

import (
	"context"
	"io"
	"time"

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
