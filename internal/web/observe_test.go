package web_test

import (
	"maps"
	"net/http"
	"sync"
	"testing"
	"time"
)

// countingMetrics records what the web handler counts: requests as
// "type code", bytes as "direction".
type countingMetrics struct {
	mu       sync.Mutex
	requests map[string]int
	bytes    map[string]int64
}

func (m *countingMetrics) Request(front, typ, code string, took time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if front != "web" || took < 0 {
		panic("front " + front)
	}
	m.requests[typ+" "+code]++
}

func (m *countingMetrics) Transferred(front, direction string, n int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if front != "web" {
		panic("front " + front)
	}
	m.bytes[direction] += n
}

func (m *countingMetrics) snapshot() (map[string]int, map[string]int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.requests), maps.Clone(m.bytes)
}

// TestMetricsCountRequestsAndBytes: each request is counted once by its
// operation and outcome; the bytes of an upload sent in several chunks,
// one of them sent twice (the first attempt cut short), count what
// arrived, and a download what went out.
func TestMetricsCountRequestsAndBytes(t *testing.T) {
	s := newSite(t, false)
	anon := s.browser()
	anon.refused(anon.get("/api/list?path="), http.StatusUnauthorized, "not_logged_in")
	anon.must(anon.get("/no/such/route"), http.StatusNotFound)

	b := s.loggedIn("ann") // registers and logs in
	data := randomData(2<<20+5, 7)
	u := b.tusCreate("big.bin", len(data))
	half := 1 << 20
	b.must(b.tusPatch(u, 0, data[:half]), http.StatusNoContent)
	// A chunk at the wrong offset moves no byte.
	if r := b.tusPatch(u, 0, data[:half]); r.StatusCode == http.StatusNoContent {
		t.Fatalf("a chunk at offset 0 after %d bytes was taken", half)
	}
	b.must(b.tusPatch(u, half, data[half:]), http.StatusNoContent)
	b.must(b.commit("big.bin", data), http.StatusOK)
	r := b.get("/dl/big.bin")
	b.must(r, http.StatusOK)
	if len(r.body) != len(data) {
		t.Fatalf("downloaded %d bytes of %d", len(r.body), len(data))
	}

	requests, bytes := s.metrics.snapshot()
	for key, want := range map[string]int{
		"list not_logged_in":    1,
		"other not_found":       1,
		"register ok":           1,
		"login ok":              1,
		"tus_create ok":         1,
		"tus_patch ok":          2,
		"tus_patch bad_request": 1, // tusd's offset mismatch
		"commit ok":             1,
		"download ok":           1,
	} {
		if requests[key] != want {
			t.Errorf("requests %q = %d, want %d (all: %v)", key, requests[key], want, requests)
		}
	}
	if want := map[string]int64{"up": int64(len(data)), "down": int64(len(data))}; !maps.Equal(bytes, want) {
		t.Errorf("bytes %v, want %v", bytes, want)
	}
}
