package loadgen

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"netdisk/internal/client"
)

// Defaults of Config.
const (
	DefaultDuration    = 10 * time.Second
	DefaultIdlePerUser = 64 // the server's default --max-conns-per-user
	// DefaultMaxPreLogin is half the server's default
	// --max-prelogin-per-addr (64), leaving room for others on the
	// same address.
	DefaultMaxPreLogin = 32
	// cleanupTimeout bounds removing what a run made, after it.
	cleanupTimeout = 2 * time.Minute
)

// Config describes a run.
type Config struct {
	// Dial opens a new connection to the server (transport, pinning and
	// client key are the caller's).
	Dial func(ctx context.Context) (*client.Client, error)

	Clients  int           // measured clients, each its own connection and user
	Requests int64         // operations in all (0: run for Duration)
	Duration time.Duration // with Requests 0; default DefaultDuration
	Rate     float64       // open loop at this many operations a second in all; 0: closed loop
	Mix      Mix
	Sizes    []int64 // file sizes a put picks from

	// Users are the accounts to use; nil registers throwaway ones. The
	// measured clients take them in turn, then the idle connections.
	Users []Account
	// SaveUsers, if set, is a file to write the registered accounts to
	// (in the form ReadUsers reads).
	SaveUsers string

	Idle        int // idle logged-in connections held through the run
	IdleUsers   int // users they are spread over (0: as few as IdlePerUser allows)
	IdlePerUser int // at most this many connections a user; default DefaultIdlePerUser
	// MaxPreLogin bounds the connections open and not yet logged in at
	// once; default DefaultMaxPreLogin.
	MaxPreLogin int

	TempDir string    // where the local files for put are made; "" for os.TempDir
	Log     io.Writer // a line on each phase (nil: none)
}

// gate bounds the connections not yet logged in.
type gate chan struct{}

func (g gate) enter(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g gate) leave() { <-g }

// run is one Run's state.
type run struct {
	cfg        Config
	id         string
	seed       uint64
	gate       gate
	files      map[int64]string // local file of each size
	registered atomic.Int64
}

// Run performs a run and reports on it. The report is returned, with
// what was measured, even when the run was interrupted (with ctx's
// error); an error setting up (a registration refused, say) comes with a
// nil report. What the run made on the server is removed before Run
// returns; the users it registered stay.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	var seed [8]byte
	rand.Read(seed[:])
	r := &run{
		cfg:  cfg,
		id:   newRunID(),
		gate: make(gate, cfg.MaxPreLogin),
	}
	for _, b := range seed {
		r.seed = r.seed<<8 | uint64(b)
	}
	dir, err := os.MkdirTemp(cfg.TempDir, "netdisk-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := r.makeFiles(dir); err != nil {
		return nil, err
	}

	// Accounts: the measured clients' first, then the idle connections'.
	idleUsers := 0
	if cfg.Idle > 0 {
		idleUsers = cfg.IdleUsers
		if idleUsers == 0 {
			idleUsers = (cfg.Idle + cfg.IdlePerUser - 1) / cfg.IdlePerUser
		}
	}
	rep := &Report{RunID: r.id}
	accts := cfg.Users
	if accts == nil {
		r.logf("registering %d users (bench-%s-0000 …)", cfg.Clients+idleUsers, r.id)
		accts, err = r.register(ctx, cfg.Clients+idleUsers)
		rep.Users = r.usersReport()
		if err != nil {
			return nil, fmt.Errorf("%w%s", err, rep.Users.keptNote())
		}
		if cfg.SaveUsers != "" {
			if err := WriteUsers(cfg.SaveUsers, accts); err != nil {
				return nil, err
			}
		}
	} else {
		rep.Users.Given = len(accts)
	}
	measured := make([]Account, cfg.Clients)
	for i := range measured {
		measured[i] = accts[i%len(accts)]
	}
	var idleAccts []Account
	for k := range idleUsers {
		idleAccts = append(idleAccts, accts[(cfg.Clients+k)%len(accts)])
	}

	// Idle connections, then the measured clients.
	if cfg.Idle > 0 {
		r.logf("opening %d idle connections over %d users", cfg.Idle, len(idleAccts))
	}
	idle, err := r.openIdle(ctx, cfg.Idle, idleAccts, cfg.IdlePerUser)
	defer func() {
		ctx, cancel := cleanupContext(ctx)
		defer cancel()
		idle.close(ctx)
	}()
	if err != nil {
		return nil, fmt.Errorf("%w%s", err, rep.Users.keptNote())
	}
	workers := make([]*worker, cfg.Clients)
	for i := range workers {
		workers[i] = r.newWorker(i, measured[i])
	}
	r.logf("connecting %d clients", cfg.Clients)
	err = r.parallel(ctx, len(workers), func(ctx context.Context, i int) error { return workers[i].setup(ctx) })
	if err != nil {
		r.cleanup(ctx, workers, rep)
		return nil, fmt.Errorf("%w%s", err, rep.Users.keptNote())
	}

	// The run.
	rec := newRecorder(cfg.Mix)
	s := &schedule{total: cfg.Requests, clients: cfg.Clients}
	if cfg.Rate > 0 {
		s.interval = time.Duration(float64(cfg.Clients) / cfg.Rate * float64(time.Second))
	}
	r.logf("running")
	s.start = time.Now()
	if cfg.Requests == 0 {
		s.end = s.start.Add(cfg.Duration)
	}
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Go(func() { s.drive(ctx, i, w.next, rec) })
	}
	wg.Wait()
	elapsed := time.Since(s.start)
	rep.IdleHeld, rep.IdleLost, rep.IdleUsers = len(idle.conns), idle.lost(), len(idleAccts)

	r.logf("removing what the run uploaded")
	r.cleanup(ctx, workers, rep)
	rep.fill(cfg, rec, elapsed)
	return rep, ctx.Err()
}

