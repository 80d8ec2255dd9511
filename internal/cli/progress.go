package cli

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
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
	case a.quiet || a.progress == "none":
		return quietMeter{}
	case a.progress == "plain":
		return &lineMeter{w: a.stderr, every: 2 * time.Second}
	case a.progress == "bar" || isTerminal(a.stderr):
		opts := []mpb.ContainerOption{mpb.WithOutput(a.stderr), mpb.WithWidth(72), mpb.WithRefreshRate(120 * time.Millisecond)}
		if a.progress == "bar" {
			opts = append(opts, mpb.WithAutoRefresh()) // asked for, terminal or not
		}
		return &barMeter{p: mpb.New(opts...)}
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

// treeMeter shows a folder transfer: one overall bar (or line) for all of
// it — files done of all, bytes, rate and time left — above the bars of
// the files moving now.
type treeMeter struct {
	inner     meter
	files     int64
	bytes     int64
	doneFiles atomic.Int64
	doneBytes atomic.Int64
	start     time.Time

	bar *mpb.Bar // bar mode

	line  io.Writer // plain mode
	every time.Duration
	mu    sync.Mutex
	next  time.Time
}

// newTreeMeter starts the display of a transfer of files files holding
// bytes bytes in all.
func (a *app) newTreeMeter(files int, bytes int64) *treeMeter {
	t := &treeMeter{inner: a.newMeter(), files: int64(files), bytes: bytes, start: time.Now()}
	switch m := t.inner.(type) {
	case *barMeter:
		t.bar = m.p.AddBar(max(bytes, 1),
			mpb.BarPriority(-1), // on top
			mpb.PrependDecorators(
				decor.Any(func(decor.Statistics) string {
					return fmt.Sprintf("all: %d/%d files", t.doneFiles.Load(), t.files)
				}, decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 28}),
				decor.Counters(decor.SizeB1024(0), "% .1f / % .1f", decor.WCSyncWidth),
			),
			mpb.AppendDecorators(
				decor.OnComplete(decor.AverageSpeed(decor.SizeB1024(0), "% .1f", decor.WCSyncSpace), "done"),
				decor.OnComplete(decor.Name(" ETA "), ""),
				decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO), ""),
			),
		)
	case *lineMeter:
		t.line, t.every, t.next = m.w, m.every, time.Now().Add(m.every)
	}
	return t
}

func (t *treeMeter) track(name string, total, done int64) tracker {
	return t.wrap(t.inner.track(name, total, done), done)
}

// small is the meter for files too small for a bar of their own: they
// count in the overall display only.
func (t *treeMeter) small() meter { return treeSmall{t} }

type treeSmall struct{ t *treeMeter }

func (s treeSmall) track(_ string, _, done int64) tracker { return s.t.wrap(quietTracker{}, done) }
func (s treeSmall) wait()                                 {}

func (t *treeMeter) wrap(inner tracker, done int64) tracker {
	t.add(done)
	return &treeTracker{t: t, inner: inner, last: done}
}

// add counts bytes that arrived (or were there already) and shows them.
func (t *treeMeter) add(n int64) {
	all := t.doneBytes.Add(n)
	if t.bar != nil {
		t.bar.SetCurrent(all)
	}
	if t.line == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if now.Before(t.next) {
		return
	}
	t.next = now.Add(t.every)
	secs := now.Sub(t.start).Seconds()
	rate := float64(all) / max(secs, 0.001)
	eta := ""
	if rate > 0 && all < t.bytes {
		eta = fmt.Sprintf(", %s left", time.Duration(float64(t.bytes-all)/rate*float64(time.Second)).Round(time.Second))
	}
	fmt.Fprintf(t.line, "all: %d/%d files, %s / %s (%.0f%%), %s/s%s\n", t.doneFiles.Load(), t.files,
		humanSize(all), humanSize(t.bytes), 100*float64(all)/float64(max(t.bytes, 1)), humanSize(int64(rate)), eta)
}

func (t *treeMeter) wait() {
	if t.bar != nil {
		t.bar.SetTotal(max(t.doneBytes.Load(), 1), true)
	}
	t.inner.wait()
}

type treeTracker struct {
	t     *treeMeter
	inner tracker
	last  int64
}

func (tt *treeTracker) update(done int64) {
	tt.inner.update(done)
	tt.t.add(done - tt.last)
	tt.last = done
}

func (tt *treeTracker) finish(ok bool) {
	tt.inner.finish(ok)
	if ok {
		tt.t.doneFiles.Add(1)
	}
}
