package browsertest

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Logging out stops the page's uploads: nothing of one user's queue runs
// for the next user of the same tab.
func TestLogoutStopsUploads(t *testing.T) {
	s := startServer(t)
	px := newProxy(t, s)
	p := newBrowser(t, px.url())
	p.register("alice", "correct horse battery")
	px.setPatchBody(func(r io.Reader) io.Reader { return &slowReader{r: r, rate: 1 << 20} })
	dir := t.TempDir()
	p.upload(writeFile(t, dir, "big1.bin", 8<<20, 1), writeFile(t, dir, "big2.bin", 8<<20, 2), writeFile(t, dir, "diary1.txt", 100, 3), writeFile(t, dir, "diary2.txt", 100, 4))
	p.waitUpload("big1.bin", "uploading")
	p.click("#logout")
	p.waitFor(`!document.getElementById('login-view').hidden`)
	px.setPatchBody(nil)

	other := newBrowser(t, px.url()) // to register bob without touching alice's tab
	other.register("bob", "correct horse battery")
	p.login("bob", "correct horse battery")
	if n := eval[int](p, `document.querySelectorAll('.upload').length`); n != 0 {
		t.Errorf("bob's page shows %d of alice's uploads", n)
	}
	if n := eval[int](p, `document.querySelectorAll('#rows tr').length`); n != 0 {
		t.Errorf("bob's listing shows %d rows", n)
	}
	// Uploads run in the order they were queued: once bob's own upload is
	// stored, any of alice's still queued would have gone first.
	p.upload(writeFile(t, dir, "bobs.txt", 10, 5))
	p.waitUpload("bobs.txt", "done")
	entries, _ := os.ReadDir(filepath.Join(s.data, "files", "bob"))
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") && e.Name() != "bobs.txt" {
			t.Errorf("bob's folder holds %s", e.Name())
		}
	}
}

// Cancelled uploads give their place to the ones waiting.
func TestCancelFreesItsSlot(t *testing.T) {
	s := startServer(t)
	px := newProxy(t, s)
	p := newBrowser(t, px.url())
	p.register("cara", "correct horse battery")
	px.setPatchBody(func(r io.Reader) io.Reader { return &slowReader{r: r, rate: 1 << 20} })
	dir := t.TempDir()
	p.upload(writeFile(t, dir, "a.bin", 16<<20, 1), writeFile(t, dir, "b.bin", 16<<20, 2), writeFile(t, dir, "c.txt", 1000, 3))
	p.waitUpload("a.bin", "uploading")
	p.waitUpload("b.bin", "uploading")
	p.click(`.upload[data-path="a.bin"] button`)
	p.click(`.upload[data-path="b.bin"] button`)
	p.waitUpload("c.txt", "done")
	if st := p.uploadState("a.bin"); st != "cancelled" {
		t.Errorf("a.bin is %q", st)
	}
	s.stored("cara", "c.txt")
	if _, err := os.Stat(s.file("cara", "a.bin")); err == nil {
		t.Error("a cancelled upload was stored")
	}
}

// The same path dropped twice: the second upload waits for the first, and
// the second file is what is stored.
func TestSamePathTwiceInARow(t *testing.T) {
	s := startServer(t)
	p := newBrowser(t, s.web)
	p.register("dina", "correct horse battery")
	first := writeFile(t, filepath.Join(t.TempDir(), "1"), "same.bin", 12<<20, 1)
	second := writeFile(t, filepath.Join(t.TempDir(), "2"), "same.bin", 12<<20, 2)
	dropFiles(p, "#drive-view", first)
	dropFiles(p, "#drive-view", second)
	p.waitFor(`[...document.querySelectorAll('.upload[data-path="same.bin"]')].length === 2 && [...document.querySelectorAll('.upload[data-path="same.bin"]')].every(e => e.dataset.state === 'done' || e.dataset.state === 'error')`)
	states := eval[[]string](p, `[...document.querySelectorAll('.upload[data-path="same.bin"]')].map(e => e.dataset.state + ' ' + e.textContent)`)
	for _, st := range states {
		if !strings.HasPrefix(st, "done") {
			t.Errorf("an upload of same.bin ended %q", st)
		}
	}
	sameBytes(t, "same.bin", s.stored("dina", "same.bin"), readFile(t, second))
}

// Select-all and Ctrl+A take only the rows shown (the filter's), so a
// delete never removes what the person cannot see.
func TestSelectAllTakesVisibleRows(t *testing.T) {
	s := startServer(t)
	p := newBrowser(t, s.web)
	p.register("emma", "correct horse battery")
	dir := t.TempDir()
	p.upload(writeFile(t, dir, "keep1", 1, 1), writeFile(t, dir, "keep2", 1, 2), writeFile(t, dir, "tmp1", 1, 3), writeFile(t, dir, "tmp2", 1, 4))
	for _, n := range []string{"keep1", "keep2", "tmp1", "tmp2"} {
		p.waitUpload(n, "done")
	}
	p.waitRow("tmp2")
	p.waitRow("keep2")
	p.fill("#filter", "tmp")
	p.waitFor(`document.querySelectorAll('#rows tr').length === 2`)
	p.click("#select-all")
	p.click("#delete")
	p.waitFor(`document.getElementById('dialog').open`)
	if txt := p.text("#dialog-title"); !strings.Contains(txt, "2 item") {
		t.Errorf("delete asks %q; want 2 items", txt)
	}
	p.click("#dialog-ok")
	p.waitFor(`!document.getElementById('dialog').open`)
	eval[bool](p, `(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); return true; })()`)
	p.waitFor(`document.querySelectorAll('#rows tr').length === 2`)
	s.stored("emma", "keep1")
	s.stored("emma", "keep2")
}
