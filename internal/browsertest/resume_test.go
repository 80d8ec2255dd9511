package browsertest

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"netdisk/internal/testwait"
)

// heldBytes asks the server, through the page's session, how much of the
// unfinished upload of path it holds (0 if none).
func (p *page) heldBytes(path string) int64 {
	p.t.Helper()
	return int64(eval[float64](p, `fetch('/api/uploads').then(r => r.json()).then(j => (j.uploads.find(u => u.path === `+jsString(path)+`) || {size: 0}).size)`))
}

// waitHeld waits until the server holds at least n bytes of the
// unfinished upload of path.
func (p *page) waitHeld(path string, n int64) {
	p.t.Helper()
	testwait.Until(p.t, timeout, func() bool { return p.heldBytes(path) >= n }, func() string {
		return fmt.Sprintf("the server holds %d bytes of %s, want %d", p.heldBytes(path), path, n)
	})
}

// A tab closed in the middle of an upload loses nothing: the same file
// picked again in a new tab continues from what the server holds, and
// sends only the rest.
func TestResumeAfterClosedTab(t *testing.T) { testResumeAfterClosedTab(t, startServer(t)) }

func testResumeAfterClosedTab(t *testing.T, s *server) {
	px := newProxy(t, s)
	p := newBrowser(t, px.url())
	p.register("dave", "correct horse battery")

	const size = 24 << 20
	local := writeFile(t, t.TempDir(), "big.bin", size, 7)
	// A slow link: about 4 MiB a second.
	px.setPatchBody(func(r io.Reader) io.Reader { return &slowReader{r: r, rate: 4 << 20} })

	tab, closeTab := p.newTab()
	tab.upload(local)
	tab.waitUpload("big.bin", "uploading")
	p.waitHeld("big.bin", 8<<20)
	closeTab()

	px.setPatchBody(nil)
	before := px.patched.Load()
	again, closeAgain := p.newTab()
	defer closeAgain()
	again.upload(local)
	line := again.waitUpload("big.bin", "done")
	if !strings.Contains(line, "continued from") {
		t.Errorf("upload line %q does not say it continued", line)
	}
	sameBytes(t, "big.bin on the server", s.stored("dave", "big.bin"), readFile(t, local))
	if sent := px.patched.Load() - before; sent >= size-8<<20+1 {
		t.Errorf("the second tab sent %d bytes of %d; it should have sent only what was missing", sent, size)
	}
}

// A different file of the same name and size is not glued onto the part
// the server holds: its digests differ, so the page starts again.
func TestChangedFileStartsAgain(t *testing.T) {
	s := startServer(t)
	px := newProxy(t, s)
	p := newBrowser(t, px.url())
	p.register("erin", "correct horse battery")

	const size = 12 << 20
	dir := t.TempDir()
	first := writeFile(t, dir, "one/data.bin", size, 1)
	px.setPatchBody(func(r io.Reader) io.Reader { return &slowReader{r: r, rate: 4 << 20} })
	tab, closeTab := p.newTab()
	tab.upload(first)
	tab.waitUpload("data.bin", "uploading")
	p.waitHeld("data.bin", 2<<20)
	closeTab()
	px.setPatchBody(nil)

	second := writeFile(t, dir, "two/data.bin", size, 2) // same name and size, other bytes
	again, closeAgain := p.newTab()
	defer closeAgain()
	again.upload(second)
	line := again.waitUpload("data.bin", "done")
	if !strings.Contains(line, "started again") {
		t.Errorf("upload line %q does not say it started again", line)
	}
	sameBytes(t, "data.bin on the server", s.stored("erin", "data.bin"), readFile(t, second))
}

// A chunk damaged on its way is caught: the server's digest of what
// arrived differs from the page's, nothing is stored, and the page says
// so in words.
func TestDamagedChunkRefused(t *testing.T) {
	s := startServer(t)
	px := newProxy(t, s)
	p := newBrowser(t, px.url())
	p.register("frank", "correct horse battery")
	px.setPatchBody(func(r io.Reader) io.Reader { return &flipReader{r: r, at: 12345} })

	local := writeFile(t, t.TempDir(), "precious.bin", 3<<20, 9)
	p.upload(local)
	line := p.waitUpload("precious.bin", "error")
	if !strings.Contains(line, "damaged") {
		t.Errorf("upload line %q does not say the file arrived damaged", line)
	}
	if _, err := readFileErr(s.file("frank", "precious.bin")); err == nil {
		t.Fatal("a damaged upload was stored")
	}
	if got := p.statusText(); !strings.Contains(got, "precious.bin") || strings.Contains(got, "422") {
		t.Errorf("status line %q: want the file named and no status code", got)
	}

	// Undamaged, the same file goes up.
	px.setPatchBody(nil)
	p.do(clearUploads())
	p.upload(local)
	p.waitUpload("precious.bin", "done")
	sameBytes(t, "precious.bin", s.stored("frank", "precious.bin"), readFile(t, local))
}
