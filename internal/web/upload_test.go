package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"netdisk/internal/digest"
	"netdisk/internal/service"
)

func randomData(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// tusCreate starts a tus upload of path and returns its URL (a path).
func (b *browser) tusCreate(path string, size int) string {
	b.t.Helper()
	r := b.do("POST", "/tus/", nil, map[string]string{
		"Tus-Resumable":   "1.0.0",
		"Upload-Length":   strconv.Itoa(size),
		"Upload-Metadata": "path " + base64.StdEncoding.EncodeToString([]byte(path)),
	})
	b.must(r, http.StatusCreated)
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || loc.Path == "" {
		b.t.Fatalf("Location %q", r.Header.Get("Location"))
	}
	return loc.Path
}

func (b *browser) tusPatch(u string, offset int, chunk []byte) response {
	return b.do("PATCH", u, bytes.NewReader(chunk), map[string]string{
		"Tus-Resumable": "1.0.0",
		"Content-Type":  "application/offset+octet-stream",
		"Upload-Offset": strconv.Itoa(offset),
	})
}

func (b *browser) tusOffset(u string) (int, int) {
	r := b.do("HEAD", u, nil, map[string]string{"Tus-Resumable": "1.0.0"})
	off, _ := strconv.Atoi(r.Header.Get("Upload-Offset"))
	return r.StatusCode, off
}

func (b *browser) commit(path string, data []byte) response {
	sum := digest.Sum(data)
	return b.post("/api/commit", map[string]any{"path": path, "size": len(data), "digest": hex.EncodeToString(sum[:]),
		"mtime": time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)})
}

// TestTusUploadVerified: a file sent in chunks with tus is committed only
// with the page's digest, and then reads back the same, with its mtime,
// its digest recorded and shown by stat.
func TestTusUploadVerified(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("ann")
	data := randomData(3<<20+17, 1)
	u := b.tusCreate("big.bin", len(data))
	for off := 0; off < len(data); off += 1 << 20 {
		b.must(b.tusPatch(u, off, data[off:min(off+1<<20, len(data))]), http.StatusNoContent)
	}
	if st, off := b.tusOffset(u); st != http.StatusOK || off != len(data) {
		t.Fatalf("HEAD: %d, offset %d", st, off)
	}
	// Not committed before the digest comes.
	b.refused(b.get("/api/stat?path=big.bin"), http.StatusNotFound, "not_found")
	var c struct {
		Entry  struct{ Size int64 }
		Digest string
	}
	b.decode(b.commit("big.bin", data), http.StatusOK, &c)
	got := b.must(b.get("/dl/big.bin"), http.StatusOK)
	if !bytes.Equal(got.body, data) {
		t.Fatalf("downloaded %d bytes, not the %d sent", len(got.body), len(data))
	}
	var st struct {
		Entry  struct{ MTime time.Time }
		Digest string
	}
	b.decode(b.get("/api/stat?path=big.bin"), http.StatusOK, &st)
	sum := digest.Sum(data)
	if st.Digest != hex.EncodeToString(sum[:]) || !st.Entry.MTime.Equal(time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("stat: digest %s, mtime %v", st.Digest, st.Entry.MTime)
	}
}

// TestTusTamperedRefused: bytes changed on the way (here: the page's
// digest is of other bytes) are not committed; the partial is dropped and
// the old version stays.
func TestTusTamperedRefused(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("bea")
	old := []byte("the old version")
	u := b.tusCreate("f.txt", len(old))
	b.must(b.tusPatch(u, 0, old), http.StatusNoContent)
	b.must(b.commit("f.txt", old), http.StatusOK)

	data := randomData(100_000, 2)
	tampered := bytes.Clone(data)
	tampered[5000] ^= 1
	u = b.tusCreate("f.txt", len(data))
	b.must(b.tusPatch(u, 0, tampered), http.StatusNoContent)
	b.refused(b.commit("f.txt", data), http.StatusUnprocessableEntity, "checksum_mismatch")
	if got := b.must(b.get("/dl/f.txt"), http.StatusOK); !bytes.Equal(got.body, old) {
		t.Errorf("after a refused upload the file is %q", got.body[:min(len(got.body), 40)])
	}
	var st struct{ Held int64 }
	b.decode(b.get("/api/upload?path=f.txt&size="+strconv.Itoa(len(data))), http.StatusOK, &st)
	if st.Held != 0 {
		t.Errorf("the refused bytes are still held: %d", st.Held)
	}
}

