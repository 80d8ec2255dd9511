package storage

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// maxWalkFDs bounds the directory descriptors one walk holds, whatever the
// depth of the tree: a folder 22,000 levels deep must not make counting or
// removing it run out of descriptors (one per level, as a recursive walk
// would need).
const maxWalkFDs = 16

// direntBuf is the buffer for reading a folder's names, a batch at a time.
const direntBuf = 8 << 10

// walker goes through a tree depth first, from a folder it holds open,
// with at most maxWalkFDs descriptors open. The descriptors of the nearest
// folders on the current path stay open; when the walk goes deeper, the
// farthest is closed, and reopened through ".." of its child on the way
// back up, checked by inode to be the same folder. A folder's place in
// its listing is kept as a directory offset, so reading it goes on from
// there after a reopen. Every name is opened relative to its folder's
// descriptor with O_NOFOLLOW, so no symlink is ever followed and the walk
// never leaves the tree.
type walker struct {
	ctx    context.Context
	frames []*walkFrame
	open   int    // frames with a descriptor
	buf    []byte // for getdents
	// visit is called for every entry below the top folder. Returning
	// errSkipDir for a folder does not descend into it.
	visit func(e walkEntry) error
	// leave, if set, is called for every folder below the top after its
	// entries, with its parent's descriptor: where a removal removes it.
	leave func(parentFD int, name string) error
}

// walkEntry is an entry a walk visits.
type walkEntry struct {
	dirFD  int    // the descriptor of its folder (valid during the visit)
	name   string // its name in that folder
	depth  int    // 1 for the top folder's entries
	length int    // bytes of its path relative to the top folder
	top    string // the top folder's entry it is under (itself at depth 1)
	st     *unix.Stat_t
}

func (e walkEntry) isDir() bool     { return e.st.Mode&unix.S_IFMT == unix.S_IFDIR }
func (e walkEntry) isRegular() bool { return e.st.Mode&unix.S_IFMT == unix.S_IFREG }

// walkFrame is one folder on the current path.
type walkFrame struct {
	name   string
	ino    uint64
	fd     int // -1 while closed
	off    int64
	names  []string // the batch being gone through
	length int      // of the path from the top folder
	done   bool     // the folder has no more names
}

// errSkipDir, returned by visit for a folder, skips it.
var errSkipDir = errors.New("skip this folder")

// errTreeChanged is a folder found replaced while the walk was away from
// it: the caller may try again.
var errTreeChanged = errors.New("the folder changed during the walk; try again")

// walkFrom walks the tree under the folder f (which it neither closes nor
// visits).
func walkFrom(ctx context.Context, top *os.File, w *walker) error {
	w.ctx = ctx
	w.buf = make([]byte, direntBuf)
	fd, err := unix.Dup(int(top.Fd()))
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return err
	}
	w.frames = []*walkFrame{{fd: fd, ino: st.Ino}}
	w.open = 1
	defer w.closeAll()
	for len(w.frames) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		fr := w.frames[len(w.frames)-1]
		name, err := w.next(fr)
		if err != nil {
			return err
		}
		if name == "" { // the folder is done
			if err := w.pop(); err != nil {
				return err
			}
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(fr.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue // removed meanwhile
			}
			return err
		}
		depth := len(w.frames)
		length := fr.length + len(name)
		if depth > 1 {
			length++ // the '/' before name
		}
		top := name
		if depth > 1 {
			top = w.frames[1].name
		}
		e := walkEntry{dirFD: fr.fd, name: name, depth: depth, length: length, top: top, st: &st}
		err = w.visit(e)
		if errors.Is(err, errSkipDir) {
			continue
		}
		if err != nil {
			return err
		}
		if e.isDir() {
			if err := w.push(fr, name, length); err != nil {
				return err
			}
		}
	}
	return nil
}

// next returns the next name of fr's folder, "" when there is none,
// reading a batch when the last is used up.
func (w *walker) next(fr *walkFrame) (string, error) {
	for len(fr.names) == 0 {
		if fr.done {
			return "", nil
		}
		if err := w.reopen(fr); err != nil {
			return "", err
		}
		if _, err := unix.Seek(fr.fd, fr.off, 0); err != nil {
			return "", err
		}
		n, err := unix.ReadDirent(fr.fd, w.buf)
		if err != nil {
			return "", err
		}
		if n == 0 {
			fr.done = true
			return "", nil
		}
		if fr.off, err = unix.Seek(fr.fd, 0, 1); err != nil {
			return "", err
		}
		_, _, fr.names = unix.ParseDirent(w.buf[:n], -1, fr.names[:0])
	}
	name := fr.names[0]
	fr.names = fr.names[1:]
	return name, nil
}

// push opens the folder name of parent and goes into it, closing the
// farthest open folder if the walk holds maxWalkFDs already.
func (w *walker) push(parent *walkFrame, name string, length int) error {
	fd, err := unix.Openat(parent.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		return nil // removed or replaced meanwhile: nothing to go into
	}
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return err
	}
	w.frames = append(w.frames, &walkFrame{name: name, ino: st.Ino, fd: fd, length: length})
	w.open++
	if w.open > maxWalkFDs {
		// The top folder's descriptor (frame 0) stays: everything is
		// reopened from below it.
		for _, fr := range w.frames[1:] {
			if fr.fd >= 0 {
				unix.Close(fr.fd)
				fr.fd = -1
				w.open--
				break
			}
		}
	}
	return nil
}

// pop leaves the current folder for its parent, reopening the parent
// through ".." if it was closed.
func (w *walker) pop() error {
	fr := w.frames[len(w.frames)-1]
	if len(w.frames) == 1 {
		w.frames = nil
		unix.Close(fr.fd)
		w.open--
		return nil
	}
	parent := w.frames[len(w.frames)-2]
	if parent.fd < 0 {
		if err := w.reopen(fr); err != nil {
			return err
		}
		fd, err := unix.Openat(fr.fd, "..", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil || st.Ino != parent.ino {
			unix.Close(fd)
			return errTreeChanged
		}
		parent.fd = fd
		w.open++
	}
	unix.Close(fr.fd)
	fr.fd = -1
	w.open--
	w.frames = w.frames[:len(w.frames)-1]
	if w.leave != nil {
		return w.leave(parent.fd, fr.name)
	}
	return nil
}

// reopen makes sure fr has a descriptor: a closed folder is only ever
// reached again from its child, through pop, so a frame to read from is
// open unless the tree changed.
func (w *walker) reopen(fr *walkFrame) error {
	if fr.fd < 0 {
		return fmt.Errorf("walk: folder %s lost its descriptor: %w", fr.name, errTreeChanged)
	}
	return nil
}

func (w *walker) closeAll() {
	for _, fr := range w.frames {
		if fr.fd >= 0 {
			unix.Close(fr.fd)
		}
	}
	w.frames = nil
}
