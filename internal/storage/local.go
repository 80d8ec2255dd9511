package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// Local is the Store that keeps each user's files in dir/<user> on the local
// disk. One process must own dir: upload locks live in its memory.
type Local struct {
	root *os.Root
	dir  string

	mu sync.Mutex
	// held are the partials open now, keyed by holdKey, so no two writers
	// share one and ExpireUploads leaves them alone.
	held map[string]struct{}
	// userLocks serialize the renames within one user's folder, so Rename's
	// check that its destination is free still holds when it renames.
	userLocks map[string]*sync.Mutex
}

var _ Store = (*Local)(nil)

// NewLocal opens the local store rooted at dir, which is created (mode 0700)
// if missing.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating store folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening store folder: %w", err)
	}
	return &Local{
		root:      root,
		dir:       dir,
		held:      make(map[string]struct{}),
		userLocks: make(map[string]*sync.Mutex),
	}, nil
}

// Close releases the store's folder. Spaces opened from it stay usable
// until they are closed.
func (l *Local) Close() error {
	return l.root.Close()
}

// Space opens the folder of an existing user.
func (l *Local) Space(ctx context.Context, user string) (Space, error) {
	if err := checkUser(user); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root, err := l.root.OpenRoot(user)
	if err != nil {
		return nil, fsError("open space", user, err)
	}
	return &localSpace{store: l, user: user, root: root}, nil
}

// CreateSpace opens the folder of user, making it if missing.
func (l *Local) CreateSpace(ctx context.Context, user string) (Space, error) {
	if err := checkUser(user); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root, err := l.root.OpenRoot(user)
	if errors.Is(err, fs.ErrNotExist) {
		// Made once, at registration; opened on every request.
		if err = l.root.Mkdir(user, 0o700); err == nil || errors.Is(err, fs.ErrExist) {
			root, err = l.root.OpenRoot(user)
		}
	}
	if err != nil {
		return nil, fsError("open space", user, err)
	}
	return &localSpace{store: l, user: user, root: root}, nil
}

// holdKey names one partial of one user in Local.held.
func holdKey(user, partial string) string {
	return user + "\x00" + partial
}

// hold marks a partial as in use; it reports false if it already was.
func (l *Local) hold(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, busy := l.held[key]; busy {
		return false
	}
	l.held[key] = struct{}{}
	return true
}

// release undoes hold.
func (l *Local) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.held, key)
}

// userLock returns the mutex serializing renames in user's folder. The map
// only grows, by one small entry per user seen.
func (l *Local) userLock(user string) *sync.Mutex {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.userLocks[user]
	if !ok {
		m = new(sync.Mutex)
		l.userLocks[user] = m
	}
	return m
}

// Dir is the folder the store keeps its files in.
func (l *Local) Dir() string { return l.dir }
