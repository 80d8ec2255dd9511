package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"netdisk/internal/storage"
	"netdisk/internal/users"
)

// Usage limits.
const (
	// EntryCharge is what every file and folder costs against a byte
	// quota, as du counts a block for each: without it, empty folders and
	// files would cost nothing, and a user could fill the file system's
	// inodes.
	EntryCharge = 4 << 10
	// DefaultMaxEntries bounds the files and folders of one user.
	DefaultMaxEntries = 1_000_000
	// inodeReserve is how many free inodes new entries must leave on the
	// file system, so that users cannot starve each other (and the
	// server's own files) of inodes.
	inodeReserve = 10_000
)

// Used is what a user's folder holds, and what the limits allow.
type Used struct {
	Bytes      int64 // of files, unfinished uploads included
	Entries    int64 // files and folders
	Quota      int64 // bytes allowed, counting EntryCharge per entry; 0: none
	MaxEntries int64
}

// usageBook knows each user's usage without walking the folder for every
// upload. A walk gives the exact figure; from then on the changes the
// service makes keep an upper bound of it (commits and folders made add to
// it; removals could only lower it), which is all a quota check needs
// until the bound nears the quota: only then is the folder walked again.
// A walk holds the user's tree lock alone, and every change the service
// makes holds it shared, so a walk counts a tree that does not change
// under it (a folder moved during a walk would otherwise be counted twice,
// or not at all).
type usageBook struct {
	mu    sync.Mutex
	users map[string]*userUsage
}

type userUsage struct {
	tree sync.RWMutex // held alone by a walk, shared by changes

	// Guarded by usageBook.mu:
	known    bool          // walked since the last change that lowered usage in an unknown way
	exact    bool          // base is the folder as it is now
	base     storage.Usage // from the last walk
	grown    storage.Usage // bound on what was added since
	reserved storage.Usage // promised to uploads in progress
}

func (b *usageBook) user(name string) *userUsage {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.users == nil {
		b.users = make(map[string]*userUsage)
	}
	u, ok := b.users[name]
	if !ok {
		u = &userUsage{}
		b.users[name] = u
	}
	return u
}

// changing runs op, a change of user's tree, with the tree lock shared,
// then records what op added (an upper bound: nothing for a move, the
// size of a file committed, the folders made), or, with lowered, that the
// exact figure is no longer known.
func (b *usageBook) changing(users []string, op func() error) error {
	slices.Sort(users)
	users = slices.Compact(users)
	uus := make([]*userUsage, len(users))
	for i, name := range users {
		uus[i] = b.user(name)
		uus[i].tree.RLock() // in name order: no two lockers wait on each other
	}
	defer func() {
		for _, u := range uus {
			u.tree.RUnlock()
		}
	}()
	return op()
}

// added records that the service added to user's folder (an upper bound).
func (b *usageBook) added(user string, d storage.Usage) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if u, ok := b.users[user]; ok {
		u.grown.Bytes += d.Bytes
		u.grown.Entries += d.Entries
		u.exact = false
	}
}

// lowered records that user's usage went down by an unknown amount (a
// removal): the bound holds, the exact figure is gone.
func (b *usageBook) lowered(user string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if u, ok := b.users[user]; ok {
		u.exact = false
	}
}

// forget drops user's figures: the folder was moved away or recounted.
// The next check walks it.
func (b *usageBook) forget(user string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if u, ok := b.users[user]; ok {
		u.known, u.exact = false, false
		u.base, u.grown = storage.Usage{}, storage.Usage{}
	}
}

// forgetAll drops every figure (the janitor removed partials of anyone).
func (b *usageBook) forgetAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range b.users {
		u.exact = false
	}
}

// walk counts user's folder with no change running, and keeps the figure.
func (b *usageBook) walk(ctx context.Context, user string, sp storage.Space) (storage.Usage, error) {
	u := b.user(user)
	u.tree.Lock()
	defer u.tree.Unlock()
	got, err := sp.Usage(ctx)
	if err != nil {
		return storage.Usage{}, err
	}
	b.mu.Lock()
	u.known, u.exact, u.base, u.grown = true, true, got, storage.Usage{}
	b.mu.Unlock()
	return got, nil
}

