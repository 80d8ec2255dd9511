package service

import (
	"context"
	"io"
	"sync/atomic"

	"netdisk/internal/storage"
)

// countingStore wraps a store and counts what the service asks of it: the
// bytes it reads back from partials and files, and the commit batches.
type countingStore struct {
	storage.Store
	partialReads atomic.Int64 // bytes read back from uploads
	fileReads    atomic.Int64 // bytes read from files with ReadAt (prefix checks)
	commits      atomic.Int64 // Commit calls
	largestBatch atomic.Int64
	lists        atomic.Int64 // List calls
}

func (c *countingStore) CreateSpace(ctx context.Context, user string) (storage.Space, error) {
	sp, err := c.Store.CreateSpace(ctx, user)
	if err != nil {
		return nil, err
	}
	return &countingSpace{Space: sp, c: c}, nil
}

func (c *countingStore) Space(ctx context.Context, user string) (storage.Space, error) {
	sp, err := c.Store.Space(ctx, user)
	if err != nil {
		return nil, err
	}
	return &countingSpace{Space: sp, c: c}, nil
}

func (c *countingStore) Commit(ctx context.Context, commits []storage.Commit) []error {
	c.commits.Add(1)
	for {
		old := c.largestBatch.Load()
		if int64(len(commits)) <= old || c.largestBatch.CompareAndSwap(old, int64(len(commits))) {
			break
		}
	}
	inner := make([]storage.Commit, len(commits))
	for i, cm := range commits {
		inner[i] = cm
		if u, ok := cm.Upload.(*countingUpload); ok {
			inner[i].Upload = u.Upload
		}
	}
	return c.Store.Commit(ctx, inner)
}

type countingSpace struct {
	storage.Space
	c *countingStore
}

func (s *countingSpace) List(ctx context.Context, dir string, fn func([]storage.Info) error) error {
	s.c.lists.Add(1)
	return s.Space.List(ctx, dir, fn)
}

func (s *countingSpace) OpenUpload(ctx context.Context, target string) (storage.Upload, error) {
	up, err := s.Space.OpenUpload(ctx, target)
	if err != nil {
		return nil, err
	}
	return &countingUpload{Upload: up, c: s.c}, nil
}

func (s *countingSpace) TempUpload(ctx context.Context, target string) (storage.Upload, error) {
	up, err := s.Space.TempUpload(ctx, target)
	if err != nil {
		return nil, err
	}
	return &countingUpload{Upload: up, c: s.c}, nil
}

func (s *countingSpace) Open(ctx context.Context, name string) (storage.File, error) {
	f, err := s.Space.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	return &countingFile{File: f, c: s.c}, nil
}

type countingUpload struct {
	storage.Upload
	c *countingStore
}

func (u *countingUpload) ReadAt(p []byte, off int64) (int, error) {
	n, err := u.Upload.ReadAt(p, off)
	u.c.partialReads.Add(int64(n))
	return n, err
}

// countingFile hides the file's WriterTo, so sends go through Read and
// every byte sent by the service is visible.
type countingFile struct {
	storage.File
	c *countingStore
}

func (f *countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	f.c.fileReads.Add(int64(n))
	return n, err
}

var _ io.ReaderAt = (*countingFile)(nil)

// storageCommit shortens storage.Commit in tests.
type storageCommit = storage.Commit
