package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"

	"netdisk/internal/users"
)

// The administrator's operations (netdisk admin, through internal/admin).
// They act on any account by name, with no session and no rate limit: the
// caller has shown it may administer the data folder (it reached the
// server's admin socket, or it holds the data folder's lock).

// ErrNoSuchUser is returned by the administrator's operations for a name
// that has no account.
var ErrNoSuchUser = errors.New("no such user")

// AddUser creates an account and its folder as Register does, without the
// registration limit.
func (s *Service) AddUser(ctx context.Context, name, password string) error {
	name, err := users.NormalizeName(name)
	if err != nil {
		return mapErr(err)
	}
	if err := users.CheckPassword(password); err != nil {
		return mapErr(err)
	}
	if err := s.addAccount(ctx, name, password); err != nil {
		return err
	}
	s.logger.Info("user added by the administrator", "user", name)
	return nil
}

// Removed is what RemoveUser did.
type Removed struct {
	MovedTo  string // the folder's new place, relative to the data folder; "" if it had none
	Sessions int    // sessions ended
}

// RemoveUser removes an account: its row leaves users.xlsx, its sessions
// end, and its folder is moved aside to files/.removed/<name>-<time>,
// where its files wait for the administrator (as for a user removed by an
// edit of the workbook, whose folder moves when the name is registered
// again).
func (s *Service) RemoveUser(ctx context.Context, name string) (Removed, error) {
	name, err := adminName(name)
	if err != nil {
		return Removed{}, err
	}
	// No registration of the name meanwhile: it must not be given the
	// folder being moved aside.
	unlock, err := s.registering.lock(ctx, name)
	if err != nil {
		return Removed{}, err
	}
	defer unlock()
	if s.nameLocks != nil {
		unlockShared, err := s.nameLocks.LockName(ctx, name)
		if err != nil {
			return Removed{}, s.sessionFault(ctx, err)
		}
		defer unlockShared()
	}
	if err := s.users.Remove(ctx, name); err != nil {
		return Removed{}, adminErr(name, err)
	}
	var r Removed
	r.Sessions, _ = s.sessions.endUser(ctx, name) // the account is gone: account refuses its sessions anyway
	to, err := s.store.RetireSpace(ctx, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return r, fmt.Errorf("the account is removed, but its folder could not be moved aside (it will be when the name is registered again): %w", mapErr(err))
	default:
		r.MovedTo = path.Join("files", to)
	}
	s.usage.forget(name)
	s.logger.Info("user removed by the administrator", "user", name, "sessions_ended", r.Sessions, "moved_to", r.MovedTo)
	return r, nil
}

// SetQuota sets the bytes name may store (0: no quota).
func (s *Service) SetQuota(ctx context.Context, name string, bytes int64) error {
	if bytes < 0 {
		return fmt.Errorf("%w: a quota must not be negative", ErrBadRequest)
	}
	return s.updateUser(ctx, name, "quota set by the administrator", func(u *users.User) { u.QuotaBytes = bytes }, "quota", bytes)
}

// SetMaxEntries sets the files and folders name may have, overriding the
// server's limit (0: the server's).
func (s *Service) SetMaxEntries(ctx context.Context, name string, n int64) error {
	if n < 0 {
		return fmt.Errorf("%w: a limit must not be negative", ErrBadRequest)
	}
	return s.updateUser(ctx, name, "entries limit set by the administrator", func(u *users.User) { u.MaxEntries = n }, "max_entries", n)
}

// SetDisabled disables or enables name. Disabling ends the user's
// sessions at once (on both front doors: each request checks its session),
// and reports how many.
func (s *Service) SetDisabled(ctx context.Context, name string, disabled bool) (int, error) {
	msg := "user enabled by the administrator"
	if disabled {
		msg = "user disabled by the administrator"
	}
	if err := s.updateUser(ctx, name, msg, func(u *users.User) { u.Disabled = disabled }); err != nil {
		return 0, err
	}
	if !disabled {
		return 0, nil
	}
	return s.endSessions(ctx, name, "user disabled")
}

// ResetPassword sets name's password without the old one and ends the
// user's sessions, reporting how many.
func (s *Service) ResetPassword(ctx context.Context, name, password string) (int, error) {
	name, err := adminName(name)
	if err != nil {
		return 0, err
	}
	if err := s.latestUsers(ctx); err != nil {
		return 0, err
	}
	if _, ok := s.users.Get(name); !ok {
		return 0, fmt.Errorf("%w: %s", ErrNoSuchUser, name)
	}
	if err := users.CheckPassword(password); err != nil {
		return 0, mapErr(err)
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return 0, err
	}
	err = s.updateUser(ctx, name, "password reset by the administrator", func(u *users.User) {
		u.PasswordHash, u.PasswordChanged = hash, time.Now().UTC()
	})
	if err != nil {
		return 0, err
	}
	return s.endSessions(ctx, name, "password reset")
}

// Kick ends every session of name at once and reports how many.
func (s *Service) Kick(ctx context.Context, name string) (int, error) {
	name, err := adminName(name)
	if err != nil {
		return 0, err
	}
	if err := s.latestUsers(ctx); err != nil {
		return 0, err
	}
	if _, ok := s.users.Get(name); !ok {
		return 0, fmt.Errorf("%w: %s", ErrNoSuchUser, name)
	}
	return s.endSessions(ctx, name, "kicked")
}

// updateUser changes name's account through fn, and logs msg with args.
func (s *Service) updateUser(ctx context.Context, name, msg string, fn func(*users.User), args ...any) error {
	name, err := adminName(name)
	if err != nil {
		return err
	}
	err = s.users.Update(ctx, name, func(u *users.User) error { fn(u); return nil })
	if err != nil {
		return adminErr(name, err)
	}
	s.logger.Info(msg, append([]any{"user", name}, args...)...)
	return nil
}

// endSessions ends every session of name, logging why.
func (s *Service) endSessions(ctx context.Context, name, reason string) (int, error) {
	n, err := s.sessions.endUser(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("the sessions of %s could not be ended: %w", name, s.sessionFault(ctx, err))
	}
	s.logger.Info("sessions ended by the administrator", "user", name, "reason", reason, "sessions", n)
	return n, nil
}

// adminName normalizes a name the administrator typed.
func adminName(name string) (string, error) {
	norm, err := users.NormalizeName(name)
	if err != nil {
		return "", fmt.Errorf("%w: %q", ErrNoSuchUser, name)
	}
	return norm, nil
}

// adminErr maps a registry error of an operation on name.
func adminErr(name string, err error) error {
	if errors.Is(err, users.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNoSuchUser, name)
	}
	return mapRegistryErr(err)
}