// exact returns user's usage as it is now, walking the folder unless the
// figure kept is exact. A space that servers share is always counted: a
// figure kept here would miss what the others changed.
func (b *usageBook) exactUsage(ctx context.Context, user string, sp storage.Space) (storage.Usage, error) {
	if _, shared := sp.(storage.Reserving); shared {
		return sp.Usage(ctx)
	}
	u := b.user(user)
	b.mu.Lock()
	if u.exact {
		got := u.base
		b.mu.Unlock()
		return got, nil
	}
	b.mu.Unlock()
	return b.walk(ctx, user, sp)
}

// reserve promises need to an upload of user if it fits the limits with
// what the folder holds and what other uploads were promised. It returns
// a func that gives the promise back. Only a bound near the limits makes
// it walk the folder.
func (b *usageBook) reserve(ctx context.Context, user string, sp storage.Space, lim Used, need storage.Usage) (release func(), err error) {
	u := b.user(user)
	for attempt := 0; ; attempt++ {
		b.mu.Lock()
		known, exact := u.known, u.exact
		total := add(add(u.base, u.grown), u.reserved)
		if known {
			if why := lim.refuse(total, need, u.reserved); why == nil {
				u.reserved = add(u.reserved, need)
				b.mu.Unlock()
				return b.releaser(u, need), nil
			} else if exact || attempt > 0 {
				b.mu.Unlock()
				return nil, why
			}
		}
		b.mu.Unlock()
		if _, err := b.walk(ctx, user, sp); err != nil {
			return nil, err
		}
	}
}

// reserveRoom promises need to an upload (up) or a new folder (up nil)
// of user if it fits the limits. Where servers share the store, the space keeps the
// promises (storage.Reserving), so that uploads through several servers
// at once cannot together exceed a quota; else the book does.
func (s *Service) reserveRoom(ctx context.Context, user string, sp storage.Space, up storage.Upload, lim Used, need storage.Usage) (release func(), err error) {
	shared, ok := sp.(storage.Reserving)
	if !ok {
		return s.usage.reserve(ctx, user, sp, lim, need)
	}
	return shared.Reserve(ctx, need, up, func(total, reserved storage.Usage) error {
		return lim.refuse(total, need, reserved)
	})
}

func (b *usageBook) releaser(u *userUsage, need storage.Usage) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			u.reserved.Bytes -= need.Bytes
			u.reserved.Entries -= need.Entries
			b.mu.Unlock()
		})
	}
}

// refuse says why need does not fit on top of total, if it does not.
func (lim Used) refuse(total, need, reserved storage.Usage) error {
	if lim.MaxEntries > 0 && need.Entries > 0 && total.Entries+need.Entries > lim.MaxEntries {
		return fmt.Errorf("%w: %d files and folders of %d allowed (unfinished uploads included); remove some, or ask for a higher limit",
			ErrQuotaExceeded, total.Entries, lim.MaxEntries)
	}
	if lim.Quota > 0 && need.Bytes+need.Entries > 0 {
		charged := func(u storage.Usage) int64 { return u.Bytes + EntryCharge*u.Entries }
		if charged(total)+charged(need) > lim.Quota {
			return &QuotaError{Used: charged(total), Quota: lim.Quota, Need: charged(need)}
		}
	}
	return nil
}

func add(a, b storage.Usage) storage.Usage {
	return storage.Usage{Bytes: a.Bytes + b.Bytes, Entries: a.Entries + b.Entries}
}

// limits are the limits of the account acct: its quota, and its own
// entries limit or else the server's.
func (s *Service) limits(acct users.User) Used {
	return Used{Quota: acct.QuotaBytes, MaxEntries: s.entryLimit(acct)}
}

// entryLimit is the files and folders acct may have (0: no limit).
func (s *Service) entryLimit(acct users.User) int64 {
	if acct.MaxEntries > 0 {
		return acct.MaxEntries
	}
	return s.maxEntries
}

// checkInodes refuses new entries when the file system is short of inodes.
func (s *Service) checkInodes(ctx context.Context, entries int64) error {
	if entries <= 0 {
		return nil
	}
	c, err := s.store.Available(ctx)
	if err != nil {
		return mapErr(err)
	}
	if c.Inodes >= 0 && c.Inodes-entries < inodeReserve {
		s.logger.WarnContext(ctx, "refused: the file system is short of inodes", "free", c.Inodes)
		return fmt.Errorf("%w: the server's file system can hold few more files; ask the administrator", ErrNoSpace)
	}
	return nil
}

// depthOf is the number of names in a clean path.
func depthOf(clean string) int {
	if clean == "." {
		return 0
	}
	return strings.Count(clean, "/") + 1
}
