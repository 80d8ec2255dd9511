package sessions

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"netdisk/internal/atomicfile"
)

// File is the Store of one server: the sessions live in memory and in a
// JSON file (sessions.json in the data folder), so they survive a
// restart. Writes are coalesced by a background flusher: a crash can
// forget the last fraction of a second of logins (those users log in
// again) but never tears the file (write, fsync, rename).
type File struct {
	path   string
	logger *slog.Logger

	mu    sync.Mutex
	byKey map[string]*Session
	// ended holds the generations (see Store). It is not saved: after a
	// restart no login checked before it is still waiting to finish.
	// Bounded by the accounts whose sessions were ever ended.
	ended map[string]uint64
	dirty chan struct{}
	done  chan struct{}
	wg    sync.WaitGroup
}

var _ Store = (*File)(nil)

// fileRecord is one entry of sessions.json.
type fileRecord struct {
	Key     string    `json:"token_sha256"`
	User    string    `json:"user"`
	Account string    `json:"account_id"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Added later, so optional: sessions of an earlier version lack them.
	Door     string     `json:"door,omitempty"`
	Addr     string     `json:"addr,omitempty"`
	LastUsed *time.Time `json:"last_used,omitempty"`
}

// flushDelay lets a burst of logins share one write of the file.
const flushDelay = 200 * time.Millisecond

// OpenFile loads the sessions saved at path, if any. Sessions are a
// convenience: a damaged file, or sessions saved without an account id
// by an earlier version, are logged and dropped (those users log in
// again), never an error.
func OpenFile(path string, logger *slog.Logger) (*File, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f := &File{
		path:   path,
		logger: logger,
		byKey:  make(map[string]*Session),
		ended:  make(map[string]uint64),
		dirty:  make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	removed, err := atomicfile.RemoveTemps(path)
	for _, name := range removed {
		logger.Warn("removed temporary file left by an interrupted save", "file", name)
	}
	if err != nil {
		logger.Warn("cleaning up after an interrupted save of sessions", "err", err)
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("reading sessions: %w", err)
	default:
		f.load(data)
	}
	f.wg.Go(f.flusher)
	return f, nil
}

// load takes the live sessions of a saved file.
func (f *File) load(data []byte) {
	var records []fileRecord
	if err := json.Unmarshal(data, &records); err != nil {
		f.logger.Warn("ignoring damaged sessions file", "path", f.path, "err", err)
	}
	now := time.Now()
	unbound := 0
	for _, r := range records {
		switch {
		case r.Account == "":
			// Saved before sessions were bound to account ids: it
			// cannot be told whose account it was, so it ends.
			unbound++
		case r.Expires.After(now):
			s := &Session{Key: r.Key, User: r.User, Account: r.Account, Created: r.Created, Expires: r.Expires, Door: r.Door, Addr: r.Addr}
			if r.LastUsed != nil {
				s.LastUsed = *r.LastUsed
			}
			f.byKey[r.Key] = s
		}
	}
	if unbound > 0 {
		f.logger.Info("ended sessions saved without an account id by an earlier version; those users log in again", "sessions", unbound)
		f.markDirty()
	}
}

func (f *File) Generation(ctx context.Context, user string) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ended[user], nil
}

func (f *File) Create(ctx context.Context, s Session, gen uint64) (bool, error) {
	f.mu.Lock()
	if f.ended[s.User] != gen {
		f.mu.Unlock()
		return false, nil
	}
	f.byKey[s.Key] = &s
	f.trimUser(s.User)
	f.mu.Unlock()
	f.markDirty()
	return true, nil
}

// trimUser ends the oldest sessions of user beyond MaxPerUser. Called
// with mu held.
func (f *File) trimUser(user string) {
	var mine []*Session
	for _, s := range f.byKey {
		if s.User == user {
			mine = append(mine, s)
		}
	}
	if len(mine) <= MaxPerUser {
		return
	}
	slices.SortFunc(mine, func(a, b *Session) int { return a.Created.Compare(b.Created) })
	for _, s := range mine[:len(mine)-MaxPerUser] {
		delete(f.byKey, s.Key)
	}
}

func (f *File) Use(ctx context.Context, key string) (Session, bool, error) {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.byKey[key]
	if !ok || !now.Before(s.Expires) {
		return Session{}, false, nil
	}
	if now.Sub(s.LastUsed) >= TouchEvery {
		s.LastUsed = now.UTC()
	}
	return *s, true, nil
}

func (f *File) List(ctx context.Context, user string) ([]Session, error) {
	now := time.Now()
	f.mu.Lock()
	var out []Session
	for _, s := range f.byKey {
		if (user == "" || s.User == user) && now.Before(s.Expires) {
			out = append(out, *s)
		}
	}
	f.mu.Unlock()
	sortSessions(out)
	return out, nil
}

// sortSessions orders sessions oldest first, then by user and key, as
// List returns them.
func sortSessions(out []Session) {
	slices.SortFunc(out, func(a, b Session) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.User, b.User), strings.Compare(a.Key, b.Key))
	})
}

func (f *File) End(ctx context.Context, key string) error {
	f.mu.Lock()
	delete(f.byKey, key)
	f.mu.Unlock()
	f.markDirty()
	return nil
}

func (f *File) EndUser(ctx context.Context, user string) (int, error) {
	f.mu.Lock()
	f.ended[user]++
	ended := 0
	for k, s := range f.byKey {
		if s.User == user {
			delete(f.byKey, k)
			ended++
		}
	}
	f.mu.Unlock()
	f.markDirty()
	return ended, nil
}

func (f *File) markDirty() {
	select {
	case f.dirty <- struct{}{}:
	default:
	}
}

func (f *File) flusher() {
	for {
		select {
		case <-f.dirty:
			select {
			case <-time.After(flushDelay):
			case <-f.done:
			}
			if err := f.save(); err != nil {
				f.logger.Error("saving sessions", "err", err)
			}
		case <-f.done:
			return
		}
	}
}

func (f *File) save() error {
	now := time.Now()
	f.mu.Lock()
	records := make([]fileRecord, 0, len(f.byKey))
	for k, s := range f.byKey {
		if now.After(s.Expires) {
			delete(f.byKey, k)
			continue
		}
		r := fileRecord{Key: k, User: s.User, Account: s.Account, Created: s.Created, Expires: s.Expires, Door: s.Door, Addr: s.Addr}
		if !s.LastUsed.IsZero() {
			used := s.LastUsed
			r.LastUsed = &used
		}
		records = append(records, r)
	}
	f.mu.Unlock()
	data, err := json.Marshal(records)
	if err != nil {
		return err
	}
	return atomicfile.Write(f.path, data, 0o600)
}

// Close stops the flusher and writes the file a last time.
func (f *File) Close(ctx context.Context) error {
	close(f.done)
	f.wg.Wait()
	return f.save()
}
