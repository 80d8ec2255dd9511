package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"netdisk/internal/client"
)

// partSuffix marks a download in progress beside its destination; the
// destination itself is replaced only by a complete, verified file.
const partSuffix = ".ndpart"

// localTarget is where one download goes: a name inside a folder opened as
// an os.Root. Everything a download does to the local disk (create
// LOCAL.ndpart, resume it, rename it to LOCAL) goes through the root, so
// nothing outside that folder is created, opened or renamed, whatever the
// name; and no symbolic link found there is followed (checkLocal).
type localTarget struct {
	root    *os.Root
	name    string // relative to root
	display string // the path the user knows it by
}

// openTarget opens the folder of local as a root, for a download of one
// file to local.
func openTarget(local string) (localTarget, error) {
	root, err := os.OpenRoot(filepath.Dir(local))
	if err != nil {
		return localTarget{}, err
	}
	return localTarget{root: root, name: filepath.Base(local), display: local}, nil
}

func (t localTarget) part() string { return t.name + partSuffix }

// exists reports whether LOCAL or LOCAL.ndpart is there (as anything).
func (t localTarget) exists() bool {
	_, err1 := t.root.Lstat(t.name)
	_, err2 := t.root.Lstat(t.part())
	return err1 == nil || err2 == nil
}

// errSymlink is a symbolic link where a download would write.
var errSymlink = errors.New("is a symbolic link")

// checkLocal refuses to use name in the root if it is there as anything
// but a regular file: a symbolic link planted in the folder a download
// goes to (a link to a file or folder elsewhere) is never written
// through, nor replaced.
func (t localTarget) checkLocal(name, display string) error {
	info, err := t.root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case info.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s %w; not following it (nothing was written through it; remove it to download there)",
			safeName(display), errSymlink)
	case !info.Mode().IsRegular():
		return fmt.Errorf("%s is already there and is not a file; nothing was written", safeName(display))
	}
	return nil
}

// openPart prepares LOCAL.ndpart for a download and returns it with the
// number of bytes to resume from. Resuming a complete-looking LOCAL moves
// it to LOCAL.ndpart first, so LOCAL is only ever a whole file.
//
// moved says LOCAL itself was moved aside to be resumed: if it turns out
// not to be the start of the server's file, it must go back (see getOne).
func openPart(t localTarget, mode existing) (f *os.File, offset int64, moved bool, err error) {
	if err := t.checkLocal(t.name, t.display); err != nil {
		return nil, 0, false, err
	}
	if err := t.checkLocal(t.part(), t.display+partSuffix); err != nil {
		return nil, 0, false, err
	}
	part := t.part()
	switch mode {
	case resumeIt:
		if _, err := t.root.Lstat(part); errors.Is(err, fs.ErrNotExist) {
			if info, err := t.root.Lstat(t.name); err == nil && info.Mode().IsRegular() {
				if err := t.root.Rename(t.name, part); err != nil {
					return nil, 0, false, err
				}
				moved = true
			}
		}
	case overwrite, askUser:
		if err := t.root.Remove(part); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, 0, false, err
		}
	}
	// A new partial is created exclusively (O_EXCL never follows a link);
	// an existing one was checked above to be a regular file.
	f, err = t.root.OpenFile(part, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		f, err = t.root.OpenFile(part, os.O_RDWR, 0)
	}
	if err != nil {
		return nil, 0, moved, err
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", safeName(t.display+partSuffix))
	}
	if err != nil {
		f.Close()
		return nil, 0, moved, err
	}
	return f, info.Size(), moved, nil
}

// finishPart makes a verified download the local file.
func finishPart(f *os.File, t localTarget, res client.GetResult) error {
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if !res.MTime.IsZero() {
		t.root.Chtimes(t.part(), res.MTime, res.MTime)
	}
	if err := t.checkLocal(t.name, t.display); err != nil {
		return err
	}
	return t.root.Rename(t.part(), t.name)
}

// dropEmptyPart removes LOCAL.ndpart if a download left it empty.
func dropEmptyPart(t localTarget) {
	if info, err := t.root.Lstat(t.part()); err == nil && info.Mode().IsRegular() && info.Size() == 0 {
		t.root.Remove(t.part())
	}
}
