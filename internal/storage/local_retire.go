package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"
)

// retiredDir is the folder, beside the users' folders, where the folders
// of removed users are moved. Its name cannot be a user name (those start
// with a letter), so no one is ever given it.
const retiredDir = ".removed"

// RetireSpace moves the folder of user aside, to .removed/<user>-<time>,
// and returns that path relative to the store's folder. It is how a user
// removed from the registry keeps no claim on a name registered again:
// the new account starts with an empty folder, and the old files stay for
// an administrator to decide on. fs.ErrNotExist if user has no folder.
func (l *Local) RetireSpace(ctx context.Context, user string) (string, error) {
	if err := checkUser(user); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if _, err := l.root.Lstat(user); err != nil {
		return "", fsError("retire space", user, err)
	}
	if err := l.root.Mkdir(retiredDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fsError("retire space", user, err)
	}
	stamp := time.Now().UTC().Format("20060102T150405.000000000Z")
	to := path.Join(retiredDir, user+"-"+stamp)
	if err := l.root.Rename(user, to); err != nil {
		return "", fsError("retire space", user, fmt.Errorf("moving it to %s: %w", to, err))
	}
	return to, nil
}
