package users

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Errors returned by the Registry.
var (
	ErrExists   = errors.New("user already exists")
	ErrNotFound = errors.New("no such user")
	ErrClosed   = errors.New("user registry is closed")
)

// Registry is the set of user accounts, kept in memory and persisted to a
// workbook. Reads (Get, List, Len) see the committed state. Changes (Add,
// Update) go through one writer goroutine that group-commits them. The
// same goroutine watches the workbook for edits saved by someone else
// (see refresh). A Registry is safe for concurrent use.
type Registry struct {
	place  place
	path   string // the place's name, for messages
	logger *slog.Logger
	hooks  testHooks

	// stateMu guards the committed state. Only the writer goroutine
	// changes it, so the writer reads it without the lock.
	stateMu sync.RWMutex
	byName  map[string]User
	sorted  []User // byName's users sorted by name; replaced, never modified in place

	queueMu sync.Mutex
	queue   []*change
	closed  bool
	wake    chan struct{} // capacity 1: "the queue may be non-empty"
	done    chan struct{} // closed when the writer goroutine exits

	// Owned by the writer goroutine (and by open before it starts it).
	hist        *history // recent versions, to read an edited copy against its own
	stale       bool     // the workbook on disk is not the state: rewrite it at the next chance
	unread      []byte   // an edited workbook that could not be read, kept aside before it is overwritten
	lastErr     string   // of the last rewrite, so a failure repeated every tick is logged once
	lastLookErr string   // of the last look, likewise

	onEdit   atomic.Pointer[func([]Edit)]
	rewrites atomic.Int64 // successful workbook rewrites, for tests
}

// testHooks let tests slow down or break a rewrite, and watch more often.
type testHooks struct {
	// beforeRename runs once the new workbook is written, before it is
	// swapped in for the old one (install).
	beforeRename func() error
	watchEvery   time.Duration // default WatchInterval
	noExchange   bool          // install as on a file system without RENAME_EXCHANGE
}

// compareNames orders users by name.
func compareNames(a, b User) int { return strings.Compare(a.Name, b.Name) }

// Add commits a new user. The name is normalized, the hash must be a valid
// argon2id encoding, zero times become now, and the user gets a fresh
// account id (any AccountID set in u is replaced). Add returns nil only
// once a workbook containing u is durably on disk, and ErrExists if the
// name is taken by a committed user or by one committed before it.
//
// ctx only matters until the change is queued: from then on Add waits for
// the outcome, so that a nil or non-nil result always means what it says.
func (r *Registry) Add(ctx context.Context, u User) error {
	u.AccountID = newAccountID()
	u, err := normalizeUser(u, time.Now())
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Fail fast without waiting for a rewrite; the writer checks again.
	if _, ok := r.Get(u.Name); ok {
		return fmt.Errorf("%w: %q", ErrExists, u.Name)
	}
	return r.submit(&change{add: &u})
}

// Update changes the user called name through fn and commits the result,
// under the same durability rule as Add. fn runs on the registry's writer
// goroutine with the latest state of the user (an edit of the workbook
// saved meanwhile included): it must be quick, must not call the Registry,
// and must change neither Name nor AccountID. An error from fn aborts this
// change only and is returned as is. Update returns ErrNotFound if there
// is no such user.
func (r *Registry) Update(ctx context.Context, name string, fn func(*User) error) error {
	norm, err := NormalizeName(name)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.submit(&change{name: norm, update: fn})
}

// Remove takes the user called name out of the registry, under the same
// durability rule as Add: it returns nil only once a workbook without the
// user is durably on disk, and ErrNotFound if there is no such user. The
// user's folder and sessions are the caller's business.
func (r *Registry) Remove(ctx context.Context, name string) error {
	norm, err := NormalizeName(name)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.submit(&change{name: norm, remove: true})
}

// Shared reports whether registries of other servers share the workbook
// (OpenObject): their changes then reach this one at its next look, and a
// caller that must see the latest state calls Refresh first.
func (r *Registry) Shared() bool {
	_, ok := r.place.(*objectPlace)
	return ok
}

// Get returns the committed user called name.
func (r *Registry) Get(name string) (User, bool) {
	norm, err := NormalizeName(name)
	if err != nil {
		return User{}, false
	}
	r.stateMu.RLock()
	defer r.stateMu.RUnlock()
	u, ok := r.byName[norm]
	return u, ok
}

// List returns the committed users sorted by name.
func (r *Registry) List() []User {
	r.stateMu.RLock()
	defer r.stateMu.RUnlock()
	return slices.Clone(r.sorted)
}

// Len returns the number of committed users.
func (r *Registry) Len() int {
	r.stateMu.RLock()
	defer r.stateMu.RUnlock()
	return len(r.byName)
}

// Refresh looks at the workbook for an edit saved by someone else now,
// as the registry does by itself every WatchInterval and before every
// rewrite. It returns once an edit found is applied, OnExternalEdit's
// function has run and the workbook is rewritten; the error is what made
// the edited workbook unreadable as a whole, or what stopped the rewrite.
// If ctx ends first (the look waits behind a rewrite), it returns ctx's
// error, and the look still happens.
func (r *Registry) Refresh(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &change{check: true, result: make(chan error, 1)}
	if err := r.enqueue(c); err != nil {
		return err
	}
	select {
	case err := <-c.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close waits for the writer goroutine to commit the changes already
// queued (and to write the workbook if an earlier rewrite failed), then
// stops it and the watching. Later changes and later calls to Close return
// ErrClosed; reads keep working on the final state.
func (r *Registry) Close() error {
	r.queueMu.Lock()
	if r.closed {
		r.queueMu.Unlock()
		return ErrClosed
	}
	r.closed = true
	r.queueMu.Unlock()
	r.signal()
	<-r.done
	return nil
}
