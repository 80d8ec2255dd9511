package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"
)

// ExpireUploads removes partials, resumable and temporary, of every user
// that were last written before before. Partials held open are skipped.
func (l *Local) ExpireUploads(ctx context.Context, before time.Time) (int, error) {
	users, err := readNames(l.root, false)
	if err != nil {
		return 0, fmt.Errorf("expiring uploads: %w", cause(err))
	}
	var total int
	var errs []error
	for _, user := range users {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		fi, err := l.root.Lstat(user)
		if err != nil || !fi.IsDir() {
			continue
		}
		for _, dir := range []string{uploadsDir, tmpDir} {
			n, err := l.expireIn(user, dir, before)
			total += n
			if err != nil {
				errs = append(errs, fsError("expire uploads", user, err))
			}
		}
	}
	return total, errors.Join(errs...)
}

// expireIn removes the old partials in dir of user's folder and the records
// of resumable ones, counting the partials.
func (l *Local) expireIn(user, dir string, before time.Time) (int, error) {
	d, err := l.root.OpenRoot(path.Join(user, dir))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer d.Close()
	names, err := readNames(d, false)
	if err != nil {
		return 0, err
	}
	ids := make(map[string]bool) // id → whether its partial exists
	for _, name := range names {
		if _, ok := strings.CutSuffix(name, infoSuffix+tmpSuffix); ok {
			// A record being replaced when the server stopped.
			if fi, err := d.Lstat(name); err == nil && fi.ModTime().Before(before) {
				d.Remove(name)
			}
			continue
		}
		if id, ok := strings.CutSuffix(name, partSuffix); ok {
			ids[id] = true
		} else if id, ok := strings.CutSuffix(name, infoSuffix); ok && !ids[id] {
			ids[id] = false
		}
	}
	var count int
	for id, hasPartial := range ids {
		key := holdKey(user, dir+"/"+id)
		if !l.hold(key) {
			continue // being written; not stale
		}
		removed, err := expireOne(d, id, hasPartial, before)
		l.release(key)
		if removed {
			count++
		}
		if err != nil {
			return count, err
		}
	}
	return count, nil
}

// expireOne removes partial id from d if it is older than before, and its
// record with it. A record left without its partial goes too once old.
func expireOne(d *os.Root, id string, hasPartial bool, before time.Time) (removed bool, err error) {
	name := id + infoSuffix
	if hasPartial {
		name = id + partSuffix
	}
	fi, err := d.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil || !fi.ModTime().Before(before) {
		return false, err
	}
	if hasPartial {
		if err := d.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
	}
	if err := d.Remove(id + infoSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return hasPartial, err
	}
	return hasPartial, nil
}
