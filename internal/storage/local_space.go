package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// localSpace is one user's folder in a Local store. Every access goes
// through root, which keeps it inside the folder.
type localSpace struct {
	store *Local
	user  string
	root  *os.Root
}

var _ Space = (*localSpace)(nil)

// Stat describes name without following a final symlink.
func (s *localSpace) Stat(ctx context.Context, name string) (Info, error) {
	if err := checkPath(ctx, "stat", name); err != nil {
		return Info{}, err
	}
	fi, err := s.root.Lstat(name)
	if err != nil {
		return Info{}, fsError("stat", name, err)
	}
	return infoOf(name, fi), nil
}

// infoOf converts what os reports into an Info named name.
func infoOf(name string, fi fs.FileInfo) Info {
	info := Info{
		Name:    name,
		IsDir:   fi.IsDir(),
		Regular: fi.Mode().IsRegular(),
		ModTime: fi.ModTime(),
	}
	// The size of anything else is file-system trivia (a folder's blocks,
	// a link's length) that would only confuse a user.
	if info.Regular {
		info.Size = fi.Size()
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		info.ID = st.Ino
	}
	return info
}

// List hands the entries of dir to fn a page at a time, as the folder
// yields them.
func (s *localSpace) List(ctx context.Context, dir string, fn func(page []Info) error) error {
	if err := checkPath(ctx, "list", dir); err != nil {
		return err
	}
	d, err := s.openDir(dir)
	if err != nil {
		return fsError("list", dir, err)
	}
	defer s.closeDir(d)
	f, err := d.Open(".")
	if err != nil {
		return fsError("list", dir, err)
	}
	defer f.Close()
	page := make([]Info, 0, ListPage)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := f.ReadDir(ListPage)
		page = page[:0]
		for _, e := range entries {
			name := e.Name()
			if dir == "." && name == reservedDir {
				continue
			}
			// Lstat through the folder's own root looks the entry up by its
			// descriptor, not by a path that could be swapped meanwhile.
			fi, lerr := d.Lstat(name)
			if errors.Is(lerr, fs.ErrNotExist) {
				continue // removed since it was read
			}
			if lerr != nil {
				return fsError("list", dir, lerr)
			}
			page = append(page, infoOf(name, fi))
		}
		if len(page) > 0 {
			if ferr := fn(page); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fsError("list", dir, err)
		}
	}
}

// openDir opens dir as a root of its own; closeDir releases it.
func (s *localSpace) openDir(dir string) (*os.Root, error) {
	if dir == "." {
		return s.root, nil
	}
	d, err := s.root.OpenRoot(dir)
	if err != nil {
		// OpenRoot reports a file with an error of its own, not ENOTDIR.
		if fi, statErr := s.root.Stat(dir); statErr == nil && !fi.IsDir() {
			return nil, ErrNotDir
		}
		return nil, err
	}
	return d, nil
}

func (s *localSpace) closeDir(d *os.Root) {
	if d != s.root {
		d.Close()
	}
}

// readNames returns the sorted entry names of d, without the store's own
// folder if d is the top folder.
func readNames(d *os.Root, top bool) ([]string, error) {
	f, err := d.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	if top {
		names = slices.DeleteFunc(names, func(n string) bool { return n == reservedDir })
	}
	slices.Sort(names)
	return names, nil
}

// Mkdir makes folder name, whose parent must exist.
func (s *localSpace) Mkdir(ctx context.Context, name string) error {
	if err := checkPath(ctx, "mkdir", name); err != nil {
		return err
	}
	err := fs.ErrExist // the top folder
	if name != "." {
		err = s.root.Mkdir(name, 0o700)
	}
	if err != nil {
		return fsError("mkdir", name, err)
	}
	return nil
}

// MkdirAll makes folder name and any missing parents.
func (s *localSpace) MkdirAll(ctx context.Context, name string) error {
	if err := checkPath(ctx, "mkdir", name); err != nil {
		return err
	}
	if err := s.root.MkdirAll(name, 0o700); err != nil {
		return fsError("mkdir", name, err)
	}
	return nil
}

// Remove removes a file or an empty folder.
func (s *localSpace) Remove(ctx context.Context, name string) error {
	if err := checkEntry(ctx, "remove", name); err != nil {
		return err
	}
	err := s.root.Remove(name)
	// Some systems report a full folder with EEXIST, which would read as
	// "already exists".
	if errors.Is(err, fs.ErrExist) {
		err = ErrNotEmpty
	}
	if err != nil {
		return fsError("remove", name, err)
	}
	return nil
}

// RemoveAll removes a file or a folder with everything in it, holding a
// bounded number of descriptors however deep the folder (see walker).
func (s *localSpace) RemoveAll(ctx context.Context, name string) error {
	if err := checkEntry(ctx, "remove", name); err != nil {
		return err
	}
	fi, err := s.root.Lstat(name)
	if err != nil {
		return fsError("remove", name, err)
	}
	if !fi.IsDir() {
		if err := s.root.Remove(name); err != nil {
			return fsError("remove", name, err)
		}
		return nil
	}
	d, err := s.root.OpenRoot(name)
	if err != nil {
		return fsError("remove", name, err)
	}
	top, err := d.Open(".")
	d.Close()
	if err != nil {
		return fsError("remove", name, err)
	}
	err = walkFrom(ctx, top, &walker{
		visit: func(e walkEntry) error {
			if e.isDir() {
				return nil // removed when the walk leaves it, empty
			}
			return ignoreGone(unix.Unlinkat(e.dirFD, e.name, 0))
		},
		leave: func(parentFD int, dir string) error {
			return ignoreGone(unix.Unlinkat(parentFD, dir, unix.AT_REMOVEDIR))
		},
	})
	top.Close()
	if err == nil {
		err = s.root.Remove(name)
	}
	if err != nil {
		return fsError("remove", name, err)
	}
	return nil
}

// ignoreGone treats something already removed as removed.
func ignoreGone(err error) error {
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}

// Rename moves from to to, never over an existing entry.
func (s *localSpace) Rename(ctx context.Context, from, to string) error {
	if err := checkEntry(ctx, "rename", from); err != nil {
		return err
	}
	if err := checkEntry(ctx, "rename", to); err != nil {
		return err
	}
	if strings.HasPrefix(to, from+"/") {
		return linkError("rename", from, to, fmt.Errorf("%w: cannot move a folder into itself", ErrInvalidPath))
	}
	// rename(2) replaces its destination, so whether it is free is checked
	// first, with every rename in this folder held off meanwhile.
	lock := s.store.userLock(s.user)
	lock.Lock()
	defer lock.Unlock()
	if _, err := s.root.Lstat(from); err != nil {
		return linkError("rename", from, to, err)
	}
	switch _, err := s.root.Lstat(to); {
	case err == nil:
		return linkError("rename", from, to, fs.ErrExist)
	case !errors.Is(err, fs.ErrNotExist):
		return linkError("rename", from, to, err)
	}
	if err := s.root.Rename(from, to); err != nil {
		return linkError("rename", from, to, err)
	}
	return nil
}

// Close releases the folder.
func (s *localSpace) Close() error {
	return s.root.Close()
}
