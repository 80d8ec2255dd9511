package storage

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Usage adds up the sizes of all regular files, partial uploads included.
// The records of resumable partials are the store's bookkeeping and are not
// counted, so that usage is what the user stored or is storing.
func (s *localSpace) Usage(ctx context.Context) (int64, error) {
	total, err := usage(ctx, s.root, ".")
	if err != nil {
		return 0, fsError("usage", ".", err)
	}
	return total, nil
}

// usage walks d, the folder at path dir of a space, by descriptors, one
// root per level, so a folder swapped for a symlink midway can never lead
// the walk outside.
func usage(ctx context.Context, d *os.Root, dir string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	names, err := readNames(d, false)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, name := range names {
		if dir == uploadsDir && (strings.HasSuffix(name, infoSuffix) || strings.HasSuffix(name, infoSuffix+tmpSuffix)) {
			continue
		}
		fi, err := d.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		switch {
		case fi.Mode().IsRegular():
			total += fi.Size()
		case fi.IsDir():
			n, err := usageOf(ctx, d, dir, name)
			if err != nil {
				return 0, err
			}
			total += n
		}
	}
	return total, nil
}

// usageOf is usage of the folder name in d, which is at path dir.
func usageOf(ctx context.Context, d *os.Root, dir, name string) (int64, error) {
	sub, err := d.OpenRoot(name)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer sub.Close()
	return usage(ctx, sub, path.Join(dir, name))
}
