package users

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// stagePath is where a rewrite writes the new workbook (with atomicfile:
// temporary file, fsync, rename) before install swaps it in.
func stagePath(path string) string { return path + ".next" }

// install puts the workbook written at stage in place at the registry's
// path, and returns the bytes of what it replaced if that was not the
// version the registry last wrote or read: an edit saved while the new
// workbook was being written. installed reports whether the new workbook
// is in place, even when err says it may not be durable.
//
// A plain rename would destroy such an edit unseen, whatever was checked
// before it. renameat2(RENAME_EXCHANGE) swaps the two names atomically
// instead, so whatever was in place at that instant is left at stage to
// be inspected. Where the file system cannot exchange, install looks at
// the file just before a plain rename: only an edit saved in the
// microseconds between the two is then lost.
func (p *filePlace) install(stage string) (replaced []byte, installed bool, err error) {
	if p.hooks.noExchange {
		return p.installByRename(stage)
	}
	flags := uint(unix.RENAME_EXCHANGE)
	if !p.disk.exists {
		flags = unix.RENAME_NOREPLACE
	}
	for range 4 { // the file may appear or vanish between tries
		err = unix.Renameat2(unix.AT_FDCWD, stage, unix.AT_FDCWD, p.path, flags)
		switch {
		case flags == unix.RENAME_NOREPLACE && errors.Is(err, unix.EEXIST):
			flags = unix.RENAME_EXCHANGE
			continue
		case flags == unix.RENAME_EXCHANGE && errors.Is(err, unix.ENOENT):
			flags = unix.RENAME_NOREPLACE
			continue
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
			return p.installByRename(stage)
		}
		break
	}
	if err != nil {
		os.Remove(stage)
		return nil, false, &os.LinkError{Op: "rename", Old: stage, New: p.path, Err: err}
	}
	if flags == unix.RENAME_EXCHANGE {
		replaced = p.inspect(stage)
	}
	return replaced, true, syncDir(filepath.Dir(p.path))
}

// inspect returns the bytes of the workbook a swap left at stage if it is
// not the version the registry last wrote or read, and removes it.
func (p *filePlace) inspect(stage string) []byte {
	res, data, _, err := p.lookAt(stage)
	if err != nil {
		// What the new workbook replaced cannot be read: keep it for
		// the administrator rather than lose it.
		aside := p.path + ".replaced-" + time.Now().UTC().Format("20060102T150405.000Z")
		p.logger.Error("cannot tell whether the workbook a rewrite replaced held an edit; kept it aside", "file", aside, "err", err)
		os.Rename(stage, aside)
		return nil
	}
	os.Remove(stage)
	if res != edited {
		return nil
	}
	return data
}

// installByRename is install for file systems that cannot exchange.
func (p *filePlace) installByRename(stage string) ([]byte, bool, error) {
	res, data, _, err := p.lookAt(p.path)
	if err == nil {
		err = os.Rename(stage, p.path)
	}
	if err != nil {
		os.Remove(stage)
		return nil, false, err
	}
	if res != edited {
		data = nil
	}
	return data, true, syncDir(filepath.Dir(p.path))
}

// syncDir fsyncs a folder, making renames in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing folder %s: %w", dir, err)
	}
	return nil
}
