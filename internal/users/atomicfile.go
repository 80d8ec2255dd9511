package users

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// tempPattern names the temporary files a rewrite creates next to the
// workbook; Open removes any that a crash left behind.
func tempPattern(path string) string {
	return filepath.Base(path) + ".tmp-*"
}

// replaceFile atomically replaces the file at path with what write
// produces: it writes a temporary file in the same folder, syncs and closes
// it, renames it over path and syncs the folder so the rename itself is
// durable. A crash at any point leaves the old or the new file, never a mix.
// beforeRename, if not nil, runs just before the rename; tests use it to
// inject failures and delays.
func replaceFile(path string, write func(io.Writer) error, beforeRename func() error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPattern(path)) // mode 0600: the file holds password hashes
	if err != nil {
		return fmt.Errorf("creating temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if beforeRename != nil {
		if err := beforeRename(); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming %s: %w", tmp.Name(), err)
	}
	if err := syncDir(dir); err != nil {
		// The new file is in place but might not survive a power cut.
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

// removeTempFiles deletes temporary files left next to path by a rewrite
// that crashed, and returns their names.
func removeTempFiles(path string) ([]string, error) {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	prefix := strings.TrimSuffix(tempPattern(path), "*")
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
