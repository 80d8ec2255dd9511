package browsertest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"netdisk/internal/cli"
	"netdisk/internal/daemon"
	"netdisk/internal/digest"
	"netdisk/internal/pgtest"
	"netdisk/internal/s3test"
	"netdisk/internal/storage/cloud"
	"netdisk/internal/testlog"
	"netdisk/internal/users"
)

// browserCtx is one headless Chromium for the whole package; each test
// gets its own browser context in it (its own cookies and storage).
var browserCtx context.Context

func TestMain(m *testing.M) {
	path := chromiumPath()
	if path == "" {
		fmt.Fprintln(os.Stderr, "browsertest: no chromium on this machine; run ./test.sh, which installs it")
		os.Exit(1)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		// The test server's certificate is its own, self-signed.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.WindowSize(1280, 860),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil { // starts it (no timeout here: it would stop the browser)
		fmt.Fprintln(os.Stderr, "browsertest: starting chromium:", err)
		os.Exit(1)
	}
	// The first page a fresh Chromium draws can take long (its profile,
	// the font cache): draw one before any test's clock starts.
	warm, cancelWarm := context.WithTimeout(ctx, 3*time.Minute)
	err := chromedp.Do(warm, chromedp.Navigate("data:text/html,<p lang=zh>热身 warm-up</p>"), chromedp.WaitVisible(chromedp.CSS("p")))
	cancelWarm()
	if err != nil {
		fmt.Fprintln(os.Stderr, "browsertest: starting chromium:", err)
		os.Exit(1)
	}
	browserCtx = ctx
	code := m.Run()
	cancel()
	cancelAlloc()
	pgtest.Stop()
	s3test.Stop()
	os.Exit(code)
}

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// server is a real netdisk server (both doors) on 127.0.0.1:0.
type server struct {
	t    testing.TB
	d    *daemon.Daemon
	web  string // https://127.0.0.1:PORT
	data string
	logs *testlog.Buffer
	// cloud is the cloud store the server keeps files in (onCloud); nil:
	// the data folder.
	cloud *daemon.Cloud
}

// onCloud makes startServer keep files in PostgreSQL and a real
// S3-compatible server (--store s3) rather than the data folder.
func onCloud(t testing.TB) func(*daemon.Config) {
	e := s3test.New(t)
	c := &daemon.Cloud{
		PostgresURL: pgtest.New(t),
		S3:          cloud.S3Settings{Endpoint: e.URL, Region: e.Region, AccessKey: e.AccessKey, SecretKey: e.SecretKey},
		Bucket:      e.Bucket,
		Prefix:      "netdisk/",
	}
	return func(cfg *daemon.Config) { cfg.Cloud = c }
}

func startServer(t testing.TB, mod ...func(*daemon.Config)) *server {
	t.Helper()
	logger, logs := testlog.New()
	cfg := daemon.Config{
		DataDir: filepath.Join(t.TempDir(), "data"),
		Listen:  "127.0.0.1:0",
		HTTP:    "127.0.0.1:0",
		Logger:  logger,
		Argon2:  users.Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16},
	}
	for _, m := range mod {
		m(&cfg)
	}
	d, err := daemon.Start(cfg)
	if err != nil {
		t.Fatalf("starting server: %v", err)
	}
	s := &server{t: t, d: d, web: "https://" + d.HTTPAddr.String(), data: cfg.DataDir, logs: logs, cloud: cfg.Cloud}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d.Shutdown(ctx)
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return s
}

// file is the path of a stored file of user on the server's disk.
func (s *server) file(user, path string) string {
	return filepath.Join(s.data, "files", user, filepath.FromSlash(path))
}

// stored reads a stored file, failing the test if it is not there.
func (s *server) stored(user, path string) []byte {
	s.t.Helper()
	if s.cloud != nil {
		return s.storedInCloud(user, path)
	}
	b, err := os.ReadFile(s.file(user, path))
	if err != nil {
		s.t.Fatalf("stored file %s of %s: %v", path, user, err)
	}
	return b
}

// page is one tab of a browser context.
type page struct {
	t    testing.TB
	ctx  context.Context
	base string

	downloads string // where downloadsTo saves

	mu   sync.Mutex
	logs []string // exceptions, console errors and browser log entries
}

