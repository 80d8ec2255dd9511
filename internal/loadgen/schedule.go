package loadgen

import (
	"context"
	"sync/atomic"
	"time"
)

// schedule says when the clients of a run start their operations and
// when the run ends.
//
// Closed loop (Interval 0): a client starts its next operation as soon as
// the last one ended, and latency is the operation's own time. Open loop:
// client i of n is meant to start its k-th operation at
// start + i·Interval/n + k·Interval (the clients' starts interleave, so
// the total rate is n/Interval), and latency counts from that intended
// start. When an operation overruns, the next ones start late, at once,
// and each counts its wait: a server stalled for a second shows a second
// of latency on every operation that should have started meanwhile, as
// the users it would have had saw it, rather than the one slow operation
// a closed loop records (coordinated omission).
type schedule struct {
	start    time.Time
	end      time.Time     // zero: no end but the total
	total    int64         // operations in all; 0: until end
	interval time.Duration // between one client's intended starts; 0: closed loop
	clients  int
	claimed  atomic.Int64
}

// drive runs client i's operations until the schedule ends or ctx is
// done, recording each into rec.
func (s *schedule) drive(ctx context.Context, i int, next func() (Op, func(ctx context.Context) (int64, error)), rec *recorder) {
	var phase time.Duration
	if s.interval > 0 {
		phase = s.interval * time.Duration(i) / time.Duration(s.clients)
	}
	for k := int64(0); ctx.Err() == nil; k++ {
		var intended time.Time
		if s.interval > 0 {
			intended = s.start.Add(phase + time.Duration(k)*s.interval)
			if !s.end.IsZero() && !intended.Before(s.end) {
				return
			}
			if wait := time.Until(intended); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
		} else {
			intended = time.Now()
			if !s.end.IsZero() && !intended.Before(s.end) {
				return
			}
		}
		if s.total > 0 && s.claimed.Add(1) > s.total {
			return
		}
		kind, do := next()
		n, err := do(ctx)
		if ctx.Err() != nil {
			return // cut off by an interrupt: not the server's doing
		}
		rec.record(kind, time.Since(intended), n, err)
	}
}
