package storage

import (
	"context"
	"errors"
	"strings"
)

// Usage counts the user's entries and adds up the sizes of all regular
// files, partial uploads included. The records of resumable partials are
// the store's bookkeeping and are not counted, so that usage is what the
// user stored or is storing. The walk holds a bounded number of
// descriptors however deep the folder (see walker).
func (s *localSpace) Usage(ctx context.Context) (Usage, error) {
	if err := ctx.Err(); err != nil {
		return Usage{}, err
	}
	top, err := s.root.Open(".")
	if err != nil {
		return Usage{}, fsError("usage", ".", err)
	}
	defer top.Close()
	var u Usage
	err = walkFrom(ctx, top, &walker{visit: func(e walkEntry) error {
		if e.top == reservedDir {
			if e.isRegular() && !isRecordName(e.name) {
				u.Bytes += e.st.Size // an unfinished upload
			}
			return nil
		}
		u.Entries++
		if e.isRegular() {
			u.Bytes += e.st.Size
		}
		return nil
	}})
	if err != nil {
		return Usage{}, fsError("usage", ".", err)
	}
	return u, nil
}

// isRecordName reports whether name is the record of a resumable partial
// (or one being replaced).
func isRecordName(name string) bool {
	return strings.HasSuffix(name, infoSuffix) || strings.HasSuffix(name, infoSuffix+tmpSuffix)
}

// Extent returns how deep the tree under folder dir goes (1 for a folder
// holding only files) and the longest path in it, in bytes relative to
// dir, so that a move can be refused before it makes a path too deep or
// too long. It stops counting once both pass stopAt (depth, length): the
// caller only needs to know they are too large.
func (s *localSpace) Extent(ctx context.Context, dir string, stopDepth, stopLength int) (depth, length int, err error) {
	if err := checkPath(ctx, "measure", dir); err != nil {
		return 0, 0, err
	}
	d, err := s.openDir(dir)
	if err != nil {
		return 0, 0, fsError("measure", dir, err)
	}
	defer s.closeDir(d)
	top, err := d.Open(".")
	if err != nil {
		return 0, 0, fsError("measure", dir, err)
	}
	defer top.Close()
	err = walkFrom(ctx, top, &walker{visit: func(e walkEntry) error {
		if dir == "." && e.top == reservedDir {
			return errSkipDir
		}
		depth = max(depth, e.depth)
		length = max(length, e.length)
		if depth > stopDepth && length > stopLength {
			return errExtentEnough
		}
		return nil
	}})
	if err == errExtentEnough {
		err = nil
	}
	if err != nil {
		return 0, 0, fsError("measure", dir, err)
	}
	return depth, length, nil
}

// errExtentEnough stops an Extent walk that has seen enough.
var errExtentEnough = errors.New("enough seen")
