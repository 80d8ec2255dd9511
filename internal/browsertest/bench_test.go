package browsertest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkPageTransfer moves one file (BENCH_MB MiB, default 1024) up and
// down through the web page in headless Chromium, and through the
// command-line client on the same server as the baseline, and reports
// each in MB/s and the page's speed as a ratio of the client's.
// bench/web.sh runs it.
func BenchmarkPageTransfer(b *testing.B) {
	mb := 1024
	if v, err := strconv.Atoi(os.Getenv("BENCH_MB")); err == nil && v > 0 {
		mb = v
	}
	size := int64(mb) << 20
	dir := b.TempDir()
	local := filepath.Join(dir, "big.bin")
	f, err := os.Create(local)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 8<<20)
	for i := range buf {
		buf[i] = byte(i*7 + i>>9)
	}
	for n := int64(0); n < size; n += int64(len(buf)) {
		buf[0]++
		f.Write(buf[:min(int64(len(buf)), size-n)])
	}
	f.Close()

	var pageUp, pageDown, cliUp, cliDown time.Duration
	for i := 0; i < b.N; i++ {
		s := startServer(b)
		c := s.cli(b)
		c.ok("correct horse battery\n", "register", "--password-stdin", "bench")
		c.ok("correct horse battery\n", "login", "--password-stdin", "bench")

		start := time.Now()
		c.ok("", "put", local, "cli.bin")
		cliUp += time.Since(start)
		back := filepath.Join(dir, "back.bin")
		start = time.Now()
		c.ok("", "get", "cli.bin", back)
		cliDown += time.Since(start)
		os.Remove(back)

		p := newBrowser(b, s.web)
		p.login("bench", "correct horse battery")
		start = time.Now()
		p.upload(local)
		p.waitUploadWithin("big.bin", "done", 30*time.Minute)
		pageUp += time.Since(start)

		saved := filepath.Join(dir, "saved")
		os.MkdirAll(saved, 0o755)
		p.downloadsTo(saved)
		p.waitRow("big.bin")
		p.selectRows("big.bin")
		start = time.Now()
		got := p.download("#download", 30*time.Minute)
		pageDown += time.Since(start)
		if info, err := os.Stat(got); err != nil || info.Size() != size {
			b.Fatalf("the page's download: %v, %v", info, err)
		}
		os.RemoveAll(saved)
	}
	rate := func(d time.Duration) float64 { return float64(size) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(rate(pageUp), "page_up_MB/s")
	b.ReportMetric(rate(pageDown), "page_down_MB/s")
	b.ReportMetric(rate(cliUp), "cli_put_MB/s")
	b.ReportMetric(rate(cliDown), "cli_get_MB/s")
	b.ReportMetric(cliUp.Seconds()/pageUp.Seconds(), "page/cli_up")
	b.ReportMetric(cliDown.Seconds()/pageDown.Seconds(), "page/cli_down")
}
