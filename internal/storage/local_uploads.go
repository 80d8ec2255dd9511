package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"

	"netdisk/internal/writeback"
)

// Where partials live inside a user's folder. A resumable partial of target
// is uploadsDir/<id>.part, with id the hex SHA-256 of target, so it is found
// again from the target alone; <id>.json beside it records the target, so
// Uploads can say whose partial it is. Temporary partials have random names.
const (
	uploadsDir = reservedDir + "/uploads"
	tmpDir     = reservedDir + "/tmp"
	partSuffix = ".part"
	infoSuffix = ".json"
	tmpSuffix  = ".tmp"
)

// uploadRecord is the content of a resumable partial's <id>.json.
type uploadRecord struct {
	Target  string    `json:"target"`
	Created time.Time `json:"created"`
	State   []byte    `json:"state,omitempty"` // Upload.SetState, base64
	// StateOf identifies the partial the state was kept with: a partial
	// changed since (behind the store's back, or by a crash that lost
	// the newest record) no longer matches, and its state is not
	// returned.
	StateOf *fileID `json:"state_of,omitempty"`
}

// fileID tells one version of a partial from another: its size, the
// modification time the store stamped it with when it kept its state
// (see upload.stamp) and its inode.
type fileID struct {
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	Inode uint64 `json:"inode"`
}

// idOf identifies the file f as it is now.
func idOf(f *os.File) (*fileID, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	id := &fileID{Size: fi.Size(), MTime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.Inode = st.Ino
	}
	return id, nil
}

// uploadID names the resumable partial of target.
func uploadID(target string) string {
	sum := sha256.Sum256([]byte(target))
	return hex.EncodeToString(sum[:])
}

// OpenUpload opens, or starts, the resumable partial of target.
func (s *localSpace) OpenUpload(ctx context.Context, target string) (Upload, error) {
	if err := checkEntry(ctx, "upload", target); err != nil {
		return nil, err
	}
	id := uploadID(target)
	key := holdKey(s.user, uploadsDir+"/"+id)
	if !s.store.hold(key) {
		return nil, fsError("upload", target, ErrBusy)
	}
	u, err := s.openResumable(ctx, target, id, key)
	if err != nil {
		s.store.release(key)
		return nil, fsError("upload", target, err)
	}
	return u, nil
}

func (s *localSpace) openResumable(ctx context.Context, target, id, key string) (*upload, error) {
	if err := s.root.MkdirAll(uploadsDir, 0o700); err != nil {
		return nil, err
	}
	partial := path.Join(uploadsDir, id+partSuffix)
	sidecar := path.Join(uploadsDir, id+infoSuffix)
	flag := os.O_RDWR | os.O_CREATE
	rec, err := s.readRecord(sidecar)
	if err != nil || rec.Target != target {
		// Bytes without a record saying they belong to target (a crash
		// between writing the two, or a clash of names) are not resumed.
		flag |= os.O_TRUNC
		rec = uploadRecord{Target: target, Created: time.Now().UTC()}
		if err := s.writeSidecar(sidecar, rec); err != nil {
			return nil, err
		}
	}
	f, err := s.root.OpenFile(partial, flag, 0o600)
	if err != nil {
		return nil, err
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, err
	}
	u := &upload{space: s, ctx: ctx, target: target, file: f, partial: partial, sidecar: sidecar, key: key,
		size: size, flushed: writeback.New(f, size), opened: time.Now()}
	if id, err := idOf(f); err == nil && rec.State != nil && rec.StateOf != nil && *id == *rec.StateOf {
		u.state = rec.State
	}
	return u, nil
}

// writeSidecar replaces the record of a resumable partial: a temporary
// file renamed over it, so a crash leaves the old record or the new, never
// a torn one that would lose the partial. It is not flushed: losing the
// newest record only costs rehashing what the partial holds.
func (s *localSpace) writeSidecar(sidecar string, rec uploadRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	tmp := sidecar + tmpSuffix
	if err := s.root.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return s.root.Rename(tmp, sidecar)
}

