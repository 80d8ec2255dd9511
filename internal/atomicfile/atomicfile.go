package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Write replaces path with data, created with mode perm (the mode also
// applies when the file existed with another mode).
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteFunc(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFunc is Write for content produced by write (streamed, e.g. an .xlsx
// encoder). An error from write aborts the replacement and is returned
// wrapped; path is then untouched.
//
// Concurrent calls for one path are safe: each writes its own temporary
// file, and path ends with the whole content of one of them.
func WriteFunc(path string, perm os.FileMode, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPrefix(path)+"*")
	if err != nil {
		return fmt.Errorf("creating a temporary file in %s: %w", dir, err)
	}
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close() // may already be closed; the first error is the one reported
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600; Chmod sets perm exactly, whatever the
	// umask, and whatever mode the file being replaced had.
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("setting the mode of %s: %w", tmp.Name(), err)
	}
	if err := write(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming %s over %s: %w", tmp.Name(), path, err)
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		// The new content is in place but the rename might not survive a
		// power cut; the caller must not promise durability.
		return fmt.Errorf("syncing folder %s: %w", dir, err)
	}
	return nil
}

// syncDir fsyncs a folder, making renames in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// RemoveTemps removes temporary files a crashed Write left next to path,
// returning their names. It must not run while a Write to path may be in
// progress (it would remove that Write's temporary file), so owners call it
// when they start.
func RemoveTemps(path string) ([]string, error) {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	prefix := tempPrefix(path)
	var removed []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), prefix) {
			name := filepath.Join(dir, e.Name())
			if err := os.Remove(name); err != nil {
				return removed, fmt.Errorf("removing leftover %s: %w", name, err)
			}
			removed = append(removed, name)
		}
	}
	return removed, nil
}

// tempPrefix starts the names of path's temporary files: "users.xlsx.tmp-"
// then random digits. Visible rather than hidden (no leading dot), so an
// administrator listing the folder sees what a crash left.
func tempPrefix(path string) string {
	return filepath.Base(path) + ".tmp-"
}
