package browsertest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// A new user registers in the page, uploads files with the picker (one
// of them named in Chinese, one empty), sees them listed with the digest
// the server recorded, and downloads one whole and in part.
func TestRegisterUploadList(t *testing.T) { testRegisterUploadList(t, startServer(t)) }

func testRegisterUploadList(t *testing.T, s *server) {
	p := newBrowser(t, s.web)
	if got := p.text("#welcome"); !strings.Contains(got, "欢迎") {
		t.Errorf("login page welcome = %q, want the server's welcome line", got)
	}
	p.register("alice", "correct horse battery")
	if got := p.text("#who"); got != "alice" {
		t.Fatalf("logged in as %q", got)
	}

	dir := t.TempDir()
	a := writeFile(t, dir, "照片.bin", 3<<20+17, 1)
	b := writeFile(t, dir, "notes.txt", 1000, 2)
	e := writeFile(t, dir, "empty", 0, 3)
	p.upload(a, b, e)
	for _, name := range []string{"照片.bin", "notes.txt", "empty"} {
		p.waitUpload(name, "done")
	}
	sameBytes(t, "照片.bin on the server", s.stored("alice", "照片.bin"), readFile(t, a))
	sameBytes(t, "notes.txt on the server", s.stored("alice", "notes.txt"), readFile(t, b))
	sameBytes(t, "empty on the server", s.stored("alice", "empty"), nil)

	p.waitRow("照片.bin")
	if got := p.rows(); strings.Join(got, ",") != "empty,notes.txt,照片.bin" && strings.Join(got, ",") != "empty,照片.bin,notes.txt" {
		t.Errorf("rows = %v", got)
	}
	if got := eval[float64](p, `document.getElementById('uploads-total').value / document.getElementById('uploads-total').max`); got != 1 {
		t.Errorf("overall upload bar at %v, want full", got)
	}

	// The details show the digest the server recorded: the page's own.
	p.click(`#rows tr[data-name="照片.bin"] button.open`)
	p.waitFor(`/^[0-9a-f]{64}$/.test(document.getElementById('details-digest').textContent)`)
	if got, want := p.text("#details-digest"), blake3Hex(readFile(t, a)); got != want {
		t.Errorf("digest shown %s, want %s", got, want)
	}

	// A range request, as a download manager resumes.
	got := eval[map[string]any](p, `fetch('/dl/'+encodeURIComponent('照片.bin'), {headers: {Range: 'bytes=1000-1999'}}).then(async r => ({status: r.status, body: [...new Uint8Array(await r.arrayBuffer())], disp: r.headers.get('Content-Disposition')}))`)
	if got["status"].(float64) != 206 {
		t.Fatalf("range status %v", got["status"])
	}
	body := got["body"].([]any)
	want := readFile(t, a)[1000:2000]
	if len(body) != len(want) {
		t.Fatalf("range gave %d bytes", len(body))
	}
	for i := range want {
		if byte(body[i].(float64)) != want[i] {
			t.Fatalf("range byte %d differs", i)
		}
	}
	if d, _ := got["disp"].(string); !strings.HasPrefix(d, "attachment") {
		t.Errorf("Content-Disposition %q", d)
	}

	// The usage line counts what was stored.
	p.waitFor(`document.getElementById('usage-text').textContent.includes('3 items')`)
}

// Files and whole folders dragged onto the page are uploaded where they
// were dropped, folders and all.
func TestDropFilesAndFolders(t *testing.T) {
	s := startServer(t)
	p := newBrowser(t, s.web)
	p.register("bob", "correct horse battery")

	dir := t.TempDir()
	one := writeFile(t, dir, "tree/one.txt", 100, 1)
	two := writeFile(t, dir, "tree/sub/two.bin", 70000, 2)
	loose := writeFile(t, dir, "loose.txt", 10, 3)
	dropFiles(p, "#drive-view", filepath.Join(dir, "tree"), loose)
	p.waitUpload("tree/one.txt", "done")
	p.waitUpload("tree/sub/two.bin", "done")
	p.waitUpload("loose.txt", "done")
	sameBytes(t, "tree/one.txt", s.stored("bob", "tree/one.txt"), readFile(t, one))
	sameBytes(t, "tree/sub/two.bin", s.stored("bob", "tree/sub/two.bin"), readFile(t, two))
	sameBytes(t, "loose.txt", s.stored("bob", "loose.txt"), readFile(t, loose))
	p.waitRow("tree")

	// A drop inside a subfolder lands there.
	p.open("tree/sub")
	three := writeFile(t, dir, "three.txt", 5, 4)
	dropFiles(p, "#drive-view", three)
	p.waitUpload("tree/sub/three.txt", "done")
	p.waitRow("three.txt")
	sameBytes(t, "tree/sub/three.txt", s.stored("bob", "tree/sub/three.txt"), readFile(t, three))
}

func TestUploadFolderPicker(t *testing.T) {
	s := startServer(t)
	p := newBrowser(t, s.web)
	p.register("carol", "correct horse battery")
	dir := t.TempDir()
	a := writeFile(t, dir, "album/a.jpg", 1234, 1)
	b := writeFile(t, dir, "album/deep/b.jpg", 4321, 2)
	p.do(chromedpSetFolder("#upload-folder-input", filepath.Join(dir, "album")))
	p.waitUpload("album/a.jpg", "done")
	p.waitUpload("album/deep/b.jpg", "done")
	sameBytes(t, "album/a.jpg", s.stored("carol", "album/a.jpg"), readFile(t, a))
	sameBytes(t, "album/deep/b.jpg", s.stored("carol", "album/deep/b.jpg"), readFile(t, b))
	_ = fmt.Sprint
}
