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

// committer makes verified uploads durable in batches (group commit). What
// makes many small uploads slow is one disk flush each; here an upload
// that arrives while a batch is being flushed waits for the next batch,
// and all the uploads waiting then share its flushes. A lone upload is
// committed at once: batches form only when uploads queue up, from one
// pipelining connection or from many clients, so no upload ever waits
// for others that may not come.
type committer struct {
	store  storage.Store
	logger *slog.Logger
	queued chan commitRequest
	done   chan struct{}

	mu     sync.RWMutex // held to queue; taken whole to stop
	closed bool
}

type commitRequest struct {
	commit storage.Commit
	result chan<- error
}

func newCommitter(store storage.Store, logger *slog.Logger) *committer {
	return &committer{store: store, logger: logger, queued: make(chan commitRequest, maxBatch), done: make(chan struct{})}
}

// queue adds c to the next batch and returns where its outcome will be
// delivered. Commits queued by one goroutine are committed in that order.
func (c *committer) queue(sc storage.Commit) <-chan error {
	result := make(chan error, 1) // buffered: the committer never blocks on it
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		result <- ErrClosed
		return result
	}
	c.queued <- commitRequest{commit: sc, result: result}
	return result
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

// batch commits first and whatever else is queued already.
func (c *committer) batch(first commitRequest) {
	reqs := []commitRequest{first}
	for len(reqs) < maxBatch {
		select {
		case req := <-c.queued:
			reqs = append(reqs, req)
			continue
		default:
		}
		break
	}
	commits := make([]storage.Commit, len(reqs))
	for i, r := range reqs {
		commits[i] = r.commit
	}
	// Not cancellable: the uploads are verified and whole, and are stored
	// even if nobody waits for the answer any more.
	start := time.Now()
	errs := c.store.Commit(context.Background(), commits)
	c.logger.Debug("committed uploads", "count", len(commits), "took", time.Since(start))
	for i, r := range reqs {
		r.result <- errs[i]
	}
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
