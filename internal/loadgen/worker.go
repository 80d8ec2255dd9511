package loadgen

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"netdisk/internal/client"
)

// putNames is how many file names a client's puts cycle through: later
// puts overwrite earlier files, so a long run does not fill the disk.
const putNames = 8

// seedName is the file every client uploads before the run, so get and
// stat have something to fetch from the first operation; rm never takes it.
const seedName = "seed"

// worker is one measured client: its connection, its user and its folder,
// and what it has made there. Only its own goroutine touches it.
type worker struct {
	r      *run
	i      int
	acct   Account
	c      *client.Client
	folder string
	rng    *rand.Rand
	local  map[int64]*os.File // the local file of each size, opened once
	files  []string           // files present in folder (seed first)
	dirs   []string           // folders made by mkdir and not removed
	seq    int
	made   bool // folder exists: cleanup removes it
}

func (r *run) newWorker(i int, acct Account) *worker {
	return &worker{
		r:      r,
		i:      i,
		acct:   acct,
		folder: fmt.Sprintf("bench-%s-c%04d", r.id, i),
		rng:    rand.New(rand.NewPCG(uint64(i), r.seed)),
		local:  map[int64]*os.File{},
	}
}

// connect opens the worker's connection and logs in, holding a place of
// the pre-login gate until then.
func (w *worker) connect(ctx context.Context) error {
	if w.c != nil {
		w.c.Close()
		w.c = nil
	}
	if err := w.r.gate.enter(ctx); err != nil {
		return err
	}
	c, err := w.r.cfg.Dial(ctx)
	if err != nil {
		w.r.gate.leave()
		return explainSetup(err)
	}
	_, err = c.Login(ctx, w.acct.User, w.acct.Password)
	w.r.gate.leave()
	if err != nil {
		c.Close()
		return explainSetup(fmt.Errorf("logging in as %s: %w", w.acct.User, err))
	}
	w.c = c
	return nil
}

// conn returns the worker's connection, connecting again if it ended.
func (w *worker) conn(ctx context.Context) (*client.Client, error) {
	if w.c != nil {
		select {
		case <-w.c.Done():
		default:
			return w.c, nil
		}
	}
	if err := w.connect(ctx); err != nil {
		return nil, err
	}
	return w.c, nil
}

// setup connects, makes the worker's folder and uploads its seed file.
func (w *worker) setup(ctx context.Context) error {
	if err := w.connect(ctx); err != nil {
		return err
	}
	if err := w.c.Mkdir(ctx, w.folder, false); err != nil {
		return fmt.Errorf("making the folder %s of %s: %w", w.folder, w.acct.User, err)
	}
	w.made = true
	if _, err := w.put(ctx, seedName, w.r.cfg.Sizes[0]); err != nil {
		return fmt.Errorf("uploading %s/%s as %s: %w", w.folder, seedName, w.acct.User, err)
	}
	w.files = append(w.files, seedName)
	return nil
}

// next draws the worker's next operation from the mix.
func (w *worker) next() (Op, func(context.Context) (int64, error)) {
	op := w.r.cfg.Mix.pick(w.rng)
	return op, func(ctx context.Context) (int64, error) {
		if _, err := w.conn(ctx); err != nil {
			return 0, err
		}
		return w.do(ctx, op)
	}
}

func (w *worker) do(ctx context.Context, op Op) (int64, error) {
	w.seq++
	switch op {
	case OpLogin:
		if err := w.c.Logout(ctx); err != nil {
			return 0, err
		}
		if _, err := w.c.Login(ctx, w.acct.User, w.acct.Password); err != nil {
			w.c.Close() // logged out: the next operation connects again
			return 0, err
		}
		return 0, nil
	case OpLs:
		_, err := w.c.List(ctx, w.folder)
		return 0, err
	case OpStat:
		_, err := w.c.Stat(ctx, w.path(w.anyFile()))
		return 0, err
	case OpGet:
		res, err := w.c.Cat(ctx, w.path(w.anyFile()), io.Discard)
		return res.Size, err
	case OpPut:
		name := fmt.Sprintf("f%d", w.seq%putNames)
		size := w.r.cfg.Sizes[w.rng.IntN(len(w.r.cfg.Sizes))]
		n, err := w.put(ctx, name, size)
		if err == nil && !contains(w.files, name) {
			w.files = append(w.files, name)
		}
		return n, err
	case OpMkdir:
		name := fmt.Sprintf("d%d", w.seq)
		err := w.c.Mkdir(ctx, w.path(name), false)
		if err == nil {
			w.dirs = append(w.dirs, name)
		}
		return 0, err
	case OpRm:
		var name string
		switch {
		case len(w.dirs) > 0:
			name, w.dirs = w.dirs[len(w.dirs)-1], w.dirs[:len(w.dirs)-1]
		case len(w.files) > 1:
			name, w.files = w.files[len(w.files)-1], w.files[:len(w.files)-1]
		default:
			// Nothing of this client's to remove: make a folder for it.
			name = fmt.Sprintf("r%d", w.seq)
			if err := w.c.Mkdir(ctx, w.path(name), false); err != nil {
				return 0, err
			}
		}
		return 0, w.c.Remove(ctx, w.path(name), false)
	}
	return 0, fmt.Errorf("unknown operation %s", op)
}

func (w *worker) put(ctx context.Context, name string, size int64) (int64, error) {
	f := w.local[size]
	if f == nil {
		var err error
		if f, err = os.Open(w.r.files[size]); err != nil {
			return 0, err
		}
		w.local[size] = f
	}
	res, err := w.c.Put(ctx, f, w.path(name), client.PutOptions{})
	return res.Size - res.Resumed, err
}

func (w *worker) anyFile() string { return w.files[w.rng.IntN(len(w.files))] }

func (w *worker) path(name string) string { return w.folder + "/" + name }

// cleanup removes the worker's folder with all it holds, logs out and
// closes its connection and files.
func (w *worker) cleanup(ctx context.Context) error {
	defer func() {
		for _, f := range w.local {
			f.Close()
		}
		if w.c != nil {
			w.c.Close()
		}
	}()
	if !w.made {
		return nil
	}
	c, err := w.conn(ctx)
	if err != nil {
		return err
	}
	if err := c.Remove(ctx, w.folder, true); err != nil {
		return fmt.Errorf("removing %s of %s: %w", w.folder, w.acct.User, err)
	}
	c.Logout(ctx)
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
