package service

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"netdisk/internal/storage"
)

// When a client reconnects after a broken connection, the server may not
// have noticed the break yet: the old upload still holds the partial, and
// would until its read deadline passes. So a resuming upload that finds the
// partial busy waits a little for it, and takes over from the holder if it
// has received nothing for a while (the holder's Context ends, with
// ErrTakenOver as its cause); only if the holder is alive and moving (a
// genuinely concurrent upload of the same path) does it fall back to a
// fresh partial of its own.
const (
	busyWait     = 4 * time.Second
	stalledAfter = 2 * time.Second
	busyPoll     = 50 * time.Millisecond
)

// holders tracks the uploads holding resumable partials, so a later one can
// tell a stalled holder from a live one.
type holders struct {
	mu sync.Mutex
	m  map[string]*holder
}

type holder struct {
	progress atomic.Int64 // unix nanoseconds of the last bytes received
	upload   *Upload
}

func holderKey(user, target string) string { return user + "\x00" + target }

func (h *holders) add(key string, u *Upload) *holder {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = make(map[string]*holder)
	}
	x := &holder{upload: u}
	x.progress.Store(time.Now().UnixNano())
	h.m[key] = x
	return x
}

func (h *holders) remove(key string, x *holder) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m[key] == x {
		delete(h.m, key)
	}
}

func (h *holders) get(key string) *holder {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.m[key]
}

// openResumable opens the resumable partial of target, waiting for a busy
// one as described above. It returns storage.ErrBusy if the partial stays
// held by a live upload.
func (s *Service) openResumable(ctx context.Context, sp storage.Space, user, target string) (storage.Upload, error) {
	var up storage.Upload
	err := s.whenFree(ctx, user, target, func() error {
		var err error
		up, err = sp.OpenUpload(ctx, target)
		return err
	})
	return up, err
}

// whenFree runs op, which fails with storage.ErrBusy while another upload
// holds target's partial, until it does not, taking over from a stalled
// holder and giving up after busyWait.
func (s *Service) whenFree(ctx context.Context, user, target string, op func() error) error {
	key := holderKey(user, target)
	deadline := time.Now().Add(busyWait)
	for {
		err := op()
		if !errors.Is(err, storage.ErrBusy) {
			return err
		}
		if x := s.holders.get(key); x != nil {
			idle := time.Since(time.Unix(0, x.progress.Load()))
			if idle > stalledAfter && x.upload.ctx.Err() == nil {
				s.logger.InfoContext(ctx, "taking over a stalled upload", "user", user, "path", target, "idle", idle.Round(time.Second))
				x.upload.cancel(ErrTakenOver)
			}
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-time.After(busyPoll):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
