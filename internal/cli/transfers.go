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
	mtime         time.Time // the source's
}

// looksSame says whether two files are taken to be the same without reading
// them (rclone's default): the same size and modification time. Both sides
// keep the time to the nanosecond (put and get set it), so a file changed
// since is sent again.
func looksSame(sizeA int64, mtimeA time.Time, sizeB int64, mtimeB time.Time) bool {
	return sizeA == sizeB && mtimeA.Equal(mtimeB)
}

// worker is one transfer worker's connection. A connection the server
// closed (after refusing a request whose body it would not read, say) is
// replaced on the next use, so one bad file does not fail the rest.
type worker struct {
	a     *app
	c     *client.Client
	owned bool // opened for this worker (closed at the end)
}

// conn returns a live connection, dialling a new one if needed.
func (w *worker) conn(ctx context.Context) (*client.Client, error) {
	if w.c != nil {
		select {
		case <-w.c.Done():
			if w.owned {
				w.c.Close()
			}
			w.c = nil
		default:
			return w.c, nil
		}
	}
	c, err := w.a.extraConn(ctx)
	if err != nil {
		return nil, err
	}
	w.c, w.owned = c, true
	return c, nil
}

func (w *worker) close() {
	if w.owned && w.c != nil {
		w.c.Close()
	}
}

// runTransfers feeds jobs to `parallel` workers, each with its own
// connection (the first reuses the app's), logged in with the same session.
func (a *app) runTransfers(ctx context.Context, jobs []transferJob, parallel int, work func(context.Context, *worker, <-chan transferJob)) error {
	parallel = max(1, min(parallel, 64, len(jobs)))
	workers := []*worker{{a: a, c: a.conn}}
	defer func() {
		for _, w := range workers {
			w.close()
		}
	}()
	for len(workers) < parallel {
		c, err := a.extraConn(ctx)
		if err != nil {
			return err
		}
		workers = append(workers, &worker{a: a, c: c, owned: true})
	}
	queue := make(chan transferJob)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(ctx, w, queue)
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
	c, err := a.dialAddr(ctx, a.connAddr)
	if err != nil {
		return nil, err
	}
	if _, err := c.AuthToken(ctx, saved.Token); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// resumeAdvice adds advice to the error of a transfer that was cut off
// (connection lost, or interrupted by the user), which can be resumed.
func resumeAdvice(err error, advice string) error {
	if errors.Is(err, client.ErrConnLost) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w; %s", err, advice)
	}
	return err
}

// totals counts the outcome of a folder transfer.
type totals struct {
	mu      sync.Mutex
	files   int
	ok      int
	skipped int // already there
	bytes   int64
	failed  []string
	first   error
	start   time.Time
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

// skip counts a file that was already there.
func (t *totals) skip() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.skipped++
}

// report prints the summary and returns the error to exit with.
func (t *totals) report(a *app, verb string, err error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	secs := time.Since(t.start).Seconds()
	if !a.quiet {
		skipped := ""
		if t.skipped > 0 {
			skipped = fmt.Sprintf(", %d skipped (already there)", t.skipped)
		}
		fmt.Fprintf(a.stdout, "%s %d of %d files%s, %s in %.1fs (%.0f files/s, %s/s)\n",
			verb, t.ok, t.files-t.skipped, skipped, humanSize(t.bytes), secs, float64(t.ok)/secs, humanSize(int64(float64(t.bytes)/secs)))
	}
	if err != nil {
		return err
	}
	if len(t.failed) > 0 {
		return fmt.Errorf("%d of %d files failed; the first: %w", len(t.failed), t.files-t.skipped, t.first)
	}
	return nil
}
