package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"netdisk/internal/storage"
)

// maxBatch bounds how many uploads one storage commit takes.
const maxBatch = 64

// Lingering. Within a burst of uploads (one began less than burstGap after
// the last batch was done) the committer waits for more before committing:
// until no upload has come for lingerGap, or lingerMax has passed, or the
// batch is full. Without it, uploads that arrive about as fast as one can
// be flushed would each be flushed alone (measured: 918 batches of one for
// 1,000 pipelined 4 KiB files); with it, a pipelining client's files share
// their flushes. An upload that comes alone, after a pause, is committed
// at once.
const (
	burstGap  = 5 * time.Millisecond
	lingerGap = 500 * time.Microsecond
	lingerMax = 2 * time.Millisecond
)

// committer makes verified uploads durable in batches (group commit). What
// makes many small uploads slow is one disk flush each; here the uploads
// that arrive while a batch is being flushed, or while the committer
// lingers in a burst, share the next batch's flushes, whether they come
// from one pipelining connection or from many clients.
type committer struct {
	store    storage.Store
	twins    *twinIndex // told of the folders commits add names to
	usage    *usageBook // told of what commits add
	logger   *slog.Logger
	lastDone time.Time // when the last batch was committed; only run uses it
	queued   chan commitRequest
	done     chan struct{}

	mu     sync.RWMutex // held to queue; taken whole to stop
	closed bool
}

type commitRequest struct {
	commit storage.Commit
	touch  touch // the folder the commit adds a name to
	size   int64
	done   func(error) // called with the outcome, on the committer's goroutine
}

func newCommitter(store storage.Store, twins *twinIndex, usage *usageBook, logger *slog.Logger) *committer {
	return &committer{store: store, twins: twins, usage: usage, logger: logger, queued: make(chan commitRequest, maxBatch), done: make(chan struct{})}
}

// queue adds c to the next batch; done is called with its outcome (at
// once, with ErrClosed, if the committer has stopped). done must not
// block. Commits queued by one goroutine are committed in that order.
func (c *committer) queue(sc storage.Commit, t touch, size int64, done func(error)) {
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		done(ErrClosed)
		return
	}
	c.queued <- commitRequest{commit: sc, touch: t, size: size, done: done}
	c.mu.RUnlock()
}

// run commits batches until stop, then what is still queued.
func (c *committer) run() {
	for {
		select {
		case req := <-c.queued:
			c.batch(req)
		case <-c.done:
			for {
				select {
				case req := <-c.queued:
					c.batch(req)
				default:
					return
				}
			}
		}
	}
}

// batch commits first with whatever else is queued already, and, within a
// burst, with what comes while it lingers.
func (c *committer) batch(first commitRequest) {
	reqs := []commitRequest{first}
	reqs = c.drain(reqs)
	if len(reqs) < maxBatch && time.Since(c.lastDone) < burstGap {
		reqs = c.linger(reqs)
	}
	commits := make([]storage.Commit, len(reqs))
	touches := make([]touch, len(reqs))
	for i, r := range reqs {
		commits[i], touches[i] = r.commit, r.touch
	}
	// Not cancellable: the uploads are verified and whole, and are stored
	// even if nobody waits for the answer any more.
	start := time.Now()
	var errs []error
	users := make([]string, len(touches))
	for i, t := range touches {
		users[i] = t.user
	}
	c.usage.changing(users, func() error {
		return c.twins.changingAll(context.Background(), touches, func() error {
			errs = c.store.Commit(context.Background(), commits)
			return nil
		})
	})
	for i, err := range errs {
		if err == nil {
			// At most: the file's bytes and one more entry (fewer when it
			// replaced one, or when its bytes were counted as a partial).
			c.usage.added(touches[i].user, storage.Usage{Bytes: reqs[i].size, Entries: 1})
		}
	}
	c.lastDone = time.Now()
	c.logger.Debug("committed uploads", "count", len(commits), "took", c.lastDone.Sub(start))
	for i, r := range reqs {
		r.done(errs[i])
	}
}

// drain adds what is queued already, up to maxBatch.
func (c *committer) drain(reqs []commitRequest) []commitRequest {
	for len(reqs) < maxBatch {
		select {
		case req := <-c.queued:
			reqs = append(reqs, req)
		default:
			return reqs
		}
	}
	return reqs
}

// linger adds uploads as they come, until none comes for lingerGap, or
// lingerMax has passed, or the batch is full.
func (c *committer) linger(reqs []commitRequest) []commitRequest {
	deadline := time.NewTimer(lingerMax)
	defer deadline.Stop()
	gap := time.NewTimer(lingerGap)
	defer gap.Stop()
	for len(reqs) < maxBatch {
		select {
		case req := <-c.queued:
			reqs = append(reqs, req)
			gap.Reset(lingerGap)
		case <-gap.C:
			return reqs
		case <-deadline.C:
			return reqs
		case <-c.done:
			return reqs
		}
	}
	return reqs
}

// stop makes run return once the queue is empty; commits arriving later
// are refused with ErrClosed.
func (c *committer) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
}
