package users

import (
	"crypto/rand"
	"encoding/hex"
	"sort"
)

// history lets the registry read an edited copy of the workbook against
// the version it was made from rather than against the present state. An
// administrator opens the workbook, users register and change passwords
// while the spreadsheet is open, then the administrator saves: the copy
// lacks the new users and holds the old hashes, and only the version it
// came from tells those apart from deliberate removals and resets.
//
// Each workbook the registry writes carries a random mark (versionProp).
// history maps recent marks to the generation of the state they held, and
// keeps the value every change since replaced, from which the state of
// any recent generation can be rebuilt.
type history struct {
	gen      int64 // of the committed state: +1 for each change published
	floor    int64 // every change made after generation floor is in past
	past     []pastValue
	versions map[string]*version
	order    []string // marks of versions, oldest first
}

// pastValue is the value one change replaced.
type pastValue struct {
	gen    int64 // the generation the change made
	name   string
	before User // zero (Name "") if the user did not exist
}

// version is one workbook the registry wrote or read.
type version struct {
	gen int64 // of the state it holds
	// edited holds the rows of the last edited copy of this version that
	// differ from it (zero User: the copy lacks the user), so that a
	// second save from the same open spreadsheet is read against the
	// first one.
	edited map[string]User
}

// Bounds on what history keeps. A copy made from a version older than
// that is read as if it held the present state.
const (
	maxPast     = 1 << 14
	maxVersions = 1 << 12
)

func newHistory() *history {
	return &history{versions: make(map[string]*version)}
}

// newMark returns a fresh version mark.
func newMark() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// record notes that the change of generation gen replaced before as the
// value of user name.
func (h *history) record(gen int64, name string, before User) {
	h.past = append(h.past, pastValue{gen: gen, name: name, before: before})
	if len(h.past) <= maxPast {
		return
	}
	drop := len(h.past) / 2
	h.floor = h.past[drop-1].gen
	h.past = append([]pastValue(nil), h.past[drop:]...)
	h.order = h.forget(func(v *version) bool { return v.gen < h.floor })
}

// addVersion notes that the workbook marked mark holds the state of
// generation gen.
func (h *history) addVersion(mark string, gen int64) {
	if mark == "" {
		return
	}
	if _, ok := h.versions[mark]; !ok {
		h.order = append(h.order, mark)
	}
	h.versions[mark] = &version{gen: gen}
	if len(h.order) > maxVersions {
		oldest := h.versions[h.order[0]].gen
		h.order = h.forget(func(v *version) bool { return v.gen <= oldest })
	}
}

// forget removes the versions that match and returns the marks left.
func (h *history) forget(match func(*version) bool) []string {
	kept := h.order[:0]
	for _, mark := range h.order {
		if match(h.versions[mark]) {
			delete(h.versions, mark)
		} else {
			kept = append(kept, mark)
		}
	}
	return kept
}

// base returns the users of the version marked mark (with the edits of
// an earlier save of the same copy), as a lookup over cur, the present
// state. It returns nil if the version is unknown: no mark, a workbook
// the registry did not write, or one older than history reaches.
func (h *history) base(mark string, cur map[string]User) func(name string) (User, bool) {
	v := h.versions[mark]
	if v == nil || v.gen < h.floor {
		return nil
	}
	// The first change made after the version replaced its value.
	first := make(map[string]User)
	start := sort.Search(len(h.past), func(i int) bool { return h.past[i].gen > v.gen })
	for _, p := range h.past[start:] {
		if _, seen := first[p.name]; !seen {
			first[p.name] = p.before
		}
	}
	return func(name string) (User, bool) {
		if u, ok := v.edited[name]; ok {
			return u, u.Name != ""
		}
		if u, ok := first[name]; ok {
			return u, u.Name != ""
		}
		u, ok := cur[name]
		return u, ok
	}
}

// noteEdited remembers the rows of an edited copy of the version marked
// mark that differ from it.
func (h *history) noteEdited(mark string, rows map[string]User) {
	v := h.versions[mark]
	if v == nil || len(rows) == 0 {
		return
	}
	if v.edited == nil {
		v.edited = make(map[string]User, len(rows))
	}
	for name, u := range rows {
		v.edited[name] = u
	}
}
