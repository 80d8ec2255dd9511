package users

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// change is one queued Add, Update or Refresh, with the channel its caller
// waits on.
type change struct {
	add    *User  // the user to add, or nil
	name   string // the user to update or remove
	update func(*User) error
	remove bool       // Remove: take the user called name out
	check  bool       // Refresh: only look at the workbook
	result chan error // capacity 1, so the writer never blocks on it
}

// submit queues c and waits for its outcome.
func (r *Registry) submit(c *change) error {
	c.result = make(chan error, 1)
	if err := r.enqueue(c); err != nil {
		return err
	}
	return <-c.result
}

// enqueue queues c, whose result channel has room for its outcome.
func (r *Registry) enqueue(c *change) error {
	r.queueMu.Lock()
	if r.closed {
		r.queueMu.Unlock()
		return ErrClosed
	}
	r.queue = append(r.queue, c)
	r.queueMu.Unlock()
	r.signal()
	return nil
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
// changes that arrive while one rewrite runs share the next one. Between
// changes it looks at the workbook every WatchInterval, so that an edit
// saved by an administrator applies without waiting for a change.
func (r *Registry) run() {
	defer close(r.done)
	every := r.hooks.watchEvery
	if every <= 0 {
		every = WatchInterval
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		r.queueMu.Lock()
		batch, closed := r.queue, r.closed
		r.queue = nil
		r.queueMu.Unlock()
		switch {
		case len(batch) > 0:
			r.commit(batch)
			continue
		case closed:
			if r.stale {
				r.commit(nil) // a last try at putting the state on disk
			}
			return
		}
		select {
		case <-r.wake:
		case <-tick.C:
			r.commit(nil)
		}
	}
}

// commit first applies any edit of the workbook saved by someone else
// (refresh), then batch on top of the result, and writes one workbook
// holding both; only if that succeeded does it make batch's changes
// visible. Every change then learns its own outcome. With no change to
// write, it rewrites the workbook only if it is stale.
//
// Where registries share the workbook, the writing runs under the
// place's lock, after a second look: the workbook written is then made
// from the latest one. A workbook replaced all the same (an edit saved
// outside any registry) makes the write fail with errConflict: the batch
// is then worked out again on the edited workbook.
func (r *Registry) commit(batch []*change) {
	start := time.Now()
	writes := slices.ContainsFunc(batch, func(c *change) bool { return !c.check })
	var lookErr error
	if !writes || !r.Shared() {
		// A shared place is looked at under its lock below, before
		// writing: a look out of it is for a batch of looks alone.
		lookErr = r.refresh()
	}
	if !r.stale && !writes {
		for _, c := range batch { // only looks: nothing to write
			c.result <- lookErr
		}
		return
	}
	unlock, err := r.place.lock()
	if err != nil {
		err = fmt.Errorf("saving user registry %s: %w", r.path, err)
		r.logWrite(true, len(batch), err, start)
		for _, c := range batch {
			c.result <- err
		}
		return
	}
	if unlock != nil {
		defer unlock()
	}
	for try := 0; ; try++ {
		if unlock != nil || try > 0 {
			if err := r.refresh(); err != nil {
				lookErr = err
			}
		}
		changed, removed, outcomes := r.prepare(batch, start)
		wrote := len(changed) > 0 || len(removed) > 0 || r.stale
		err = nil
		if wrote {
			err = r.save(changed, removed)
		}
		if errors.Is(err, errConflict) && try < maxMerges {
			continue
		}
		r.logWrite(wrote, len(changed)+len(removed), err, start)
		for i, c := range batch {
			switch {
			case c.check:
				c.result <- errors.Join(lookErr, err)
			case outcomes[i] != nil:
				c.result <- outcomes[i]
			default:
				c.result <- err
			}
		}
		return
	}
}

// errConflict is a place's refusal to write over a workbook saved since
// the registry last looked.
var errConflict = errors.New("users.xlsx was replaced while it was being written")

// maxMerges bounds how often one save writes the workbook again because
// an edit was saved while it was being written. An edit left over is
// applied all the same, and written at the next tick.
const maxMerges = 3

// save writes the state with changed applied and, once that is on disk,
// makes changed visible. If the file it replaced holds an edit saved
// meanwhile, it merges the edit and writes again, so that the workbook
// ends holding both.
func (r *Registry) save(changed map[string]User, removed []string) error {
	next := nextSorted(r.sorted, changed, removed)
	mark, replaced, err := r.write(next)
	if err != nil {
		if replaced != nil {
			r.merge(replaced, "")
		}
		return fmt.Errorf("saving user registry %s: %w", r.path, err)
	}
	r.publish(changed, removed, next)
	r.hist.addVersion(mark, r.hist.gen)
	for i := 0; replaced != nil; i++ {
		r.merge(replaced, "")
		if i == maxMerges {
			break
		}
		if mark, replaced, err = r.write(r.sorted); err != nil {
			// changed is on disk; the edit is in the state, and the
			// workbook stays stale until the next tick writes it.
			r.logger.Error("user registry rewrite after an edit failed; it will be tried again", "err", err)
			if replaced != nil {
				r.merge(replaced, "")
			}
			return nil
		}
		r.hist.addVersion(mark, r.hist.gen)
	}
	return nil
}

// prepare works out what batch changes, given the committed state: the
// new records by name, the names removed, and the error of each change
// refused.
func (r *Registry) prepare(batch []*change, now time.Time) (map[string]User, []string, []error) {
	// The writer is the only goroutine that changes byName, so it may
	// read it without stateMu. changed and gone overlay it.
	changed := make(map[string]User)
	gone := make(map[string]bool)
	lookup := func(name string) (User, bool) {
		if u, ok := changed[name]; ok {
			return u, true
		}
		if gone[name] {
			return User{}, false
		}
		u, ok := r.byName[name]
		return u, ok
	}
	outcomes := make([]error, len(batch))
	for i, c := range batch {
		switch {
		case c.check:
		case c.remove:
			if _, ok := lookup(c.name); !ok {
				outcomes[i] = fmt.Errorf("%w: %q", ErrNotFound, c.name)
				continue
			}
			delete(changed, c.name)
			gone[c.name] = true
		default:
			u, err := c.apply(lookup, now)
			if err != nil {
				outcomes[i] = err
				continue
			}
			changed[u.Name] = u
			delete(gone, u.Name) // removed and added again in one batch: a new account
		}
	}
	var removed []string
	for name := range gone {
		if _, committed := r.byName[name]; committed {
			if _, again := changed[name]; !again {
				removed = append(removed, name)
			}
		}
	}
	slices.Sort(removed)
	return changed, removed, outcomes
}

// logWrite logs the outcome of a commit. A rewrite that fails on every
// tick (a full disk) is logged once until it succeeds.
func (r *Registry) logWrite(wrote bool, changes int, err error, start time.Time) {
	switch {
	case !wrote:
	case err != nil && changes > 0:
		r.logger.Error("user registry rewrite failed; changes refused", "changes", changes, "err", err)
		r.lastErr = err.Error()
	case err != nil && err.Error() != r.lastErr:
		r.logger.Error("user registry rewrite failed; it will be tried again", "err", err)
		r.lastErr = err.Error()
	case err != nil:
	default:
		if r.lastErr != "" {
			r.logger.Info("user registry saved again after failing", "file", r.path)
			r.lastErr = ""
		}
		r.logger.Debug("user registry saved", "changes", changes, "users", len(r.sorted), "took", time.Since(start))
	}
}

// publish makes changed and removed visible as the next generation of the
// state, next being the sorted result, and notes in history what they
// replaced.
func (r *Registry) publish(changed map[string]User, removed []string, next []User) {
	if len(changed) == 0 && len(removed) == 0 {
		return
	}
	r.hist.gen++
	for name := range changed {
		r.hist.record(r.hist.gen, name, r.byName[name])
	}
	for _, name := range removed {
		r.hist.record(r.hist.gen, name, r.byName[name])
	}
	r.stateMu.Lock()
	for name, u := range changed {
		r.byName[name] = u
	}
	for _, name := range removed {
		delete(r.byName, name)
	}
	r.sorted = next
	r.stateMu.Unlock()
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
	if u.AccountID != old.AccountID {
		return User{}, fmt.Errorf("%w: Update must not change the account id of %q", ErrInvalidUser, old.Name)
	}
	return normalizeUser(u, now)
}

// nextSorted returns sorted with the users in changed replacing or joining
// it and those in removed left out, in name order. sorted itself is left
// alone: readers may hold it.
func nextSorted(sorted []User, changed map[string]User, removed []string) []User {
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
	if len(removed) > 0 {
		gone := make(map[string]bool, len(removed))
		for _, name := range removed {
			gone[name] = true
		}
		next = slices.DeleteFunc(next, func(u User) bool { return gone[u.Name] })
	}
	if added {
		slices.SortFunc(next, compareNames)
	}
	return next
}