// watch records what the page reports (errors, CSP violations), shown
// when the test fails.
func (p *page) watch() {
	p.t.Helper()
	err := chromedp.Listen(p.ctx, func(ev any) {
		var line string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			line = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				line += " " + e.ExceptionDetails.Exception.Description
			}
			line += fmt.Sprintf(" (%s:%d)", e.ExceptionDetails.URL, e.ExceptionDetails.LineNumber+1)
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError && e.Type != runtime.ConsoleAPICalledTypeWarning {
				return
			}
			line = "console." + string(e.Type) + ":"
			for _, a := range e.Args {
				line += " " + string(a.Value) + a.Description
			}
		case *cdplog.EventEntryAdded:
			line = "log " + string(e.Entry.Level) + ": " + e.Entry.Text + " " + e.Entry.URL
		default:
			return
		}
		p.mu.Lock()
		p.logs = append(p.logs, line)
		p.mu.Unlock()
	})
	if err != nil {
		p.t.Fatal(err)
	}
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdplog.Enable, cdp.Empty{})
		return err
	}))
	p.t.Cleanup(func() {
		if p.t.Failed() {
			p.mu.Lock()
			defer p.mu.Unlock()
			for _, l := range p.logs {
				p.t.Logf("page: %s", l)
			}
		}
	})
}

// pageLogs returns what the page reported so far.
func (p *page) pageLogs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.logs...)
}

// newBrowser opens a fresh browser context (no cookies) with one tab.
func newBrowser(t testing.TB, base string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &page{t: t, ctx: ctx, base: base}
	p.watch()
	p.do(chromedp.Navigate(base + "/"))
	p.waitReady()
	return p
}

// newTab opens another tab in p's browser context (it shares the cookies).
func (p *page) newTab() (*page, context.CancelFunc) {
	ctx, cancel := chromedp.NewContext(p.ctx)
	q := &page{t: p.t, ctx: ctx, base: p.base}
	q.watch()
	q.do(chromedp.Navigate(p.base + "/"))
	q.waitReady()
	return q, cancel
}

// timeout bounds every step: a page that never shows what a test waits
// for fails the test instead of hanging it.
const timeout = 30 * time.Second

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

// eval runs JavaScript in the page (awaiting a promise) and returns its value.
func eval[T any](p *page, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluating %.80q: %v", js, err)
	}
	return v
}

// waitFor waits until the expression is true.
func (p *page) waitFor(js string) {
	p.t.Helper()
	p.waitForWithin(js, timeout)
}

// waitForWithin is waitFor with its own time limit.
func (p *page) waitForWithin(js string, limit time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, limit)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		p.t.Fatalf("waiting for %s: %v (%s)", js, err, p.situation())
	}
}

// situation describes the page for a failure message: where it is, what
// is selected and focused, and its status line.
func (p *page) situation() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({hash: location.hash, rows: [...document.querySelectorAll('#rows tr')].map(r => (r.classList.contains('selected') ? '*' : '') + r.dataset.name), focus: document.activeElement && document.activeElement.outerHTML.slice(0, 80), dialog: !!document.querySelector('dialog[open]'), status: document.getElementById('status').textContent})`))
	return s
}

func (p *page) statusText() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('status').textContent`))
	return s
}

func (p *page) waitReady() {
	p.t.Helper()
	p.waitFor(`document.body.dataset.ready === 'true'`)
}

func (p *page) text(sel string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`document.querySelector(%q).textContent`, sel))
}

func (p *page) fill(sel, value string) {
	p.t.Helper()
	p.do(chromedp.SetValue(chromedp.CSS(sel), value), chromedp.SendKeys(chromedp.CSS(sel), ""))
}

func (p *page) click(sel string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	for {
		err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)))
		if err == nil {
			return
		}
		// The page may draw the element anew between finding it and
		// clicking it (a listing refreshed after an upload or a new
		// folder): then find it again.
		if !strings.Contains(err.Error(), "Could not find node with given id") || ctx.Err() != nil {
			p.t.Fatalf("clicking %s: %v (rows: %v; status line: %q)", sel, err, p.rows(), p.statusText())
		}
	}
}

// register creates an account through the page and ends logged in.
func (p *page) register(user, password string) {
	p.t.Helper()
	p.click("#show-register")
	p.fill("#login-user", user)
	p.fill("#login-password", password)
	p.fill("#register-confirm", password)
	p.click("#register-submit")
	p.waitDrive()
}

func (p *page) login(user, password string) {
	p.t.Helper()
	p.fill("#login-user", user)
	p.fill("#login-password", password)
	p.click("#login-submit")
	p.waitDrive()
}