// readRecord reads the record of a resumable partial.
func (s *localSpace) readRecord(sidecar string) (uploadRecord, error) {
	var rec uploadRecord
	data, err := s.root.ReadFile(sidecar)
	if err != nil {
		return rec, err
	}
	err = json.Unmarshal(data, &rec)
	return rec, err
}

// TempUpload creates a fresh temporary partial of target.
func (s *localSpace) TempUpload(ctx context.Context, target string) (Upload, error) {
	if err := checkEntry(ctx, "upload", target); err != nil {
		return nil, err
	}
	name := strings.ToLower(rand.Text())
	key := holdKey(s.user, tmpDir+"/"+name)
	if !s.store.hold(key) {
		return nil, fsError("upload", target, ErrBusy) // a 128-bit name clash: never
	}
	partial := path.Join(tmpDir, name+partSuffix)
	f, err := s.root.OpenFile(partial, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		// The first temporary upload of this user makes the folder; the
		// others (one per small file) skip the extra lookups.
		if err = s.root.MkdirAll(tmpDir, 0o700); err == nil {
			f, err = s.root.OpenFile(partial, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		}
	}
	if err != nil {
		s.store.release(key)
		return nil, fsError("upload", target, err)
	}
	return &upload{space: s, ctx: ctx, target: target, file: f, partial: partial, key: key,
		flushed: writeback.New(f, 0), opened: time.Now()}, nil
}

// Uploads describes the resumable partials.
func (s *localSpace) Uploads(ctx context.Context) ([]UploadInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, err := s.root.OpenRoot(uploadsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fsError("list uploads", ".", err)
	}
	defer d.Close()
	names, err := readNames(d, false)
	if err != nil {
		return nil, fsError("list uploads", ".", err)
	}
	var infos []UploadInfo
	for _, name := range names {
		id, ok := strings.CutSuffix(name, infoSuffix)
		if !ok {
			continue
		}
		rec, err := s.readRecord(path.Join(uploadsDir, name))
		if err != nil || uploadID(rec.Target) != id {
			continue // torn or foreign; OpenUpload starts afresh
		}
		fi, err := d.Lstat(id + partSuffix)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		infos = append(infos, UploadInfo{Target: rec.Target, Size: fi.Size(), Updated: fi.ModTime()})
	}
	slices.SortFunc(infos, func(a, b UploadInfo) int { return strings.Compare(a.Target, b.Target) })
	return infos, nil
}

// DiscardUpload removes the resumable partial of target.
func (s *localSpace) DiscardUpload(ctx context.Context, target string) error {
	if err := checkEntry(ctx, "discard upload", target); err != nil {
		return err
	}
	id := uploadID(target)
	key := holdKey(s.user, uploadsDir+"/"+id)
	if !s.store.hold(key) {
		return fsError("discard upload", target, ErrBusy)
	}
	defer s.store.release(key)
	err := s.root.Remove(path.Join(uploadsDir, id+partSuffix))
	if e := s.root.Remove(path.Join(uploadsDir, id+infoSuffix)); e != nil && !errors.Is(e, fs.ErrNotExist) && err == nil {
		err = e
	}
	if err != nil {
		return fsError("discard upload", target, err)
	}
	return nil
}

// checkTarget says why a partial cannot become target, if it cannot.
func (s *localSpace) checkTarget(target string) error {
	fi, err := s.root.Lstat(target)
	switch {
	case err == nil && fi.IsDir():
		return ErrIsDir
	case err == nil, !errors.Is(err, fs.ErrNotExist):
		return err
	}
	parent, err := s.root.Stat(path.Dir(target))
	switch {
	case err != nil:
		return err
	case !parent.IsDir():
		return ErrNotDir
	}
	return nil
}

// syncDir makes the renames in dir durable.
func (s *localSpace) syncDir(dir string) error {
	f, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
