package browsertest

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"netdisk/internal/users"
)

// Folders made, renamed, moved into and deleted through the page's
// buttons and dialog change the server's tree the same way.
func TestArrangeFiles(t *testing.T) {
	s := startServer(t)
	p := newBrowser(t, s.web)
	p.register("gina", "correct horse battery")
	dir := t.TempDir()
	p.upload(writeFile(t, dir, "a.txt", 10, 1), writeFile(t, dir, "b.txt", 20, 2), writeFile(t, dir, "c.txt", 30, 3))
	p.waitUpload("c.txt", "done")
	p.waitUpload("a.txt", "done")
	p.waitUpload("b.txt", "done")
	p.waitRow("c.txt")

	// New folder.
	p.click("#new-folder")
	p.fill("#dialog-input", "archive")
	p.click("#dialog-ok")
	p.waitRow("archive")
	if fi, err := os.Stat(s.file("gina", "archive")); err != nil || !fi.IsDir() {
		t.Fatalf("archive is not a folder on the server: %v", err)
	}

	// Rename one file.
	p.selectRows("a.txt")
	p.click("#rename")
	p.fill("#dialog-input", "alpha.txt")
	p.click("#dialog-ok")
	p.waitRow("alpha.txt")
	s.stored("gina", "alpha.txt")

	// A refused rename keeps the dialog open with the reason in words.
	p.selectRows("alpha.txt")
	p.click("#rename")
	p.fill("#dialog-input", "b.txt")
	p.click("#dialog-ok")
	p.waitFor(`document.getElementById('dialog-error').textContent.includes('already there')`)
	p.click("#dialog-cancel")
	p.waitFor(`!document.getElementById('dialog').open`)

	// Move two into the folder.
	p.open("")
	p.selectRows("b.txt", "c.txt")
	p.click("#move")
	p.fill("#dialog-input", "archive")
	p.click("#dialog-ok")
	p.waitFor(`!document.querySelector('#rows tr[data-name="b.txt"]')`)
	s.stored("gina", "archive/b.txt")
	s.stored("gina", "archive/c.txt")

	// Delete the folder (with what is in it) and the file at once.
	p.selectRows("archive", "alpha.txt")
	p.click("#delete")
	p.waitFor(`document.getElementById('dialog').open`)
	if txt := p.text("#dialog-text"); !strings.Contains(txt, "archive") || !strings.Contains(txt, "alpha.txt") {
		t.Errorf("delete dialog says %q", txt)
	}
	p.click("#dialog-ok")
	p.waitFor(`document.querySelectorAll('#rows tr').length === 0`)
	for _, name := range []string{"archive", "alpha.txt"} {
		if _, err := os.Stat(s.file("gina", name)); !os.IsNotExist(err) {
			t.Errorf("%s still on the server: %v", name, err)
		}
	}
	p.waitFor(`!document.getElementById('empty').hidden`)
}

// Downloading with the buttons: a file as itself, a selection as a zip
// built while it streams.
func TestDownloadAndZip(t *testing.T) {
	s := startServer(t)
	p := newBrowser(t, s.web)
	p.register("hugo", "correct horse battery")
	dir := t.TempDir()
	docs := writeFile(t, dir, "docs/report.txt", 5000, 1)
	deep := writeFile(t, dir, "docs/2024/q1.bin", 300000, 2)
	top := writeFile(t, dir, "top.bin", 1<<20, 3)
	dropFiles(p, "#drive-view", filepath.Join(dir, "docs"), top)
	p.waitUpload("docs/2024/q1.bin", "done")
	p.waitUpload("docs/report.txt", "done")
	p.waitUpload("top.bin", "done")
	p.waitRow("docs")
	p.waitRow("top.bin")

	saved := t.TempDir()
	p.downloadsTo(saved)
	p.selectRows("top.bin")
	sameBytes(t, "downloaded top.bin", readFile(t, p.download("#download", timeout)), readFile(t, top))

	p.selectRows("docs", "top.bin")
	z := readFile(t, p.download("#zip", timeout))
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatalf("the zip does not open: %v", err)
	}
	got := map[string][]byte{}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		got[f.Name] = b.Bytes()
	}
	want := map[string]string{"docs/report.txt": docs, "docs/2024/q1.bin": deep, "top.bin": top}
	for name, local := range want {
		sameBytes(t, "zip entry "+name, got[name], readFile(t, local))
	}
	if len(got) != len(want) {
		t.Errorf("zip holds %v", slices.Sorted(mapsKeys(got)))
	}
}

