package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"netdisk/internal/units"
)

// pacer holds the transfers of one command to a rate (--bwlimit): all of
// them together, as the link sees them.
type pacer struct {
	rate  float64 // bytes a second
	mu    sync.Mutex
	start time.Time
	total int64
}

// take waits until n more bytes fit the rate (or ctx ends).
func (p *pacer) take(ctx context.Context, n int64) {
	if n <= 0 {
		return
	}
	p.mu.Lock()
	if p.start.IsZero() {
		p.start = time.Now()
	}
	p.total += n
	due := p.start.Add(time.Duration(float64(p.total) / p.rate * float64(time.Second)))
	p.mu.Unlock()
	if d := time.Until(due); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}

type pacerKey struct{}

// paced wraps a transfer's progress callback (called in the copy loop
// with the bytes done so far, first with where the transfer starts) so
// that the copy keeps to --bwlimit.
func paced(ctx context.Context, update func(int64)) func(int64) {
	p, _ := ctx.Value(pacerKey{}).(*pacer)
	if p == nil {
		return update
	}
	last := int64(-1)
	return func(done int64) {
		if last >= 0 {
			p.take(ctx, done-last)
		}
		last = done
		update(done)
	}
}

// parseRate reads a rate such as 500K, 10M or 1.5G: bytes a second, in
// the units of every size netdisk reads (units.Parse: K, M, G are KiB,
// MiB, GiB; KB, MB, GB decimal), with an optional "/s".
func parseRate(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if n := len(t); n >= 2 && strings.EqualFold(t[n-2:], "/s") {
		t = t[:n-2]
	}
	v, err := units.Parse(t)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("--bwlimit takes a rate such as 500K, 10M or 1.5G (bytes a second), not %q", s)
	}
	return float64(v), nil
}