func (cfg *Config) defaults() error {
	switch {
	case cfg.Dial == nil:
		return errors.New("loadgen: no Dial")
	case cfg.Clients < 1:
		return fmt.Errorf("the number of clients must be at least 1, not %d", cfg.Clients)
	case cfg.Requests < 0, cfg.Duration < 0, cfg.Rate < 0, cfg.Idle < 0, cfg.IdleUsers < 0:
		return errors.New("counts, rates and durations cannot be negative")
	case len(cfg.Mix) == 0:
		return errors.New("empty operation mix")
	case len(cfg.Sizes) == 0:
		return errors.New("no file size")
	case cfg.Users != nil && len(cfg.Users) == 0:
		return errors.New("no users given")
	}
	if cfg.Requests == 0 && cfg.Duration == 0 {
		cfg.Duration = DefaultDuration
	}
	if cfg.IdlePerUser <= 0 {
		cfg.IdlePerUser = DefaultIdlePerUser
	}
	if cfg.MaxPreLogin <= 0 {
		cfg.MaxPreLogin = DefaultMaxPreLogin
	}
	return nil
}

// makeFiles writes one local file of random bytes for each size.
func (r *run) makeFiles(dir string) error {
	r.files = map[int64]string{}
	rng := mrand.NewChaCha8([32]byte{})
	for _, size := range r.cfg.Sizes {
		if _, ok := r.files[size]; ok {
			continue
		}
		path := filepath.Join(dir, fmt.Sprintf("%d.bin", size))
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		_, err = io.CopyN(f, rng, size)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("making a local file of %d bytes: %w", size, err)
		}
		r.files[size] = path
	}
	return nil
}

// parallel runs job(0) … job(n-1), up to the gate's size at once (each
// job passes the gate itself while it is not logged in), stopping at the
// first error.
func (r *run) parallel(ctx context.Context, n int, job func(ctx context.Context, i int) error) error {
	return parallel(ctx, cap(r.gate), n, job)
}

// parallel runs job(0) … job(n-1), width at once. After the first error
// it starts no more, lets those under way finish (a registration cut off
// halfway helps no one) and returns that error.
func parallel(ctx context.Context, width, n int, job func(ctx context.Context, i int) error) error {
	stop, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, width) {
		wg.Go(func() {
			for i := range next {
				if err := job(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-stop.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(stop)
}

// cleanupContext is ctx for removing what a run made: not cut off by an
// interrupt (which is why the run ends), but bounded.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// cleanup removes every worker's folder.
func (r *run) cleanup(ctx context.Context, workers []*worker, rep *Report) {
	ctx, cancel := cleanupContext(ctx)
	defer cancel()
	var mu sync.Mutex
	r.parallel(ctx, len(workers), func(ctx context.Context, i int) error {
		err := workers[i].cleanup(ctx)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			rep.CleanupErrors = append(rep.CleanupErrors, err.Error())
		} else if workers[i].made {
			rep.FoldersRemoved++
		}
		return nil
	})
}

func (r *run) logf(format string, args ...any) {
	if r.cfg.Log != nil {
		fmt.Fprintf(r.cfg.Log, "netdisk bench: "+format+"\n", args...)
	}
}