func mapsKeys(m map[string][]byte) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// A stored HTML or SVG file is shown as text: nothing in it runs, in the
// preview or when its preview address is opened directly.
func TestPreviewRunsNothing(t *testing.T) {
	s := startServer(t)
	p := newBrowser(t, s.web)
	p.register("ivy", "correct horse battery")
	dir := t.TempDir()
	evil := filepath.Join(dir, "evil.html")
	os.WriteFile(evil, []byte(`<script>document.title='pwned';parent.document.title='pwned'</script><img src=x onerror="parent.document.title='pwned'">`), 0o644)
	svg := filepath.Join(dir, "evil.svg")
	os.WriteFile(svg, []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="parent.document.title='pwned'"><script>parent.document.title='pwned'</script></svg>`), 0o644)
	name := filepath.Join(dir, `<img src=x onerror=alert(1)>.txt`)
	os.WriteFile(name, []byte("hello"), 0o644)
	p.upload(evil, svg, name)
	p.waitUpload("evil.html", "done")
	p.waitUpload("evil.svg", "done")
	p.waitUpload(`<img src=x onerror=alert(1)>.txt`, "done")
	p.waitRow("evil.html")

	for _, f := range []string{"evil.html", "evil.svg"} {
		p.click(`#rows tr[data-name="` + f + `"] button.open`)
		p.waitFor(`!!document.querySelector('#preview pre') && document.querySelector('#preview pre').textContent.includes('<script>')`)
	}
	// The hostile name is a name: no element was made of it.
	if n := eval[int](p, `document.querySelectorAll('#rows img').length`); n != 0 {
		t.Errorf("a file name became %d img elements", n)
	}

	tab, closeTab := p.newTab()
	defer closeTab()
	tab.do(chromedpNavigate(s.web + "/view/evil.html"))
	// A script, or an error handler of a broken image, would have run by
	// the time the document has loaded.
	tab.waitFor(`document.readyState === 'complete'`)
	if got := eval[string](tab, `document.contentType + ' ' + document.title`); !strings.HasPrefix(got, "text/plain") || strings.Contains(got, "pwned") {
		t.Errorf("opened directly, the preview is %q", got)
	}
	if got := eval[string](p, `document.title`); got == "pwned" {
		t.Error("a previewed file ran script in the page")
	}
}

// What the command-line client stores, the page lists with the same
// digest and downloads byte for byte; what the page stores, the client
// gets back whole.
func TestPageAndCLIShareFiles(t *testing.T) { testPageAndCLIShareFiles(t, startServer(t)) }

