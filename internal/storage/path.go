package storage

import (
	"context"
	"fmt"
	"strings"
)

// reservedDir is the folder at the top of each user's folder where the store
// keeps its own data. Callers can neither see nor name it.
const reservedDir = ".netdisk"

// checkPath refuses, with ErrInvalidPath, anything but a clean
// '/'-separated relative path: the service layer cleans paths already, so
// anything else means a bug or an attack and must not reach the disk. It
// also refuses to start once ctx has ended.
func checkPath(ctx context.Context, op, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if name == "." {
		return nil
	}
	if name == "" {
		return fsError(op, name, ErrInvalidPath)
	}
	if strings.ContainsAny(name, "\\\x00") {
		return fsError(op, name, ErrInvalidPath)
	}
	first := true
	for part := range strings.SplitSeq(name, "/") {
		switch {
		case part == "", part == ".", part == "..":
			return fsError(op, name, ErrInvalidPath)
		case first && part == reservedDir:
			return fsError(op, name, fmt.Errorf("%w: %s is reserved", ErrInvalidPath, reservedDir))
		}
		first = false
	}
	return nil
}

// checkEntry is checkPath for operations that change or replace an entry,
// which the top folder itself can never be.
func checkEntry(ctx context.Context, op, name string) error {
	if name == "." {
		return fsError(op, name, fmt.Errorf("%w: the top folder", ErrInvalidPath))
	}
	return checkPath(ctx, op, name)
}

// checkUser refuses user names that could name anything but one folder
// directly under the store's folder.
func checkUser(user string) error {
	if user == "" || user == "." || user == ".." || strings.ContainsAny(user, "/\\\x00") {
		return fsError("open space", user, fmt.Errorf("%w: bad user name", ErrInvalidPath))
	}
	return nil
}
