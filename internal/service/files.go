package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"netdisk/internal/storage"
)

// Info describes a file or folder.
type Info struct {
	Name    string // base name (List) or the clean path asked for (Stat)
	IsDir   bool
	Regular bool  // a regular file (false for folders, and for symlinks or devices made on the server)
	Size    int64 // bytes of a regular file; 0 for anything else
	ModTime time.Time
}

func infoOf(i storage.Info) Info {
	return Info{Name: i.Name, IsDir: i.IsDir, Regular: i.Regular, Size: i.Size, ModTime: i.ModTime}
}

// space opens the session user's folder after re-checking the session.
func (s *Service) space(ctx context.Context, sess *Session) (storage.Space, error) {
	if _, err := s.account(ctx, sess); err != nil {
		return nil, err
	}
	sp, err := s.store.CreateSpace(ctx, sess.User)
	return sp, mapErr(err)
}

// withPath cleans path (with CleanPath or CleanTarget), opens the session
// user's folder after re-checking the session, and runs op on both. Errors
// come back as the service's.
func (s *Service) withPath(ctx context.Context, sess *Session, path string, clean func(string) (string, error), op func(sp storage.Space, p string) error) error {
	p, err := clean(path)
	if err != nil {
		return err
	}
	sp, err := s.space(ctx, sess)
	if err != nil {
		return err
	}
	defer sp.Close()
	return mapErr(op(sp, p))
}

// List calls fn with the entries of one level of a folder, a page at a
// time, as the folder yields them (not sorted): the memory a listing takes
// does not grow with the folder. An error from fn stops the listing and
// is returned as it is.
func (s *Service) List(ctx context.Context, sess *Session, path string, fn func(page []Info) error) error {
	var fnErr error
	err := s.withPath(ctx, sess, path, CleanPath, func(sp storage.Space, p string) error {
		page := make([]Info, 0, storage.ListPage)
		return sp.List(ctx, p, func(list []storage.Info) error {
			page = page[:0]
			for _, info := range list {
				page = append(page, infoOf(info))
			}
			fnErr = fn(page)
			return fnErr
		})
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

// Stat describes one file or folder; Info.Name is the clean path.
func (s *Service) Stat(ctx context.Context, sess *Session, path string) (info Info, err error) {
	err = s.withPath(ctx, sess, path, CleanPath, func(sp storage.Space, p string) error {
		si, err := sp.Stat(ctx, p)
		info = infoOf(si)
		info.Name = p
		return err
	})
	return info, err
}

// Mkdir creates a folder; with parents, like mkdir -p.
func (s *Service) Mkdir(ctx context.Context, sess *Session, path string, parents bool) error {
	acct, err := s.account(ctx, sess)
	if err != nil {
		return err
	}
	return s.withPath(ctx, sess, path, CleanTarget, func(sp storage.Space, p string) error {
		if err := checkDepth(p, path); err != nil {
			return err
		}
		if err := s.checkCollisions(ctx, sess.User, sp, p); err != nil {
			return err
		}
		// Each folder is an entry: with parents, up to one per name.
		made := int64(1)
		if parents {
			made = int64(depthOf(p))
		}
		need := storage.Usage{Entries: made}
		if err := s.checkInodes(ctx, made); err != nil {
			return err
		}
		release, err := s.reserveRoom(ctx, sess.User, sp, nil, s.limits(acct), need)
		if err != nil {
			return err
		}
		defer release()
		dir, _ := splitPath(p)
		return s.usage.changing([]string{sess.User}, func() error {
			err := s.twins.changing(ctx, sess.User, sp, []string{dir}, func() error {
				if parents {
					return sp.MkdirAll(ctx, p)
				}
				return sp.Mkdir(ctx, p)
			})
			if err == nil {
				s.usage.added(sess.User, need)
			}
			return err
		})
	})
}

// Remove deletes a file or folder (any folder with recursive).
func (s *Service) Remove(ctx context.Context, sess *Session, path string, recursive bool) error {
	return s.withPath(ctx, sess, path, CleanTarget, func(sp storage.Space, p string) error {
		remove := sp.Remove
		if recursive {
			remove = sp.RemoveAll
		}
		return s.usage.changing([]string{sess.User}, func() error {
			err := remove(ctx, p)
			s.usage.lowered(sess.User) // even a failed removal may have removed some
			if err != nil {
				return err
			}
			dir, _ := splitPath(p)
			s.twins.forget(sess.User, dir) // the name removed may have been a twin
			return nil
		})
	})
}

// Rename moves a file or folder; the destination must not exist. No path
// under the destination may end deeper than MaxDepth or longer than
// MaxPathBytes.
func (s *Service) Rename(ctx context.Context, sess *Session, from, to string) error {
	cleanFrom, err := CleanTarget(from)
	if err != nil {
		return err
	}
	cleanTo, err := CleanTarget(to)
	if err != nil {
		return err
	}
	if cleanTo == cleanFrom {
		return fmt.Errorf("%w: %s is already called that", ErrExists, cleanTo)
	}
	if strings.HasPrefix(cleanTo, cleanFrom+"/") {
		return &PathError{Path: to, Reason: "cannot move a folder into itself"}
	}
	if err := checkDepth(cleanTo, to); err != nil {
		return err
	}
	return s.withPath(ctx, sess, from, CleanTarget, func(sp storage.Space, _ string) error {
		if err := s.checkCollisions(ctx, sess.User, sp, cleanTo); err != nil {
			return err
		}
		if err := checkMoveExtent(ctx, sp, cleanFrom, cleanTo, to); err != nil {
			return err
		}
		fromDir, _ := splitPath(cleanFrom)
		toDir, _ := splitPath(cleanTo)
		err := s.usage.changing([]string{sess.User}, func() error {
			return s.twins.changing(ctx, sess.User, sp, []string{toDir}, func() error {
				return sp.Rename(ctx, cleanFrom, cleanTo)
			})
		})
		s.twins.forget(sess.User, fromDir) // the name moved away may have been a twin
		return err
	})
}

// Usage reports what the user's folder holds and the limits.
func (s *Service) Usage(ctx context.Context, sess *Session) (Used, error) {
	acct, err := s.account(ctx, sess)
	if err != nil {
		return Used{}, err
	}
	sp, err := s.store.CreateSpace(ctx, sess.User)
	if err != nil {
		return Used{}, mapErr(err)
	}
	defer sp.Close()
	got, err := s.usage.exactUsage(ctx, sess.User, sp)
	if err != nil {
		return Used{}, mapErr(err)
	}
	u := s.limits(acct)
	u.Bytes, u.Entries = got.Bytes, got.Entries
	return u, nil
}

// checkCollisions refuses to create clean's last name when it does not
// exist byte for byte but its folder holds a name with the same NFC form
// (see twinIndex).
func (s *Service) checkCollisions(ctx context.Context, user string, sp storage.Space, clean string) error {
	if _, err := sp.Stat(ctx, clean); !errors.Is(err, fs.ErrNotExist) {
		return nil // exists (the operation decides), or an error it will meet too
	}
	dir, name := splitPath(clean)
	return s.twins.check(ctx, user, sp, dir, name)
}

// mayHaveTwin reports whether another string could have name as its NFC
// form. Only names with non-ASCII characters can, and ASCII names holding
// one of the three characters that are NFC images of other code points
// (U+037E becomes ';', U+1FEF '`', U+212A KELVIN SIGN 'K'). Everything
// else skips reading the folder, which would make filling a folder with
// n files cost n² entries read.
func mayHaveTwin(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 0x80 || c == ';' || c == '`' || c == 'K' {
			return true
		}
	}
	return false
}
