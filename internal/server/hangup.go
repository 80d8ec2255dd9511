package server

import (
	"context"
	"time"
)

// whileWatching runs fn, which may wait a long time without reading from
// the client (a login queued for an argon2 slot), with a context that ends
// if the client hangs up meanwhile: a watcher goroutine waits for the next
// bytes from the client, which only come early if the client leaves (or
// pipelines a request, which it then finds buffered).
func (c *conn) whileWatching(fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithCancel(c.req)
	defer cancel()
	c.stream.SetReadDeadline(time.Time{})
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		if err := c.r.Wait(); err != nil && !isTimeout(err) {
			cancel() // the client is gone
		}
	}()
	err := fn(ctx)
	// Wake the watcher; the loop sets a fresh deadline before it reads.
	c.nc.SetReadDeadline(time.Now())
	<-watching
	return err
}

func isTimeout(err error) bool {
	t, ok := err.(interface{ Timeout() bool })
	return ok && t.Timeout()
}
