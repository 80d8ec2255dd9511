package browsertest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axe-core, vendored by web/build.sh (pinned, checksummed); injected into
// the page by the test only.
//
//go:embed testdata/axe.min.js
var axeSource string

var screenshots = flag.String("screenshots", "", "also write the page's screenshots (PNG) into this folder (the README's: ../../docs/screenshots)")

// colorScheme makes the page see a light or dark system preference.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// audit runs axe-core (WCAG 2 A and AA rules) on the page as it is and
// fails the test for every serious or critical violation.
func (p *page) audit(what string) {
	p.t.Helper()
	if !eval[bool](p, `typeof axe !== 'undefined'`) {
		eval[bool](p, axeSource+"\n;true")
	}
	raw := eval[string](p, `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))`)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		p.t.Fatal(err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, fmt.Sprint(n.Target...))
			}
			p.t.Errorf("%s: %s (%s): %s at %s", what, v.ID, v.Impact, v.Help, strings.Join(where, "; "))
		}
	}
}

// The page passes axe-core's WCAG 2.1 A/AA rules with no serious or
// critical finding, light and dark, logged out and in, with files,
// uploads, details and a dialog showing; its screenshots are taken at
// desktop and phone sizes.
func TestAccessibleAndScreenshots(t *testing.T) {
	s := startServer(t)
	p := newBrowser(t, s.web)
	shots := map[string][]byte{}
	shoot := func(name string) {
		b, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		shots[name] = b
	}

	for _, scheme := range []string{"light", "dark"} {
		p.do(colorScheme(scheme))
		p.audit("login page, " + scheme)
	}
	p.do(colorScheme("light"))
	shoot("login")

	p.register("lena", "correct horse battery")
	dir := t.TempDir()
	writeFile(t, dir, "photos/2024/lake.jpg", 350000, 1)
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("# Trip notes\n\nDay 1: the lake.\nDay 2: the hills.\n"), 0o644)
	dropFiles(p, "#drive-view",
		filepath.Join(dir, "photos"),
		writeFile(t, dir, "报告.pdf", 120000, 2),
		writeFile(t, dir, "video.mp4", 3<<20, 3),
		filepath.Join(dir, "README.md"))
	p.waitUpload("video.mp4", "done")
	p.waitUpload("README.md", "done")
	p.click("#new-folder")
	p.fill("#dialog-input", "Documents")
	p.click("#dialog-ok")
	p.waitRow("Documents")
	p.click(`#rows tr[data-name="README.md"] button.open`)
	p.waitFor(`!!document.querySelector('#preview pre')`)
	p.waitFor(`/^[0-9a-f]{64}$/.test(document.getElementById('details-digest').textContent)`)

	for _, scheme := range []string{"light", "dark"} {
		p.do(colorScheme(scheme))
		p.audit("files, " + scheme)
		shoot("files-" + scheme)
	}
	p.do(colorScheme("light"))
	p.click("#new-folder")
	p.audit("dialog")
	p.click("#dialog-cancel")

	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for _, scheme := range []string{"light", "dark"} {
		p.do(colorScheme(scheme))
		p.audit("phone, " + scheme)
		shoot("phone-" + scheme)
	}
	if w := eval[int](p, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("on a phone the page is %d px wide: it scrolls sideways", w)
	}

	for name, b := range shots {
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if img.Bounds().Dx() < 390 || img.Bounds().Dy() < 400 {
			t.Errorf("screenshot %s is %v", name, img.Bounds())
		}
		if *screenshots != "" {
			if err := os.MkdirAll(*screenshots, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(*screenshots, name+".png"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Another user's upload id is refused from a real page, whatever the
// method.
func TestOtherUsersUploadRefused(t *testing.T) {
	s := startServer(t)
	a := newBrowser(t, s.web)
	a.register("mona", "correct horse battery")
	a.upload(writeFile(t, t.TempDir(), "secret.bin", 1000, 1))
	a.waitUpload("secret.bin", "done")
	id := eval[string](a, `fetch('/api/upload?path=secret.bin&size=1000').then(r => r.json()).then(j => j.id)`)
	if !strings.HasPrefix(id, "mona.") {
		t.Fatalf("upload id %q", id)
	}

	b := newBrowser(t, s.web)
	b.register("nick", "correct horse battery")
	csrf := eval[string](b, `fetch('/api/session').then(r => r.json()).then(j => j.csrf)`)
	for _, method := range []string{"HEAD", "PATCH", "DELETE"} {
		status := eval[int](b, fmt.Sprintf(`fetch('/tus/%s', {method: %q, headers: {'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'X-CSRF-Token': %q}, body: %s}).then(r => r.status)`,
			id, method, csrf, map[bool]string{true: "'x'", false: "undefined"}[method == "PATCH"]))
		if status != 403 {
			t.Errorf("%s of another user's upload: status %d, want 403", method, status)
		}
	}
	sameBytes(t, "mona's file", s.stored("mona", "secret.bin"), readFile(t, filepath.Join(filepath.Dir(s.file("mona", "secret.bin")), "secret.bin")))
}
