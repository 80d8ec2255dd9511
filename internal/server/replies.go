package server

import (
	"context"
	"sync"

	"netdisk/internal/proto"
)

// maxLater bounds the replies one connection keeps waiting (uploads being
// committed): past it, the connection stops reading requests until the
// oldest is answered, so a pipelining client cannot pile up work.
const maxLater = 64

// replyQueue keeps the replies a connection owes, computed on goroutines
// of their own, in request order: each waits for the one before it to be
// sent. The connection's reading goroutine alone adds to it.
type replyQueue struct {
	slots chan struct{}  // one per reply owed; nil until the first
	last  chan struct{}  // closed once the newest reply owed is sent
	wg    sync.WaitGroup // the goroutines computing them
}

// later answers request id with what fn returns (a reply, or an error to
// send as one), computed while the connection goes on reading requests;
// replies go out in request order.
func (c *conn) later(ctx context.Context, id uint64, fn func() (proto.Message, error)) {
	q := &c.replies
	if q.slots == nil {
		q.slots = make(chan struct{}, maxLater)
	}
	q.slots <- struct{}{}
	prev, done := q.last, make(chan struct{})
	q.last = done
	q.wg.Go(func() {
		defer func() { <-q.slots }()
		defer close(done)
		msg, err := fn()
		if prev != nil {
			<-prev
		}
		if err != nil {
			c.sendError(ctx, id, err)
		} else {
			c.send(id, msg)
		}
	})
}

// wait returns once every reply owed has been sent (or failed to be).
func (q *replyQueue) wait() {
	if q.last != nil {
		<-q.last
		q.last = nil
	}
	q.wg.Wait()
}
