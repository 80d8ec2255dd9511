package web_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// put stores data at path through tus and a verified commit.
func (b *browser) put(path string, data []byte) {
	b.t.Helper()
	u := b.tusCreate(path, len(data))
	if len(data) > 0 {
		b.must(b.tusPatch(u, 0, data), http.StatusNoContent)
	}
	b.must(b.commit(path, data), http.StatusOK)
}

type listing struct {
	Path    string
	Entries []struct {
		Name string
		Kind string
		Size int64
	}
	Error *struct{ Code string }
}

// TestFileOperations: list, mkdir, rename, move several, remove several,
// usage; each batch reports per item.
func TestFileOperations(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("oli")
	b.must(b.post("/api/mkdir", map[string]string{"path": "docs"}), http.StatusNoContent)
	b.refused(b.post("/api/mkdir", map[string]string{"path": "docs"}), http.StatusConflict, "exists")
	b.put("a.txt", []byte("aaa"))
	b.put("b.txt", []byte("bbbb"))
	b.put("docs/c.txt", []byte("c"))

	var l listing
	b.decode(b.get("/api/list?path="), http.StatusOK, &l)
	var names []string
	for _, e := range l.Entries {
		names = append(names, e.Name+":"+e.Kind)
	}
	slices.Sort(names)
	if strings.Join(names, " ") != "a.txt:file b.txt:file docs:dir" || l.Error != nil {
		t.Errorf("list: %v %+v", names, l.Error)
	}
	b.refused(b.get("/api/list?path=nope"), http.StatusNotFound, "not_found")

	var res struct {
		Results []struct{ Path, From, Code string }
	}
	b.decode(b.post("/api/mv", map[string]any{"moves": []map[string]string{
		{"from": "a.txt", "to": "docs/a.txt"}, {"from": "b.txt", "to": "docs/c.txt"}, {"from": "docs/c.txt", "to": "renamed.txt"},
	}}), http.StatusOK, &res)
	if len(res.Results) != 3 || res.Results[0].Code != "" || res.Results[1].Code != "exists" || res.Results[2].Code != "" {
		t.Errorf("mv results %+v", res.Results)
	}
	res.Results = nil
	b.decode(b.post("/api/rm", map[string]any{"paths": []string{"docs", "b.txt", "ghost"}}), http.StatusOK, &res)
	if len(res.Results) != 3 || res.Results[0].Code != "" || res.Results[1].Code != "" || res.Results[2].Code != "not_found" {
		t.Errorf("rm results %+v", res.Results)
	}
	b.decode(b.get("/api/list?path="), http.StatusOK, &l)
	if len(l.Entries) != 1 || l.Entries[0].Name != "renamed.txt" {
		t.Errorf("left: %+v", l.Entries)
	}
	var u struct{ Used, Entries, MaxEntries int64 }
	b.decode(b.get("/api/usage"), http.StatusOK, &u)
	if u.Entries != 1 || u.Used < 1 {
		t.Errorf("usage %+v", u)
	}
}

// TestListLargeFolder: a folder of thousands of entries comes whole, in
// one streamed reply.
func TestListLargeFolder(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("pam")
	dir := filepath.Join(s.data, "files", "pam", "many")
	os.MkdirAll(dir, 0o700)
	for i := range 3000 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d", i)), nil, 0o600)
	}
	var l listing
	b.decode(b.get("/api/list?path=many"), http.StatusOK, &l)
	if len(l.Entries) != 3000 {
		t.Errorf("%d entries", len(l.Entries))
	}
}

// TestRangeDownload: ranges are served (browsers and download managers
// resume with them), tied to the version by its ETag.
func TestRangeDownload(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("quinn")
	data := randomData(1<<20, 6)
	b.put("r.bin", data)
	full := b.must(b.get("/dl/r.bin"), http.StatusOK)
	etag := full.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"b3-`) || full.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("ETag %q, Accept-Ranges %q", etag, full.Header.Get("Accept-Ranges"))
	}
	r := b.do("GET", "/dl/r.bin", nil, map[string]string{"Range": "bytes=1000-1999", "If-Range": etag})
	b.must(r, http.StatusPartialContent)
	if !bytes.Equal(r.body, data[1000:2000]) {
		t.Error("the range's bytes differ")
	}
	b.put("r.bin", randomData(1<<20, 7)) // a new version: the old ETag no longer holds
	r = b.do("GET", "/dl/r.bin", nil, map[string]string{"Range": "bytes=1000-1999", "If-Range": etag})
	if r.StatusCode != http.StatusOK || len(r.body) != 1<<20 {
		t.Errorf("a range of an old version: %d, %d bytes", r.StatusCode, len(r.body))
	}
}

// TestZipFolder: a folder downloads as a zip that extracts to the same
// tree, with the same bytes; names made on the server by other means that
// could escape when extracted are left out.
func TestZipFolder(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("ray")
	tree := map[string][]byte{
		"photos/a.jpg":           randomData(70_000, 8),
		"photos/2026/b.png":      []byte("png"),
		"photos/2026/深/c.txt":    []byte("中文"),
		"photos/empty/.keep":     nil,
		"photos/2026/deep/d/e/f": []byte("f"),
	}
	for p, data := range tree {
		mkdirAll(b, filepath.Dir(p))
		b.put(p, data)
	}
	// A name no netdisk door would accept, made behind its back.
	os.WriteFile(filepath.Join(s.data, "files", "ray", "photos", "bad\\..\\x"), []byte("x"), 0o600)

	r := b.must(b.get("/zip?path=photos"), http.StatusOK)
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "photos.zip") {
		t.Errorf("Content-Disposition %q", cd)
	}
	zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, f := range zr.File {
		if strings.Contains(f.Name, "..") || strings.Contains(f.Name, `\`) || strings.HasPrefix(f.Name, "/") {
			t.Errorf("an entry that could escape: %q", f.Name)
		}
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, _ := f.Open()
		got[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	if len(got) != len(tree) {
		t.Errorf("zip holds %d files, want %d: %v", len(got), len(tree), keys(got))
	}
	for p, data := range tree {
		if !bytes.Equal(got[p], data) {
			t.Errorf("%s: %d bytes in the zip, want %d", p, len(got[p]), len(data))
		}
	}
}

func mkdirAll(b *browser, dir string) {
	parts := strings.Split(dir, "/")
	for i := range parts {
		b.post("/api/mkdir", map[string]string{"path": strings.Join(parts[:i+1], "/")})
	}
}

func keys(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

// TestPreviewTypes: media keep their types for the page's viewers.
func TestPreviewTypes(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("sam")
	for name, want := range map[string]string{"p.png": "image/png", "s.mp3": "audio/mpeg", "v.webm": "video/webm", "d.pdf": "application/pdf", "t.txt": "text/plain; charset=utf-8"} {
		b.put(name, []byte("content"))
		r := b.must(b.get("/view/"+name), http.StatusOK)
		if ct := r.Header.Get("Content-Type"); ct != want {
			t.Errorf("%s: %s, want %s", name, ct, want)
		}
		if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "inline") {
			t.Errorf("%s: %s", name, cd)
		}
	}
}
