package cli

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netdisk/internal/daemon"
)

// The overall display of a folder transfer counts files and bytes over
// every file, those too small for a bar of their own included.
func TestTreeMeterCountsAll(t *testing.T) {
	var out bytes.Buffer
	a := &app{stderr: &out, progress: "plain"}
	m := a.newTreeMeter(3, 3000)
	m.every, m.next = 0, time.Time{}     // a line at every change, for the test
	big := m.track("big.bin", 2000, 500) // resumed after 500 bytes
	small := m.small().track("tiny.txt", 1000, 0)
	big.update(1500)
	small.update(1000)
	small.finish(true)
	big.update(2000)
	big.finish(true)
	m.wait()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var all []string
	for _, l := range lines {
		if strings.HasPrefix(l, "all: ") {
			all = append(all, l)
		}
	}
	if len(all) == 0 {
		t.Fatalf("no overall line:\n%s", out.String())
	}
	last := all[len(all)-1]
	if !strings.HasPrefix(last, "all: 1/3 files, 2.9 KiB / 2.9 KiB (100%)") {
		t.Errorf("last overall line %q", last)
	}
	if !strings.Contains(all[0], "500 B / 2.9 KiB") {
		t.Errorf("first overall line %q does not count the resumed bytes", all[0])
	}
}

func TestProgressFlag(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "pia", "correct horse battery")
	u.fails("--progress takes auto, bar, plain or none", "", "--progress", "fancy", "ls")
	if r := u.run("", "--progress", "none", "ls"); r.code != 0 {
		t.Errorf("--progress none: %+v", r)
	}
}

// Bars drawn into a file (--progress bar) include the overall one, and
// the transfer succeeds.
func TestTreeBars(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "quin", "correct horse battery")
	src := t.TempDir()
	randomFile(t, src, "big.bin", 3<<20, 1)
	randomFile(t, src, "small.txt", 100, 2)
	r := u.run("", "--progress", "bar", "put", "-r", src+"/", "d")
	if r.code != 0 || !strings.Contains(r.stderr, "all: ") || !strings.Contains(r.stdout, "uploaded 2 of 2 files") {
		t.Errorf("put -r --progress bar: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
}

// --bwlimit holds a transfer to the rate: 6 MiB at 3 MiB/s cannot take
// less than about 2 s (a lower bound, so the test cannot flake on a slow
// machine), and the file arrives whole.
func TestBandwidthLimit(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "rae", "correct horse battery")
	local, data := randomFile(t, t.TempDir(), "f.bin", 6<<20, 1)
	start := time.Now()
	u.ok("", "--bwlimit", "3M", "put", local, "f.bin")
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("put of 6 MiB at 3 MiB/s took %v", took)
	}
	sameFile(t, s.serverFile("rae", "f.bin"), data)
	start = time.Now()
	back := filepath.Join(t.TempDir(), "back.bin")
	u.ok("", "--bwlimit", "3M", "get", "f.bin", back)
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("get of 6 MiB at 3 MiB/s took %v", took)
	}
	sameFile(t, back, data)
	u.fails("--bwlimit takes a rate", "", "--bwlimit", "fast", "ls")

	// Small files too, each counted from its first byte, also where one
	// zero-copy step (1 MiB, in plaintext) moves a whole file.
	ps := startServer(t, func(c *daemon.Config) { c.Plaintext = true })
	pu := ps.registered(t, "sol", "correct horse battery")
	src := t.TempDir()
	for i := range 8 {
		randomFile(t, src, fmt.Sprintf("s%d.bin", i), 512<<10, uint64(i))
	}
	start = time.Now()
	pu.ok("", "--bwlimit", "2M", "put", "-r", "--parallel", "1", src+"/", "small")
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("put -r of 8 × 512 KiB at 2 MiB/s took %v", took)
	}
}
