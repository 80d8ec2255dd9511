package users

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"netdisk/internal/atomicfile"
)

// Errors returned by the Registry.
var (
	ErrExists   = errors.New("user already exists")
	ErrNotFound = errors.New("no such user")
	ErrClosed   = errors.New("user registry is closed")
)

// Registry is the set of user accounts, kept in memory and persisted to a
// workbook. Reads (Get, List, Len) see the committed state: what the
// workbook on disk holds. Changes (Add, Update) go through one writer
// goroutine that group-commits them. A Registry is safe for concurrent use.
type Registry struct {
	path   string
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

	rewrites atomic.Int64 // successful workbook rewrites, for tests
}

// testHooks let tests slow down or break a rewrite.
type testHooks struct {
	// beforeRename runs once the new workbook is written, before the
	// temporary file is renamed over the old one.
	beforeRename func() error
}

// Open loads the registry from the workbook at path (for example
// /data/users.xlsx), or starts empty if there is none yet; the first change
// creates it. It removes temporary files left next to it by a rewrite that
// crashed. A workbook that cannot be read is an error wrapping ErrMalformed
// and naming the file, row and column. The folder must exist.
//
// The Registry must be closed with Close to stop its writer goroutine.
func Open(path string, logger *slog.Logger) (*Registry, error) {
	return open(path, logger, testHooks{})
}

func open(path string, logger *slog.Logger, hooks testHooks) (*Registry, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	removed, err := atomicfile.RemoveTemps(path)
	for _, name := range removed {
		logger.Warn("removed temporary file left by an interrupted rewrite", "file", name)
	}
	if err != nil {
		return nil, fmt.Errorf("opening user registry: %w", err)
	}
	var loaded []User
	switch info, err := os.Stat(path); {
	case errors.Is(err, fs.ErrNotExist):
		logger.Info("no user registry yet; it will be created by the first change", "file", path)
	case err != nil:
		return nil, fmt.Errorf("opening user registry: %w", err)
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("opening user registry: %s is not a regular file", path)
	default:
		if loaded, err = readWorkbook(path); err != nil {
			return nil, fmt.Errorf("opening user registry: %w", err)
		}
	}

	r := &Registry{
		path:   path,
		logger: logger,
		hooks:  hooks,
		byName: make(map[string]User, len(loaded)),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	for _, u := range loaded {
		r.byName[u.Name] = u
	}
	// An administrator may have sorted the sheet by another column.
	r.sorted = loaded
	slices.SortFunc(r.sorted, compareNames)
	go r.run()
	return r, nil
}

// compareNames orders users by name.
func compareNames(a, b User) int { return strings.Compare(a.Name, b.Name) }

// Add commits a new user. The name is normalized, the hash must be a valid
// argon2id encoding, and zero times become now. Add returns nil only once a
// workbook containing u is durably on disk, and ErrExists if the name is
// taken by a committed user or by one committed before it.
//
// ctx only matters until the change is queued: from then on Add waits for
// the outcome, so that a nil or non-nil result always means what it says.
func (r *Registry) Add(ctx context.Context, u User) error {
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
// goroutine with the latest state of the user: it must be quick, must not
// call the Registry, and must not change Name. An error from fn aborts this
// change only and is returned as is. Update returns ErrNotFound if there is
// no such user.
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

// Close waits for the writer goroutine to commit the changes already
// queued, then stops it. Later changes and later calls to Close return
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
