package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// meter shows the progress of transfers: bars on a terminal, occasional
// plain lines otherwise (never control characters in a log), nothing with
// --quiet.
type meter interface {
	// track starts showing a transfer of total bytes, done of them already
	// there (resumed).
	track(name string, total, done int64) tracker
	// wait lets the display finish; call once, after every tracker finished.
	wait()
}

type tracker interface {
	update(done int64)
	finish(ok bool)
}

func (a *app) newMeter() meter {
	switch {
	case a.quiet:
		return quietMeter{}
	case isTerminal(a.stderr):
		return &barMeter{p: mpb.New(mpb.WithOutput(a.stderr), mpb.WithWidth(72), mpb.WithRefreshRate(120*time.Millisecond))}
	default:
		return &lineMeter{w: a.stderr, every: 2 * time.Second}
	}
}

type quietMeter struct{}

func (quietMeter) track(string, int64, int64) tracker { return quietTracker{} }
func (quietMeter) wait()                              {}

type quietTracker struct{}

func (quietTracker) update(int64) {}
func (quietTracker) finish(bool)  {}

// barMeter draws one mpb bar per file: name, bytes done / total, rate, ETA.
type barMeter struct{ p *mpb.Progress }

func (m *barMeter) track(name string, total, done int64) tracker {
	bar := m.p.AddBar(total,
		mpb.PrependDecorators(
			decor.Name(shorten(name, 28), decor.WC{C: decor.DindentRight | decor.DextraSpace}),
			decor.Counters(decor.SizeB1024(0), "% .1f / % .1f", decor.WCSyncWidth),
		),
		mpb.AppendDecorators(
			decor.OnComplete(decor.EwmaSpeed(decor.SizeB1024(0), "% .1f", 30, decor.WCSyncSpace), "done"),
			decor.OnComplete(decor.Name(" ETA "), ""),
			decor.OnComplete(decor.EwmaETA(decor.ET_STYLE_GO, 30), ""),
		),
	)
	bar.SetCurrent(done)
	return &barTracker{bar: bar, last: time.Now(), done: done}
}

func (m *barMeter) wait() { m.p.Wait() }

type barTracker struct {
	bar  *mpb.Bar
	last time.Time
	done int64
}

func (t *barTracker) update(done int64) {
	now := time.Now()
	t.bar.EwmaSetCurrent(done, now.Sub(t.last))
	t.last, t.done = now, done
}

func (t *barTracker) finish(ok bool) {
	if ok {
		t.bar.SetTotal(t.done, true)
	} else {
		t.bar.Abort(false)
	}
}

// lineMeter prints a plain progress line per transfer every so often.
type lineMeter struct {
	w     io.Writer
	every time.Duration
	mu    sync.Mutex
}

func (m *lineMeter) track(name string, total, done int64) tracker {
	return &lineTracker{m: m, name: name, total: total, start: time.Now(), startDone: done, next: time.Now().Add(m.every)}
}

func (m *lineMeter) wait() {}

type lineTracker struct {
	m         *lineMeter
	name      string
	total     int64
	start     time.Time
	startDone int64
	next      time.Time
}

func (t *lineTracker) update(done int64) {
	now := time.Now()
	if now.Before(t.next) || done >= t.total {
		return
	}
	t.next = now.Add(t.m.every)
	rate := float64(done-t.startDone) / now.Sub(t.start).Seconds()
	pct := 100 * float64(done) / float64(max(t.total, 1))
	t.m.mu.Lock()
	fmt.Fprintf(t.m.w, "%s: %s / %s (%.0f%%), %s/s\n", safeName(t.name), humanSize(done), humanSize(t.total), pct, humanSize(int64(rate)))
	t.m.mu.Unlock()
}

func (t *lineTracker) finish(bool) {}

// shorten keeps the end of long names, which is the part that differs.
func shorten(s string, n int) string {
	r := []rune(safeName(s))
	if len(r) <= n {
		return string(r)
	}
	return "…" + string(r[len(r)-n+1:])
}