func (p *page) waitDrive() {
	p.t.Helper()
	p.waitFor(`!document.getElementById('drive-view').hidden && document.getElementById('crumbs').children.length > 0`)
}

// upload picks local files with the file picker.
func (p *page) upload(paths ...string) {
	p.t.Helper()
	p.do(chromedp.SetUploadFiles(chromedp.CSS("#upload-input"), paths))
}

// waitUpload waits for the upload of path to reach state and returns its
// line's text.
func (p *page) waitUpload(path, state string) string {
	p.t.Helper()
	return p.waitUploadWithin(path, state, timeout)
}

func (p *page) waitUploadWithin(path, state string, limit time.Duration) string {
	p.t.Helper()
	sel := fmt.Sprintf(`.upload[data-path=%q]`, path)
	p.waitForWithin(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.dataset.state === %q; })()`, sel, state), limit)
	return p.text(sel)
}

// uploadState reads the state of the upload of path ("" if none).
func (p *page) uploadState(path string) string {
	return eval[string](p, fmt.Sprintf(`(() => { const e = document.querySelector('.upload[data-path=%q]'); return e ? e.dataset.state : ''; })()`, path))
}

// open goes to a folder (a path from the top folder) and waits for its rows.
func (p *page) open(folder string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.base + "/#/" + folder))
	p.waitDrive()
	p.waitFor(fmt.Sprintf(`(() => { const c = document.querySelector('#crumbs [aria-current]'); return !!c && c.textContent === %q; })()`, lastOr(folder, "My files")))
}

func lastOr(p, top string) string {
	if p == "" {
		return top
	}
	return p[strings.LastIndex(p, "/")+1:]
}

// rows lists the names in the listing shown.
func (p *page) rows() []string {
	return eval[[]string](p, `[...document.querySelectorAll('#rows tr')].map(r => r.dataset.name)`)
}

func (p *page) waitRow(name string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf(`!!document.querySelector('#rows tr[data-name=%q]')`, name))
}

// selectRows makes the selection exactly names, ticking and unticking
// the rows' check boxes as a person would.
func (p *page) selectRows(names ...string) {
	p.t.Helper()
	checked := eval[[]string](p, `[...document.querySelectorAll('#rows tr')].filter(r => r.querySelector('input[type=checkbox]').checked).map(r => r.dataset.name)`)
	for _, n := range checked {
		if !slices.Contains(names, n) {
			p.click(fmt.Sprintf(`#rows tr[data-name=%q] input[type=checkbox]`, n))
		}
	}
	for _, n := range names {
		if !slices.Contains(checked, n) {
			p.click(fmt.Sprintf(`#rows tr[data-name=%q] input[type=checkbox]`, n))
		}
	}
}

// downloadsTo makes the browser save downloads into dir, named by GUID.
func (p *page) downloadsTo(dir string) {
	p.t.Helper()
	p.downloads = dir
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior:         browser.SetDownloadBehaviorBehaviorAllowAndName,
			DownloadPath:     dir,
			EventsEnabled:    ptr(true),
			BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
		})
		return err
	}))
}

// download clicks sel and returns the path of the file the download it
// starts was saved as, once the browser reports it complete (within limit).
func (p *page) download(sel string, limit time.Duration) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, limit)
	defer cancel()
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress) // subscribed before the click
	p.click(sel)
	for ev, err := range progress {
		if err != nil {
			p.t.Fatalf("waiting for the download of %s: %v", sel, err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			return filepath.Join(p.downloads, ev.GUID)
		case browser.DownloadProgressStateCanceled:
			p.t.Fatalf("the browser cancelled the download of %s", sel)
		}
	}
	p.t.Fatalf("no download of %s finished", sel)
	return ""
}

func ptr[T any](v T) *T { return &v }

// writeFile writes a local file of n pseudo-random bytes (seeded) and
// returns its path.
func writeFile(t testing.TB, dir, name string, n int, seed byte) string {
	t.Helper()
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func blake3Hex(b []byte) string {
	sum := digest.Sum(b)
	return hex.EncodeToString(sum[:])
}

func sameBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes differ from the %d expected", what, len(got), len(want))
	}
}

// proxy stands between the browser and the server's web port, as a
// network would: it can slow or damage request bodies on their way. It
// speaks HTTPS itself and keeps the Host the browser used, so the server
// sees the same origin as the page.
type proxy struct {
	srv *httptest.Server
	// patchBody, if set, wraps the body of each tus PATCH.
	patchBody atomic.Pointer[func(io.Reader) io.Reader]
	patched   atomic.Int64 // bytes of PATCH bodies that went through
}

