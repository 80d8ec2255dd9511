package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
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
	return info
}

// List describes the entries of dir.
func (s *localSpace) List(ctx context.Context, dir string) ([]Info, error) {
	if err := checkPath(ctx, "list", dir); err != nil {
		return nil, err
	}
	d, err := s.openDir(dir)
	if err != nil {
		return nil, fsError("list", dir, err)
	}
	defer s.closeDir(d)
	names, err := readNames(d, dir == ".")
	if err != nil {
		return nil, fsError("list", dir, err)
	}
	infos := make([]Info, 0, len(names))
	for _, name := range names {
		// Lstat through the folder's own root looks the entry up by its
		// descriptor, not by a path that could be swapped meanwhile.
		fi, err := d.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since it was listed
		}
		if err != nil {
			return nil, fsError("list", dir, err)
		}
		infos = append(infos, infoOf(name, fi))
	}
	return infos, nil
}

// Names returns the entry names of dir.
func (s *localSpace) Names(ctx context.Context, dir string) ([]string, error) {
	if err := checkPath(ctx, "list", dir); err != nil {
		return nil, err
	}
	d, err := s.openDir(dir)
	if err != nil {
		return nil, fsError("list", dir, err)
	}
	defer s.closeDir(d)
	names, err := readNames(d, dir == ".")
	if err != nil {
		return nil, fsError("list", dir, err)
	}
	return names, nil
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

// RemoveAll removes a file or a folder with everything in it.
func (s *localSpace) RemoveAll(ctx context.Context, name string) error {
	if err := checkEntry(ctx, "remove", name); err != nil {
		return err
	}
	// os.RemoveAll succeeds on nothing; the caller asked for something.
	if _, err := s.root.Lstat(name); err != nil {
		return fsError("remove", name, err)
	}
	if err := s.root.RemoveAll(name); err != nil {
		return fsError("remove", name, err)
	}
	return nil
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