// TestTusResume: an interrupted upload is found again by its path and
// size (/api/upload gives its URL, what is held and its digest), and
// continues from there.
func TestTusResume(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("cid")
	data := randomData(2<<20, 3)
	u := b.tusCreate("r.bin", len(data))
	b.must(b.tusPatch(u, 0, data[:700_000]), http.StatusNoContent)

	// A new page, knowing only the file.
	b2 := s.browser()
	b2.csrf = b.csrf
	b2.c.Jar = b.c.Jar
	var st struct {
		URL          string
		Held         int
		PrefixDigest string `json:"prefix_digest"`
	}
	b2.decode(b2.get("/api/upload?path=r.bin&size="+strconv.Itoa(len(data))), http.StatusOK, &st)
	want := digest.Sum(data[:700_000])
	if st.URL != u || st.Held != 700_000 || st.PrefixDigest != hex.EncodeToString(want[:]) {
		t.Fatalf("upload state %+v; want url %s, 700000 held and their digest", st, u)
	}
	if _, off := b2.tusOffset(st.URL); off != 700_000 {
		t.Fatalf("HEAD offset %d", off)
	}
	b2.refused(b2.tusPatch(st.URL, 0, data), http.StatusConflict, "bad_request")
	b2.must(b2.tusPatch(st.URL, 700_000, data[700_000:]), http.StatusNoContent)
	b2.must(b2.commit("r.bin", data), http.StatusOK)
	if got := b2.get("/dl/r.bin"); !bytes.Equal(got.body, data) {
		t.Error("the resumed file differs")
	}
}

// TestTusSharesPartialsWithTheCLI: an upload begun by the other door (the
// service's upload of a path, as a command-line put makes it) is the same
// partial the page resumes, and the page's is the one `netdisk uploads`
// lists.
func TestTusSharesPartialsWithTheCLI(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("dan")
	ctx := context.Background()
	sess, err := s.svc.Login(ctx, "dan", "dan password", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	data := randomData(1<<20, 4)
	up, err := s.svc.OpenUpload(ctx, sess, "shared.bin", int64(len(data)), service.UploadResume)
	if err != nil {
		t.Fatal(err)
	}
	up.Stream(0, bytes.NewReader(data[:300_000]))
	up.Close()
	var st struct {
		URL  string
		Held int
	}
	b.decode(b.get("/api/upload?path=shared.bin&size="+strconv.Itoa(len(data))), http.StatusOK, &st)
	if st.Held != 300_000 {
		t.Fatalf("the page sees %d bytes held, not the other door's 300000", st.Held)
	}
	b.must(b.tusPatch(st.URL, 300_000, data[300_000:600_000]), http.StatusNoContent)
	list, err := s.svc.Uploads(ctx, sess)
	if err != nil || len(list) != 1 || list[0].Target != "shared.bin" || list[0].Size != 600_000 {
		t.Fatalf("uploads: %+v, %v", list, err)
	}
}

// TestTusOtherUsersUpload: tus has no notion of owners; the store refuses
// every request for another user's upload id.
func TestTusOtherUsersUpload(t *testing.T) {
	s := newSite(t, false)
	eve := s.loggedIn("eve")
	fay := s.loggedIn("fay")
	data := randomData(200_000, 5)
	u := fay.tusCreate("private.bin", len(data))
	fay.must(fay.tusPatch(u, 0, data[:100_000]), http.StatusNoContent)

	if st, _ := eve.tusOffset(u); st != http.StatusForbidden {
		t.Errorf("HEAD of another user's upload: %d", st)
	}
	eve.refused(eve.tusPatch(u, 100_000, data[100_000:]), http.StatusForbidden, "not_found")
	eve.refused(eve.do("DELETE", u, nil, map[string]string{"Tus-Resumable": "1.0.0"}), http.StatusForbidden, "not_found")
	if _, off := fay.tusOffset(u); off != 100_000 {
		t.Errorf("the owner's upload was changed: offset %d", off)
	}
	// Nothing landed in eve's folder either.
	if _, err := os.Stat(filepath.Join(s.data, "files", "eve", "private.bin")); err == nil {
		t.Error("a file appeared in eve's folder")
	}
}

// TestTusQuota: an upload larger than the quota is refused at creation,
// with the quota's code.
func TestTusQuota(t *testing.T) {
	s := newSite(t, false)
	b := s.loggedIn("gus")
	setQuota(t, s, "gus", 1<<20)
	r := b.do("POST", "/tus/", nil, map[string]string{
		"Tus-Resumable": "1.0.0", "Upload-Length": strconv.Itoa(2 << 20),
		"Upload-Metadata": "path " + base64.StdEncoding.EncodeToString([]byte("big")),
	})
	b.refused(r, http.StatusInsufficientStorage, "quota_exceeded")
}
