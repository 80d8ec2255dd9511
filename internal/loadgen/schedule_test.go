package loadgen

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// countAt is how many recorded values are equivalent to v.
func countAt(h *hdrhistogram.Histogram, v int64) int64 {
	var n int64
	for _, b := range h.Distribution() {
		if b.From <= v && v <= b.To {
			n += b.Count
		}
	}
	return n
}

// One client, one operation every 10 ms for 100 ms, each taking 1 ms but
// the third, which stalls for 55 ms. In an open loop the operations meant
// to start during the stall count their wait; a closed loop records the
// stall once and hides the rest (coordinated omission).
func TestScheduleLatencyFromIntendedStart(t *testing.T) {
	ms := func(n int64) int64 { return n * 1000 } // latencies are recorded in µs
	for _, tc := range []struct {
		name     string
		interval time.Duration
		ops      int64
		want     map[int64]int64 // latency (µs) → operations
	}{
		{
			name:     "open loop",
			interval: 10 * time.Millisecond,
			ops:      10,
			// Intended starts 0, 10 … 90 ms. The stalled one (20 ms) ends
			// at 75; those meant for 30 … 70 start on its heels, one after
			// the other, and wait 45, 36, 27, 18, 9 ms; at 80 the schedule
			// is kept again.
			want: map[int64]int64{ms(1): 4, ms(55): 1, ms(46): 1, ms(37): 1, ms(28): 1, ms(19): 1, ms(10): 1},
		},
		{
			name: "closed loop",
			ops:  10,
			want: map[int64]int64{ms(1): 9, ms(55): 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := newRecorder(Mix{{OpLs, 1}})
				s := &schedule{start: time.Now(), total: tc.ops, interval: tc.interval, clients: 1}
				if tc.interval > 0 {
					s.total = 0
					s.end = s.start.Add(time.Duration(tc.ops) * tc.interval)
				}
				n := 0
				next := func() (Op, func(context.Context) (int64, error)) {
					n++
					took := time.Millisecond
					if n == 3 {
						took = 55 * time.Millisecond
					}
					return OpLs, func(context.Context) (int64, error) {
						time.Sleep(took)
						return 0, nil
					}
				}
				s.drive(t.Context(), 0, next, rec)
				h := rec.ops[OpLs].hist
				if h.TotalCount() != tc.ops {
					t.Fatalf("%d operations recorded, want %d", h.TotalCount(), tc.ops)
				}
				for lat, count := range tc.want {
					if got := countAt(h, lat); got != count {
						t.Errorf("%d operations at %d µs, want %d", got, lat, count)
					}
				}
				if rep := rec.ops[OpLs].report(1); rep.LatencyUS.Max < ms(55) || rep.LatencyUS.Max > ms(55)+100 {
					t.Errorf("max %d µs, want 55 ms", rep.LatencyUS.Max)
				}
			})
		})
	}
}

// In an open loop, the clients' intended starts interleave: n clients at
// interval I make n/I operations a second, and each client's schedule
// ends where the run does.
func TestScheduleOpenLoopRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const clients = 4
		rec := newRecorder(Mix{{OpLs, 1}})
		start := time.Now()
		s := &schedule{start: start, end: start.Add(time.Second), interval: 40 * time.Millisecond, clients: clients}
		var starts [clients][]time.Duration
		done := make(chan struct{})
		for i := range clients {
			go func() {
				defer func() { done <- struct{}{} }()
				s.drive(t.Context(), i, func() (Op, func(context.Context) (int64, error)) {
					return OpLs, func(context.Context) (int64, error) {
						starts[i] = append(starts[i], time.Since(start))
						return 0, nil
					}
				}, rec)
			}()
		}
		for range clients {
			<-done
		}
		for i, st := range starts {
			if len(st) != 25 {
				t.Fatalf("client %d made %d operations in 1 s, want 25", i, len(st))
			}
			if want := time.Duration(i) * 10 * time.Millisecond; st[0] != want || st[24] != want+24*40*time.Millisecond {
				t.Errorf("client %d started at %v … %v, want %v … %v", i, st[0], st[24], want, want+24*40*time.Millisecond)
			}
		}
		if rec.ops[OpLs].count != 100 {
			t.Errorf("%d operations recorded, want 100", rec.ops[OpLs].count)
		}
	})
}

// -n N is N operations in all, however many clients share them.
func TestScheduleTotal(t *testing.T) {
	rec := newRecorder(Mix{{OpStat, 1}})
	s := &schedule{start: time.Now(), total: 7, clients: 3}
	done := make(chan struct{})
	for i := range 3 {
		go func() {
			defer func() { done <- struct{}{} }()
			s.drive(t.Context(), i, func() (Op, func(context.Context) (int64, error)) {
				return OpStat, func(context.Context) (int64, error) { return 0, nil }
			}, rec)
		}()
	}
	for range 3 {
		<-done
	}
	if got := rec.ops[OpStat].count; got != 7 {
		t.Errorf("%d operations, want 7", got)
	}
}