func newProxy(t testing.TB, s *server) *proxy {
	t.Helper()
	target, _ := url.Parse(s.web)
	px := &proxy{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
			if r.In.Method == http.MethodPatch && r.In.Body != nil {
				var body io.Reader = r.In.Body
				if f := px.patchBody.Load(); f != nil {
					body = (*f)(body)
				}
				r.Out.Body = io.NopCloser(&countingReader{r: body, n: &px.patched})
			}
		},
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the test server's own certificate
		},
		FlushInterval: -1,
	}
	px.srv = httptest.NewTLSServer(rp)
	t.Cleanup(px.srv.Close)
	return px
}

func (px *proxy) url() string { return px.srv.URL }

func (px *proxy) setPatchBody(f func(io.Reader) io.Reader) {
	if f == nil {
		px.patchBody.Store(nil)
		return
	}
	px.patchBody.Store(&f)
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// slowReader lets through at most rate bytes a second.
type slowReader struct {
	r     io.Reader
	rate  int
	start time.Time
	n     int
}

func (s *slowReader) Read(p []byte) (int, error) {
	if s.start.IsZero() {
		s.start = time.Now()
	}
	if len(p) > 64<<10 {
		p = p[:64<<10]
	}
	n, err := s.r.Read(p)
	s.n += n
	if ahead := time.Duration(float64(s.n)/float64(s.rate)*float64(time.Second)) - time.Since(s.start); ahead > 0 {
		time.Sleep(ahead)
	}
	return n, err
}

// flipReader changes one byte at offset at of the stream.
type flipReader struct {
	r   io.Reader
	at  int64
	off int64
}

func (f *flipReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if f.at >= f.off && f.at < f.off+int64(n) {
		p[f.at-f.off] ^= 0xff
	}
	f.off += int64(n)
	return n, err
}

// cliUser runs the command-line client as one person with their own
// configuration folder.
type cliUser struct {
	t      testing.TB
	cfgDir string
	server string
}

var cliMu sync.Mutex // the client reads its settings from the environment

func (s *server) cli(t testing.TB) *cliUser {
	return &cliUser{t: t, cfgDir: t.TempDir(), server: s.d.Addr.String()}
}

func (u *cliUser) run(stdin string, args ...string) (string, string, int) {
	u.t.Helper()
	cliMu.Lock()
	defer cliMu.Unlock()
	u.t.Setenv("NETDISK_CONFIG_DIR", u.cfgDir)
	u.t.Setenv("NETDISK_SERVER", u.server)
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func (u *cliUser) ok(stdin string, args ...string) string {
	u.t.Helper()
	out, errs, code := u.run(stdin, args...)
	if code != 0 {
		u.t.Fatalf("netdisk %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dropFiles drags local files and folders onto the element, as a person
// drags them from a file manager (the browser's own drag and drop, with
// the entries API for folders).
func dropFiles(p *page, sel string, paths ...string) {
	p.t.Helper()
	rect := eval[[]float64](p, fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return [r.x + r.width/2, r.y + Math.min(r.height/2, 200)]; })()`, sel))
	data := &input.DragData{Items: []*input.DragDataItem{}, Files: paths, DragOperationsMask: 1}
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, typ := range []input.DispatchDragEventType{input.DispatchDragEventTypeDragEnter, input.DispatchDragEventTypeDragOver, input.DispatchDragEventTypeDrop} {
			if _, err := cdp.Call(ctx, t, input.DispatchDragEvent, input.DispatchDragEventParams{Type: typ, X: rect[0], Y: rect[1], Data: data}); err != nil {
				return err
			}
		}
		return nil
	}))
}

// chromedpSetFolder picks a folder in a folder picker (input webkitdirectory).
func chromedpSetFolder(sel, dir string) chromedp.Action[chromedp.Void] {
	return chromedp.SetUploadFiles(chromedp.CSS(sel), []string{dir})
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func readFileErr(path string) ([]byte, error) { return os.ReadFile(path) }

// clearUploads empties the page's list of finished uploads.
func clearUploads() chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS("#uploads-clear"))
}

func chromedpNavigate(url string) chromedp.Action[chromedp.Void] { return chromedp.Navigate(url) }

// chromedpSetSelect chooses an option of a select, as a person does
// (the change event fires).
func chromedpSetSelect(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change')); return true; })()`, sel, value))(ctx, t)
		return err
	})
}
