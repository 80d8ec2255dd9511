package users

import "testing"

// TestHistoryBase rebuilds the state of a version from the values later
// changes replaced, and forgets versions older than what it keeps.
func TestHistoryBase(t *testing.T) {
	h := newHistory()
	cur := map[string]User{"alice": {Name: "alice", QuotaBytes: 1}}
	h.addVersion("v0", 0)
	// Generation 1: bob added, alice's quota 1 → 2.
	h.gen++
	h.record(h.gen, "bob", User{})
	h.record(h.gen, "alice", User{Name: "alice", QuotaBytes: 1})
	cur["bob"] = User{Name: "bob"}
	cur["alice"] = User{Name: "alice", QuotaBytes: 2}
	h.addVersion("v1", h.gen)

	base := h.base("v0", cur)
	if u, ok := base("alice"); !ok || u.QuotaBytes != 1 {
		t.Errorf("alice in v0 = %+v, %v; want quota 1", u, ok)
	}
	if _, ok := base("bob"); ok {
		t.Error("bob in v0; he was added after it")
	}
	if u, ok := h.base("v1", cur)("alice"); !ok || u.QuotaBytes != 2 {
		t.Errorf("alice in v1 = %+v, %v; want quota 2", u, ok)
	}
	if h.base("", cur) != nil || h.base("unknown", cur) != nil {
		t.Error("a base for an unknown version")
	}

	// Past maxPast changes, the oldest are dropped, and with them the
	// versions they are needed for.
	for range maxPast {
		h.gen++
		h.record(h.gen, "alice", cur["alice"])
	}
	if h.base("v0", cur) != nil || h.base("v1", cur) != nil {
		t.Error("versions older than the changes kept still have a base")
	}
	if len(h.past) > maxPast || len(h.versions) != 0 || len(h.order) != 0 {
		t.Errorf("kept %d changes, %d versions (%d in order)", len(h.past), len(h.versions), len(h.order))
	}
	h.addVersion("v2", h.gen)
	if h.base("v2", cur) == nil {
		t.Error("no base for the newest version")
	}
	for i := range maxVersions + 10 {
		h.gen++
		h.addVersion(newMark(), h.gen+int64(i))
	}
	if len(h.versions) > maxVersions || len(h.order) != len(h.versions) {
		t.Errorf("%d versions, %d in order; want at most %d", len(h.versions), len(h.order), maxVersions)
	}
}
