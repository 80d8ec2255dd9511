package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"

	"netdisk/internal/storage"
	"netdisk/internal/users"
)

// The administrator's operations (netdisk admin, through internal/admin).
// They act on any account by name, with no session and no rate limit: the
// caller has shown it may administer the data folder (it reached the
// server's admin socket, or it holds the data folder's lock).

// ErrNoSuchUser is returned by the administrator's operations for a name
// that has no account.
var ErrNoSuchUser = errors.New("no such user")

// AccountInfo is one account as the administrator's listing shows it.
type AccountInfo struct {
	Name       string
	Registered time.Time
	LastLogin  time.Time // the newest live session's start; zero if none
	Bytes      int64     // of files, unfinished uploads included
	Entries    int64     // files and folders
	Quota      int64     // bytes; 0: none
	MaxEntries int64     // the user's own limit; 0: the server's
	EntryLimit int64     // the limit that applies; 0: none
	Disabled   bool
	Sessions   int
}

// Accounts lists every account with its usage (walking the folders whose
// figure is not known exactly) and its sessions, by name.
func (s *Service) Accounts(ctx context.Context) ([]AccountInfo, error) {
	type perUser struct {
		n    int
		last time.Time
	}
	sessions := make(map[string]perUser)
	for _, si := range s.sessions.list("") {
		p := sessions[si.User]
		p.n++
		if si.Created.After(p.last) {
			p.last = si.Created
		}
		sessions[si.User] = p
	}
	list := s.users.List()
	out := make([]AccountInfo, 0, len(list))
	for _, u := range list {
		got, err := s.usageOf(ctx, u.Name, false)
		if err != nil {
			return nil, fmt.Errorf("counting the folder of %s: %w", u.Name, err)
		}
		p := sessions[u.Name]
		out = append(out, AccountInfo{
			Name: u.Name, Registered: u.Registered, LastLogin: p.last,
			Bytes: got.Bytes, Entries: got.Entries,
			Quota: u.QuotaBytes, MaxEntries: u.MaxEntries, EntryLimit: s.entryLimit(u),
			Disabled: u.Disabled, Sessions: p.n,
		})
	}
	return out, nil
}

// usageOf returns what user's folder holds: the figure kept if exact (or
// walking it), or with recount always walking it. A user without a folder
// yet holds nothing.
func (s *Service) usageOf(ctx context.Context, user string, recount bool) (storage.Usage, error) {
	sp, err := s.store.Space(ctx, user)
	if errors.Is(err, fs.ErrNotExist) {
		return storage.Usage{}, nil
	}
	if err != nil {
		return storage.Usage{}, mapErr(err)
	}
	defer sp.Close()
	if recount {
		s.usage.forget(user)
		return s.usage.walk(ctx, user, sp)
	}
	return s.usage.exactUsage(ctx, user, sp)
}

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
	if err := s.users.Remove(ctx, name); err != nil {
		return Removed{}, adminErr(name, err)
	}
	var r Removed
	r.Sessions = s.sessions.endUser(name, nil)
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
	return s.endSessions(name, "user disabled"), nil
}

// ResetPassword sets name's password without the old one and ends the
// user's sessions, reporting how many.
func (s *Service) ResetPassword(ctx context.Context, name, password string) (int, error) {
	name, err := adminName(name)
	if err != nil {
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
	return s.endSessions(name, "password reset"), nil
}

// Sessions lists the live sessions of user, or everyone's for "", oldest
// first.
func (s *Service) Sessions(user string) ([]SessionInfo, error) {
	if user == "" {
		return s.sessions.list(""), nil
	}
	name, err := adminName(user)
	if err != nil {
		return nil, err
	}
	return s.sessions.list(name), nil
}

// Kick ends every session of name at once and reports how many.
func (s *Service) Kick(name string) (int, error) {
	name, err := adminName(name)
	if err != nil {
		return 0, err
	}
	if _, ok := s.users.Get(name); !ok {
		return 0, fmt.Errorf("%w: %s", ErrNoSuchUser, name)
	}
	return s.endSessions(name, "kicked"), nil
}

// HeldUpload is an unfinished upload as the administrator sees it.
type HeldUpload struct {
	User    string
	Target  string
	Held    int64     // bytes held
	Updated time.Time // last write
	Holder  string    // the connection holding it open ("netdisk 10.0.0.5:4242", "web 10.0.0.5"), or "none"
}

// AllUploads lists the unfinished (resumable) uploads of every user.
func (s *Service) AllUploads(ctx context.Context) ([]HeldUpload, error) {
	var out []HeldUpload
	for _, u := range s.users.List() {
		sp, err := s.store.Space(ctx, u.Name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, mapErr(err)
		}
		list, err := sp.Uploads(ctx)
		sp.Close()
		if err != nil {
			return nil, fmt.Errorf("listing the uploads of %s: %w", u.Name, mapErr(err))
		}
		for _, up := range list {
			holder := "none"
			if x := s.holders.get(holderKey(u.Name, up.Target)); x != nil {
				if holder = x.upload.origin.String(); holder == "" {
					holder = "this server"
				}
			}
			out = append(out, HeldUpload{User: u.Name, Target: up.Target, Held: up.Size, Updated: up.Updated, Holder: holder})
		}
	}
	return out, nil
}

// Recounted is one user's usage as Recount found it.
type Recounted struct {
	User    string
	Bytes   int64
	Entries int64
}

// Recount walks every user's folder and resets the usage kept for it to
// what the walk found.
func (s *Service) Recount(ctx context.Context) ([]Recounted, error) {
	var out []Recounted
	for _, u := range s.users.List() {
		got, err := s.usageOf(ctx, u.Name, true)
		if err != nil {
			return out, fmt.Errorf("counting the folder of %s: %w", u.Name, err)
		}
		out = append(out, Recounted{User: u.Name, Bytes: got.Bytes, Entries: got.Entries})
	}
	s.logger.Info("usage recounted by the administrator", "users", len(out))
	return out, nil
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
func (s *Service) endSessions(name, reason string) int {
	n := s.sessions.endUser(name, nil)
	s.logger.Info("sessions ended by the administrator", "user", name, "reason", reason, "sessions", n)
	return n
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
