package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"netdisk/internal/storage"
)

// The administrator's listings (see admin.go).

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
	all, err := s.sessions.list(ctx, "")
	if err != nil {
		return nil, s.sessionFault(ctx, err)
	}
	for _, si := range all {
		p := sessions[si.User]
		p.n++
		if si.Created.After(p.last) {
			p.last = si.Created
		}
		sessions[si.User] = p
	}
	if err := s.latestUsers(ctx); err != nil {
		return nil, err
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

// Sessions lists the live sessions of user, or everyone's for "", oldest
// first.
func (s *Service) Sessions(ctx context.Context, user string) ([]SessionInfo, error) {
	name := ""
	if user != "" {
		var err error
		if name, err = adminName(user); err != nil {
			return nil, err
		}
	}
	list, err := s.sessions.list(ctx, name)
	if err != nil {
		return nil, s.sessionFault(ctx, err)
	}
	return list, nil
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
	if err := s.latestUsers(ctx); err != nil {
		return nil, err
	}
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
	if err := s.latestUsers(ctx); err != nil {
		return nil, err
	}
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
