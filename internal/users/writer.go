package users

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"netdisk/internal/atomicfile"
)

// change is one queued Add or Update, with the channel its caller waits on.
type change struct {
	add    *User  // the user to add, or nil for an update
	name   string // the user to update
	update func(*User) error
	result chan error // capacity 1, so the writer never blocks on it
}

// submit queues c and waits for its outcome.
func (r *Registry) submit(c *change) error {
	c.result = make(chan error, 1)
	r.queueMu.Lock()
	if r.closed {
		r.queueMu.Unlock()
		return ErrClosed
	}
	r.queue = append(r.queue, c)
	r.queueMu.Unlock()
	r.signal()
	return <-c.result
}

// signal wakes the writer without blocking; one pending wake-up is enough
// because the writer takes the whole queue each time.
func (r *Registry) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run is the writer goroutine. Each round takes every queued change, so the
// changes that arrive while one rewrite runs share the next one.
func (r *Registry) run() {
	defer close(r.done)
	for {
		r.queueMu.Lock()
		batch, closed := r.queue, r.closed
		r.queue = nil
		r.queueMu.Unlock()
		if len(batch) > 0 {
			r.commit(batch)
			continue
		}
		if closed {
			return
		}
		<-r.wake
	}
}

// commit applies a batch to a copy of the committed state, writes one
// workbook for all the changes that applied, and only if that succeeded
// makes the new state visible. Every change then learns its own outcome.
func (r *Registry) commit(batch []*change) {
	start := time.Now()
	// The writer is the only goroutine that changes byName and sorted, so
	// it may read them without stateMu. changed overlays them.
	changed := make(map[string]User)
	lookup := func(name string) (User, bool) {
		if u, ok := changed[name]; ok {
			return u, true
		}
		u, ok := r.byName[name]
		return u, ok
	}
	var applied []*change
	for _, c := range batch {
		u, err := c.apply(lookup, start)
		if err != nil {
			c.result <- err // nothing to wait for: it will not be written
			continue
		}
		changed[u.Name] = u
		applied = append(applied, c)
	}
	if len(applied) == 0 {
		return
	}

	next := merge(r.sorted, changed)
	err := atomicfile.WriteFunc(r.path, 0o600, func(w io.Writer) error { // 0600: the file holds password hashes
		if err := writeWorkbook(w, next); err != nil {
			return err
		}
		// The test hook runs here, inside the write, rather than through an
		// option of atomicfile: a failure or delay at this point still
		// happens before the rename, which is all the tests need, and
		// atomicfile's API stays free of test-only knobs.
		if r.hooks.beforeRename != nil {
			return r.hooks.beforeRename()
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("saving user registry %s: %w", r.path, err)
		r.logger.Error("user registry rewrite failed; changes refused", "changes", len(applied), "err", err)
	} else {
		r.rewrites.Add(1)
		r.stateMu.Lock()
		for name, u := range changed {
			r.byName[name] = u
		}
		r.sorted = next
		r.stateMu.Unlock()
		r.logger.Debug("user registry saved", "changes", len(applied), "users", len(next), "took", time.Since(start))
	}
	for _, c := range applied {
		c.result <- err
	}
}

// apply works out the user record c produces, given the state so far.
func (c *change) apply(lookup func(string) (User, bool), now time.Time) (User, error) {
	if c.add != nil {
		if _, taken := lookup(c.add.Name); taken {
			return User{}, fmt.Errorf("%w: %q", ErrExists, c.add.Name)
		}
		return *c.add, nil
	}
	old, ok := lookup(c.name)
	if !ok {
		return User{}, fmt.Errorf("%w: %q", ErrNotFound, c.name)
	}
	u := old
	if err := c.update(&u); err != nil {
		return User{}, err
	}
	if u.Name != old.Name {
		return User{}, fmt.Errorf("%w: Update must not change the name (%q to %q)", ErrInvalidUser, old.Name, u.Name)
	}
	return normalizeUser(u, now)
}

// merge returns sorted with the users in changed replacing or joining it,
// in name order. sorted itself is left alone: readers may hold it.
func merge(sorted []User, changed map[string]User) []User {
	next := make([]User, len(sorted), len(sorted)+len(changed))
	copy(next, sorted)
	added := false
	for name, u := range changed {
		i, found := slices.BinarySearchFunc(next[:len(sorted)], name, func(x User, n string) int {
			return strings.Compare(x.Name, n)
		})
		if found {
			next[i] = u
		} else {
			next = append(next, u)
			added = true
		}
	}
	if added {
		slices.SortFunc(next, compareNames)
	}
	return next
}
