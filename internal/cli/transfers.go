package cli

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"netdisk/internal/client"
)

// transferJob is one file of a folder transfer.
type transferJob struct {
	local, remote string
	size          int64
}

// runTransfers feeds jobs to `parallel` workers, each given its own
// connection (the first reuses the app's), logged in with the same session.
func (a *app) runTransfers(ctx context.Context, jobs []transferJob, parallel int, work func(context.Context, *client.Client, <-chan transferJob)) error {
	parallel = max(1, min(parallel, 64, len(jobs)))
	conns := []*client.Client{a.conn}
	defer func() {
		for _, c := range conns[1:] {
			c.Close()
		}
	}()
	for len(conns) < parallel {
		c, err := a.extraConn(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	queue := make(chan transferJob)
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(ctx, c, queue)
		}()
	}
	var err error
feed:
	for _, j := range jobs {
		select {
		case queue <- j:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(queue)
	wg.Wait()
	return err
}

// extraConn opens another connection attached to the current session.
func (a *app) extraConn(ctx context.Context) (*client.Client, error) {
	st, err := a.loadState()
	if err != nil {
		return nil, err
	}
	saved, ok := st.session(a.connAddr)
	if !ok {
		return nil, errors.New("no saved session for a parallel connection; log in again")
	}
	key, err := a.loadClientKey()
	if err != nil {
		return nil, err
	}
	c, err := client.Dial(ctx, a.connAddr, client.Options{Plaintext: a.plaintext, Pins: st.pins(), ClientKey: key})
	if err != nil {
		return nil, err
	}
	if _, err := c.AuthToken(ctx, saved.Token); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// totals counts the outcome of a folder transfer.
type totals struct {
	mu     sync.Mutex
	files  int
	ok     int
	bytes  int64
	failed []string
	first  error
	start  time.Time
}

func newTotals(files int) *totals { return &totals{files: files, start: time.Now()} }

func (t *totals) done(job transferJob, size int64, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.failed = append(t.failed, job.remote)
		if t.first == nil {
			t.first = fmt.Errorf("%s: %w", job.remote, err)
		}
		return
	}
	t.ok++
	t.bytes += size
}

// report prints the summary and returns the error to exit with.
func (t *totals) report(a *app, verb string, err error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	secs := time.Since(t.start).Seconds()
	if !a.quiet {
		fmt.Fprintf(a.stdout, "%s %d of %d files, %s in %.1fs (%.0f files/s, %s/s)\n",
			verb, t.ok, t.files, humanSize(t.bytes), secs, float64(t.ok)/secs, humanSize(int64(float64(t.bytes)/secs)))
	}
	if err != nil {
		return err
	}
	if len(t.failed) > 0 {
		return fmt.Errorf("%d of %d files failed; the first: %w", len(t.failed), t.files, t.first)
	}
	return nil
}
