package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"golang.org/x/text/unicode/norm"

	"netdisk/internal/storage"
)

// space opens the session user's folder after re-checking the session.
func (s *Service) space(sess *Session) (storage.Space, error) {
	if _, err := s.account(sess); err != nil {
		return nil, err
	}
	return s.store.Space(sess.User, true)
}

// withPath cleans path (with CleanPath or CleanTarget), opens the session
// user's folder after re-checking the session, and runs op on both.
func (s *Service) withPath(sess *Session, path string, clean func(string) (string, error), op func(sp storage.Space, p string) error) error {
	p, err := clean(path)
	if err != nil {
		return err
	}
	sp, err := s.space(sess)
	if err != nil {
		return err
	}
	defer sp.Close()
	return op(sp, p)
}

// List returns one level of a folder, sorted by name.
func (s *Service) List(ctx context.Context, sess *Session, path string) (infos []storage.Info, err error) {
	err = s.withPath(sess, path, CleanPath, func(sp storage.Space, p string) error {
		infos, err = sp.List(p)
		return err
	})
	return infos, err
}

// Stat describes one file or folder; Info.Name is the clean path.
func (s *Service) Stat(ctx context.Context, sess *Session, path string) (info storage.Info, err error) {
	err = s.withPath(sess, path, CleanPath, func(sp storage.Space, p string) error {
		info, err = sp.Stat(p)
		info.Name = p
		return err
	})
	return info, err
}

// Mkdir creates a folder; with parents, like mkdir -p.
func (s *Service) Mkdir(ctx context.Context, sess *Session, path string, parents bool) error {
	return s.withPath(sess, path, CleanTarget, func(sp storage.Space, p string) error {
		if err := checkCollisions(sp, p); err != nil {
			return err
		}
		return sp.Mkdir(p, parents)
	})
}

// Remove deletes a file or folder (any folder with recursive).
func (s *Service) Remove(ctx context.Context, sess *Session, path string, recursive bool) error {
	return s.withPath(sess, path, CleanTarget, func(sp storage.Space, p string) error {
		if err := sp.Remove(p, recursive); err != nil {
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
	sp, err := s.space(sess)
	if err != nil {
		return err
	}
	defer sp.Close()
	if err := checkCollisions(sp, cleanTo); err != nil {
		return err
	}
	return sp.Rename(cleanFrom, cleanTo)
}

// Usage reports the bytes the user's folder holds and the quota (0: none).
func (s *Service) Usage(ctx context.Context, sess *Session) (used, quota int64, err error) {
	u, err := s.account(sess)
	if err != nil {
		return 0, 0, err
	}
	sp, err := s.store.Space(sess.User, true)
	if err != nil {
		return 0, 0, err
	}
	defer sp.Close()
	used, err = s.quotas.used(sess.User, sp)
	return used, u.QuotaBytes, err
}

// checkCollisions refuses to create clean's last name when it does not
// exist byte for byte but its folder holds a name with the same NFC form
// (made outside netdisk: everything netdisk creates is NFC already), since
// the two would look identical to the user.
func checkCollisions(sp storage.Space, clean string) error {
	if _, err := sp.Stat(clean); !errors.Is(err, fs.ErrNotExist) {
		return nil // exists (the operation decides), or an error it will meet too
	}
	return checkTwins(sp, clean)
}

// checkTwins is checkCollisions for a clean path known not to exist.
func checkTwins(sp storage.Space, clean string) error {
	dir, name := splitPath(clean)
	if !mayHaveTwin(name) {
		return nil
	}
	names, err := sp.Names(dir)
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
