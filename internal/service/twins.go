package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"netdisk/internal/storage"
)

// Unicode twins. Everything netdisk creates is in NFC, so a name that
// differs from an existing one only in Unicode form can only meet a name
// made outside netdisk (by hand on the server, or restored from a backup);
// the two would look identical to the user, so creating the second is
// refused. Finding such twins by reading the whole folder for every new
// name made filling a folder cost n² entries read (187 s for 20,000
// Chinese names, against 3.6 s for ASCII ones). Instead the service keeps,
// per folder, the names in it that are not NFC (keyed by their NFC form),
// read once, together with the folder's identity (inode and modification
// time). A folder changed by anyone else shows a new modification time
// and is read again; netdisk's own changes only ever add NFC names, so
// they update the identity kept without reading the folder. A change from
// outside that falls within the same clock tick as one of netdisk's own
// (a few milliseconds) can go unseen until the folder changes again.

// maxTwinFolders bounds the folders remembered; past it, some are
// forgotten (and read again when next needed).
const maxTwinFolders = 10_000

// twinIndex remembers the non-NFC names of folders.
type twinIndex struct {
	mu      sync.Mutex
	folders map[string]*twinFolder // user + "\x00" + folder path
}

// twinFolder is what is known of one folder. mu is held for reading while
// a name is checked against it, and for writing while netdisk itself
// changes the folder, so a check never sees the folder changed but its
// identity not yet updated.
type twinFolder struct {
	mu    sync.RWMutex
	id    uint64
	mtime time.Time
	read  bool              // twins is filled
	twins map[string]string // NFC form → the name as it is on disk
}

func twinKey(user, dir string) string { return user + "\x00" + dir }

// folder returns the entry of dir, made empty if new.
func (x *twinIndex) folder(user, dir string) *twinFolder {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.folders == nil {
		x.folders = make(map[string]*twinFolder)
	}
	key := twinKey(user, dir)
	f, ok := x.folders[key]
	if !ok {
		if len(x.folders) >= maxTwinFolders {
			x.forgetSome()
		}
		f = &twinFolder{}
		x.folders[key] = f
	}
	return f
}

// forgetSome drops a tenth of the folders. Called with x.mu held.
func (x *twinIndex) forgetSome() {
	n := len(x.folders) / 10
	for k := range x.folders { // map order is random enough
		if n == 0 {
			return
		}
		delete(x.folders, k)
		n--
	}
}

// check refuses name in dir (a clean path, known not to exist byte for
// byte) if dir holds another name with the same NFC form.
func (x *twinIndex) check(ctx context.Context, user string, sp storage.Space, dir, name string) error {
	if !mayHaveTwin(name) {
		return nil
	}
	f := x.folder(user, dir)
	// The folder is looked at under the lock, so a change of netdisk's
	// cannot land between the look and the comparison.
	f.mu.RLock()
	info, err := sp.Stat(ctx, dir)
	fresh := err == nil && f.read && f.id == info.ID && f.mtime.Equal(info.ModTime)
	twin := f.twins[name]
	f.mu.RUnlock()
	if err != nil || !info.IsDir {
		return nil // a missing parent is reported by the operation itself
	}
	if !fresh {
		if twin, err = f.reread(ctx, sp, dir, name); err != nil {
			return nil // the operation meets the same trouble and says so
		}
	}
	if twin != "" && twin != name {
		return fmt.Errorf("%w: %q", ErrNameCollision, twin)
	}
	return nil
}

// reread reads dir again and returns the twin of name, if any.
func (f *twinFolder) reread(ctx context.Context, sp storage.Space, dir string, name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	info, err := sp.Stat(ctx, dir)
	if err != nil {
		return "", err
	}
	if f.read && f.id == info.ID && f.mtime.Equal(info.ModTime) {
		return f.twins[name], nil // reread by another check meanwhile
	}
	twins := make(map[string]string)
	err = sp.List(ctx, dir, func(page []storage.Info) error {
		for _, e := range page {
			if !norm.NFC.IsNormalString(e.Name) {
				twins[norm.NFC.String(e.Name)] = e.Name
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	f.id, f.mtime, f.twins, f.read = info.ID, info.ModTime, twins, true
	return twins[name], nil
}

// touch is a folder of a user that a change of netdisk's adds names to.
type touch struct {
	user string
	sp   storage.Space
	dir  string
}

// changing runs op, a change netdisk makes in the folders dirs of user
// that adds only NFC names (mkdir, the destination of a move), then takes
// the folders' new identities as known: their twins are unchanged.
func (x *twinIndex) changing(ctx context.Context, user string, sp storage.Space, dirs []string, op func() error) error {
	touches := make([]touch, len(dirs))
	for i, d := range dirs {
		touches[i] = touch{user: user, sp: sp, dir: d}
	}
	return x.changingAll(ctx, touches, op)
}

// changingAll is changing for folders of several users (a batch of
// commits). Folders not remembered are left alone.
func (x *twinIndex) changingAll(ctx context.Context, touches []touch, op func() error) error {
	type held struct {
		key string
		t   touch
		f   *twinFolder
	}
	var hs []held
	x.mu.Lock()
	for _, t := range touches {
		key := twinKey(t.user, t.dir)
		if f, ok := x.folders[key]; ok && !slices.ContainsFunc(hs, func(h held) bool { return h.key == key }) {
			hs = append(hs, held{key, t, f})
		}
	}
	x.mu.Unlock()
	// In key order, so that no two changes wait on each other.
	slices.SortFunc(hs, func(a, b held) int { return strings.Compare(a.key, b.key) })
	for _, h := range hs {
		h.f.mu.Lock()
	}
	err := op()
	for _, h := range hs {
		if info, serr := h.t.sp.Stat(ctx, h.t.dir); serr == nil && h.f.read {
			h.f.id, h.f.mtime = info.ID, info.ModTime
		} else {
			h.f.read = false
		}
		h.f.mu.Unlock()
	}
	return err
}

// forget drops what is known of dir: after netdisk removed or moved away
// a name in it, which may have been a twin.
func (x *twinIndex) forget(user, dir string) {
	x.mu.Lock()
	delete(x.folders, twinKey(user, dir))
	x.mu.Unlock()
}
