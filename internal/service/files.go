package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

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
	if _, err := s.account(sess); err != nil {
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

// List returns one level of a folder, sorted by name.
func (s *Service) List(ctx context.Context, sess *Session, path string) (infos []Info, err error) {
	err = s.withPath(ctx, sess, path, CleanPath, func(sp storage.Space, p string) error {
		list, err := sp.List(ctx, p)
		infos = make([]Info, len(list))
		for i, info := range list {
			infos[i] = infoOf(info)
		}
		return err
	})
	return infos, err
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
	return s.withPath(ctx, sess, path, CleanTarget, func(sp storage.Space, p string) error {
		if err := checkCollisions(ctx, sp, p); err != nil {
			return err
		}
		if parents {
			return sp.MkdirAll(ctx, p)
		}
		return sp.Mkdir(ctx, p)
	})
}

// Remove deletes a file or folder (any folder with recursive).
func (s *Service) Remove(ctx context.Context, sess *Session, path string, recursive bool) error {
	return s.withPath(ctx, sess, path, CleanTarget, func(sp storage.Space, p string) error {
		remove := sp.Remove
		if recursive {
			remove = sp.RemoveAll
		}
		if err := remove(ctx, p); err != nil {
			return err
		}
		s.quotas.changed(sess.User)
		return nil
	})
}

// Rename moves a file or folder; the destination must not exist.
func (s *Service) Rename(ctx context.Context, sess *Session, from, to string) error {
	cleanFrom, err := CleanTarget(from)
	if err != nil {
		return err
	}
	cleanTo, err := CleanTarget(to)
	if err != nil {
		return err
	}
	if cleanTo == cleanFrom || strings.HasPrefix(cleanTo, cleanFrom+"/") {
		return &PathError{Path: to, Reason: "cannot move a folder into itself"}
	}
	return s.withPath(ctx, sess, from, CleanTarget, func(sp storage.Space, _ string) error {
		if err := checkCollisions(ctx, sp, cleanTo); err != nil {
			return err
		}
		return sp.Rename(ctx, cleanFrom, cleanTo)
	})
}

// Usage reports the bytes the user's folder holds and the quota (0: none).
func (s *Service) Usage(ctx context.Context, sess *Session) (used, quota int64, err error) {
	u, err := s.account(sess)
	if err != nil {
		return 0, 0, err
	}
	sp, err := s.store.CreateSpace(ctx, sess.User)
	if err != nil {
		return 0, 0, mapErr(err)
	}
	defer sp.Close()
	used, err = s.quotas.used(ctx, sess.User, sp)
	return used, u.QuotaBytes, mapErr(err)
}

// checkCollisions refuses to create clean's last name when it does not
// exist byte for byte but its folder holds a name with the same NFC form
// (made outside netdisk: everything netdisk creates is NFC already), since
// the two would look identical to the user.
func checkCollisions(ctx context.Context, sp storage.Space, clean string) error {
	if _, err := sp.Stat(ctx, clean); !errors.Is(err, fs.ErrNotExist) {
		return nil // exists (the operation decides), or an error it will meet too
	}
	return checkTwins(ctx, sp, clean)
}

// checkTwins is checkCollisions for a clean path known not to exist.
func checkTwins(ctx context.Context, sp storage.Space, clean string) error {
	dir, name := splitPath(clean)
	if !mayHaveTwin(name) {
		return nil
	}
	names, err := sp.Names(ctx, dir)
	if err != nil {
		return nil // a missing parent is reported by the operation itself
	}
	for _, n := range names {
		if n != name && norm.NFC.String(n) == name {
			return fmt.Errorf("%w: %q", ErrNameCollision, n)
		}
	}
	return nil
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