func testPageAndCLIShareFiles(t *testing.T, s *server) {
	c := s.cli(t)
	c.ok("correct horse battery\n", "register", "--password-stdin", "jack")
	c.ok("correct horse battery\n", "login", "--password-stdin", "jack")
	dir := t.TempDir()
	fromCLI := writeFile(t, dir, "from-cli.bin", 2<<20+3, 1)
	c.ok("", "put", fromCLI, "from-cli.bin")

	p := newBrowser(t, s.web)
	p.login("jack", "correct horse battery")
	p.waitRow("from-cli.bin")
	p.click(`#rows tr[data-name="from-cli.bin"] button.open`)
	p.waitFor(`/^[0-9a-f]{64}$/.test(document.getElementById('details-digest').textContent)`)
	if got, want := p.text("#details-digest"), blake3Hex(readFile(t, fromCLI)); got != want {
		t.Errorf("the page shows digest %s for the CLI's file, want %s", got, want)
	}
	n := eval[int](p, `fetch('/dl/from-cli.bin').then(r => r.arrayBuffer()).then(b => b.byteLength)`)
	if n != 2<<20+3 {
		t.Errorf("the page downloaded %d bytes", n)
	}

	fromPage := writeFile(t, dir, "from-page.bin", 5<<20+1, 2)
	p.upload(fromPage)
	p.waitUpload("from-page.bin", "done")
	back := filepath.Join(t.TempDir(), "back.bin")
	c.ok("", "get", "from-page.bin", back)
	sameBytes(t, "the page's file fetched by the client", readFile(t, back), readFile(t, fromPage))

	// A partial the page left is the client's to finish (and the other way).
	out := c.ok("", "uploads")
	if strings.Contains(out, "from-page.bin") {
		t.Errorf("a finished page upload is still listed as unfinished:\n%s", out)
	}
}

// Refusals read as sentences in the page's language, never as a status.
func TestRefusalsInWords(t *testing.T) {
	s := startServer(t)
	p := newBrowser(t, s.web)
	p.register("kate", "correct horse battery")
	p.click("#logout")
	p.waitFor(`!document.getElementById('login-view').hidden`)

	p.fill("#login-user", "kate")
	p.fill("#login-password", "wrong password here")
	p.click("#login-submit")
	p.waitFor(`document.getElementById('login-error').textContent !== ''`)
	if got := p.text("#login-error"); got != "Wrong user name or password." {
		t.Errorf("wrong password says %q", got)
	}

	// In Chinese.
	p.do(chromedpSetSelect("#lang", "zh-CN"))
	p.waitFor(`document.getElementById('login-title').textContent === '登录'`)
	p.click("#login-submit")
	p.waitFor(`document.getElementById('login-error').textContent === '用户名或密码错误。'`)
	if got := eval[string](p, `document.documentElement.lang`); got != "zh-CN" {
		t.Errorf("html lang = %q", got)
	}
	p.do(chromedpSetSelect("#lang", "en"))

	p.login("kate", "correct horse battery")
	// A quota of 1 MiB: a 2 MiB upload is refused as a full space.
	if err := s.d.Users.Update(context.Background(), "kate", func(u *users.User) error { u.QuotaBytes = 1 << 20; return nil }); err != nil {
		t.Fatal(err)
	}
	p.upload(writeFile(t, t.TempDir(), "huge.bin", 2<<20, 1))
	line := p.waitUpload("huge.bin", "error")
	if !strings.Contains(line, "Your space is full") {
		t.Errorf("over quota, the upload says %q", line)
	}

	// A name the server refuses.
	p.click("#new-folder")
	p.fill("#dialog-input", "a\\b")
	p.click("#dialog-ok")
	p.waitFor(`document.getElementById('dialog-error').textContent !== ''`)
	if got := p.text("#dialog-error"); !strings.Contains(got, "not allowed") {
		t.Errorf("a bad name says %q", got)
	}
	p.click("#dialog-cancel")

	// The session ended elsewhere (the password changed from another
	// browser): the next action sends the page back to the login form
	// with the reason.
	other := newBrowser(t, s.web)
	other.login("kate", "correct horse battery")
	other.click("#passwd")
	other.fill("#passwd-old", "correct horse battery")
	other.fill("#passwd-new", "another good password")
	other.fill("#passwd-confirm", "another good password")
	other.click("#passwd-ok")
	other.waitFor(`document.getElementById('status').textContent.includes('Password changed')`)
	p.click("#new-folder")
	p.fill("#dialog-input", "later")
	p.click("#dialog-ok")
	p.waitFor(`!document.getElementById('login-view').hidden`)
	if got := p.text("#login-error"); !strings.Contains(got, "session has ended") {
		t.Errorf("after the session ended the page says %q", got)
	}
	for _, l := range p.pageLogs() {
		if strings.Contains(l, "Content Security Policy") {
			t.Errorf("the page broke its own CSP: %s", l)
		}
	}
}

