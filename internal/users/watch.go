package users

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// WatchInterval is how often the registry looks at the workbook for an
// edit made outside the server. It also looks before every rewrite.
const WatchInterval = 2 * time.Second

// fileID identifies one version of the workbook file: the one the registry
// last wrote or read, so that it can tell whether someone else wrote the
// file since. Size, modification time and inode are cheap to compare; the
// SHA-256 of the bytes settles it when they differ or cannot be trusted.
type fileID struct {
	exists   bool
	size     int64
	mtime    time.Time
	dev, ino uint64
	sum      [sha256.Size]byte
	// racy is set when the file was modified so shortly before it was
	// identified that another write in the same tick of the file
	// system's clock could leave size, mtime and inode all unchanged (an
	// in-place save of the same length). The next look then hashes the
	// file whatever the cheap fields say.
	racy bool
}

// racyWindow is the coarsest modification-time granularity among common
// file systems (FAT's two seconds).
const racyWindow = 2 * time.Second

// setStat fills the cheap fields from info, identified at seen.
func (id *fileID) setStat(info fs.FileInfo, seen time.Time) {
	id.exists = true
	id.size = info.Size()
	id.mtime = info.ModTime()
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(st.Dev), st.Ino
	}
	id.racy = seen.Sub(id.mtime) < racyWindow
}

// sameStat reports whether info shows the file id identifies, judged by
// the cheap fields alone; false when those cannot be trusted.
func (id fileID) sameStat(info fs.FileInfo) bool {
	var now fileID
	now.setStat(info, time.Time{})
	return id.exists && !id.racy && now.size == id.size && now.mtime.Equal(id.mtime) &&
		now.dev == id.dev && now.ino == id.ino
}

// readFileID reads the whole regular file at path and identifies the bytes
// it read.
func readFileID(path string) ([]byte, fileID, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileID{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fileID{}, err
	}
	if !info.Mode().IsRegular() {
		return nil, fileID{}, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fileID{}, err
	}
	var id fileID
	id.setStat(info, time.Now())
	id.sum = sha256.Sum256(data)
	if int64(len(data)) != id.size {
		// Written to while being read: the cheap fields describe
		// another version than these bytes.
		id.size, id.racy = int64(len(data)), true
	}
	return data, id, nil
}

// lookAt compares the file at path (the workbook, or the one a rewrite
// has just replaced) with the version the registry last wrote or read.
// For another version it returns the bytes it read and their identity,
// so that what is parsed is exactly what was hashed.
func (p *filePlace) lookAt(path string) (lookResult, []byte, fileID, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && p.disk.exists:
		return gone, nil, fileID{}, nil
	case errors.Is(err, fs.ErrNotExist):
		return unchanged, nil, fileID{}, nil
	case err != nil:
		return unchanged, nil, fileID{}, fmt.Errorf("looking at %s: %w", path, err)
	case p.disk.sameStat(info):
		return unchanged, nil, fileID{}, nil
	}
	data, id, err := readFileID(path)
	if errors.Is(err, fs.ErrNotExist) {
		return gone, nil, fileID{}, nil // removed between the stat and the read
	}
	if err != nil {
		return unchanged, nil, fileID{}, fmt.Errorf("reading %s: %w", path, err)
	}
	if p.disk.exists && id.sum == p.disk.sum {
		// The same bytes: only the cheap fields moved (touched, copied
		// back, or no longer racy). Remember them as they are now.
		p.disk = id
		return unchanged, nil, fileID{}, nil
	}
	return edited, data, id, nil
}

// identifier hashes and counts the bytes of a workbook as the registry
// writes it, so that it knows its own file without reading it back.
type identifier struct {
	w io.Writer
	h hash.Hash
	n int64
}

func newIdentifier(w io.Writer) *identifier {
	return &identifier{w: w, h: sha256.New()}
}

func (iw *identifier) Write(p []byte) (int, error) {
	n, err := iw.w.Write(p)
	iw.h.Write(p[:n])
	iw.n += int64(n)
	return n, err
}

// id identifies what was written. The cheap fields come from the open
// file (atomicfile hands over its *os.File): its inode and modification
// time stay the same through the sync and the rename that follow. If they
// cannot be had, the next look hashes the file instead.
func (iw *identifier) id() fileID {
	id := fileID{exists: true, size: iw.n, racy: true}
	copy(id.sum[:], iw.h.Sum(nil))
	if f, ok := iw.w.(interface{ Stat() (fs.FileInfo, error) }); ok {
		if info, err := f.Stat(); err == nil && info.Size() == iw.n {
			id.setStat(info, time.Now())
		}
	}
	return id
}