// The keyboard alone: / to filter, arrows to move, F2 to rename, Delete
// to delete, Enter to open a folder and Backspace to go up.
func TestKeyboardOnly(t *testing.T) {
	s := startServer(t)
	p := newBrowser(t, s.web)
	p.register("olga", "correct horse battery")
	dir := t.TempDir()
	writeFile(t, dir, "books/b1.txt", 10, 1)
	dropFiles(p, "#drive-view", filepath.Join(dir, "books"), writeFile(t, dir, "bread.txt", 10, 2), writeFile(t, dir, "apple.txt", 10, 3))
	p.waitUpload("apple.txt", "done")
	p.waitUpload("bread.txt", "done")
	p.waitUpload("books/b1.txt", "done")
	p.click("#new-folder")
	p.fill("#dialog-input", "boxes")
	p.click("#dialog-ok")
	p.waitRow("boxes")
	p.waitRow("apple.txt")

	key := func(k string) { p.do(chromedp.KeyEvent(k)) }
	p.do(chromedp.Focus(chromedp.CSS(`#files th[data-sort="name"] button`)))
	p.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		// One keyDown carrying its text, as a keyboard sends it (the
		// page's preventDefault then keeps the "/" out of the filter).
		if _, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyDown, Key: "/", Code: "Slash", Text: "/", WindowsVirtualKeyCode: 191}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: "/", Code: "Slash", WindowsVirtualKeyCode: 191})
		return err
	}))
	p.waitFor(`document.activeElement.id === 'filter'`)
	key("br")
	p.waitFor(`document.querySelectorAll('#rows tr').length === 1`)
	key(kb.ArrowDown)
	p.waitFor(`document.querySelector('#rows tr.selected')?.dataset.name === 'bread.txt'`)
	key(kb.F2)
	p.waitFor(`document.getElementById('dialog').open && document.getElementById('dialog-input').value === 'bread.txt'`)
	p.do(chromedp.SetValue(chromedp.CSS("#dialog-input"), "toast.txt"))
	key(kb.Enter)
	p.waitFor(`!document.getElementById('dialog').open`)
	p.waitFor(`document.getElementById('filter').value === 'br' && document.querySelectorAll('#rows tr').length === 0`)
	s.stored("olga", "toast.txt")

	// The renamed row stays the current one. Clear the filter, go up to
	// apple.txt (folders first: books, boxes; then apple.txt, toast.txt),
	// delete it.
	p.do(chromedp.Focus(chromedp.CSS("#filter")))
	key(kb.Escape)
	p.waitFor(`document.querySelectorAll('#rows tr').length === 4`)
	p.do(chromedp.Focus(chromedp.CSS(`#rows tr[data-name="toast.txt"] button.open`)))
	key(kb.ArrowUp)
	p.waitFor(`document.querySelector('#rows tr.selected')?.dataset.name === 'apple.txt'`)
	key(kb.Delete)
	p.waitFor(`document.getElementById('dialog').open`)
	key(kb.Enter)
	p.waitFor(`!document.querySelector('#rows tr[data-name="apple.txt"]')`)
	if _, err := os.Stat(s.file("olga", "apple.txt")); !os.IsNotExist(err) {
		t.Errorf("apple.txt still stored: %v", err)
	}

	// The focus is on the row after the deleted one.
	p.waitFor(`document.activeElement.closest('tr')?.dataset.name === 'toast.txt'`)

	// Into books with Enter, back with Backspace.
	key(kb.ArrowUp + kb.ArrowUp + kb.ArrowUp + kb.ArrowUp)
	p.waitFor(`document.querySelector('#rows tr.selected')?.dataset.name === 'books'`)
	key(kb.Enter)
	p.waitRow("b1.txt")
	p.do(chromedp.Focus(chromedp.CSS(`#files th[data-sort="name"] button`)))
	key(kb.Backspace)
	p.waitRow("books")
	p.waitRow("boxes")
}
