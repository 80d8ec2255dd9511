package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"time"

	"netdisk/internal/storage"
)

// Upload is one upload in progress. The new bytes go to a partial file
// on the target's disk (see storage.Upload) and replace the target only in
// Commit, once the whole file's SHA-256 matches the sender's; until then the
// old version stays readable. The SHA-256 is computed as the bytes stream
// in, continuing from the hash of the bytes held from an earlier attempt,
// so there is never a second pass over the file.
type Upload struct {
	svc     *Service
	user    string
	target  string
	space   storage.Space
	up      storage.Upload
	size    int64
	held    int64  // bytes held from an earlier attempt, when opened
	prefix  []byte // SHA-256 of those bytes (nil when held is 0)
	hash    hash.Hash
	offset  int64 // where this attempt's bytes start
	written int64 // bytes of this attempt so far
	release func()
	began   bool
	holder  *holder   // set while holding a resumable partial
	digest  []byte    // set by Verify
	mtime   time.Time // set by Verify
}

// UploadMode says what to do with what an earlier attempt left.
type UploadMode int

const (
	// UploadResume keeps the bytes held for the path and hashes them, so
	// the client can check them (Held, PrefixSHA256) and continue.
	UploadResume UploadMode = iota
	// UploadRestart drops the bytes held; the new attempt is resumable.
	UploadRestart
	// UploadOnce writes to a fresh temporary partial that is removed if
	// the attempt fails: for files small enough to send again whole, it
	// saves the bookkeeping of a resumable partial.
	UploadOnce
)

// OpenUpload starts an upload of size bytes to path (see UploadMode). If
// another upload of the same path is in progress, this one gets its own
// fresh partial: both finish, each whole, and the last to commit wins.
func (s *Service) OpenUpload(ctx context.Context, sess *Session, path string, size int64, mode UploadMode) (*Upload, error) {
	if size < 0 {
		return nil, &PathError{Path: path, Reason: "negative size"}
	}
	target, err := CleanTarget(path)
	if err != nil {
		return nil, err
	}
	acct, err := s.account(sess)
	if err != nil {
		return nil, err
	}
	sp, err := s.store.Space(sess.User, true)
	if err != nil {
		return nil, err
	}
	if !s.active.enter(sess.User) {
		sp.Close()
		return nil, fmt.Errorf("%w: %d uploads of yours are in progress already; let some finish", ErrTooMany, MaxUploadsPerUser)
	}
	u := &Upload{svc: s, user: sess.User, target: target, space: sp, size: size, hash: sha256.New()}
	ok := false
	defer func() {
		if !ok {
			u.Close()
		}
	}()
	if err := s.checkUploadTarget(sp, target); err != nil {
		return nil, err
	}
	if mode == UploadOnce {
		u.up, err = sp.TempUpload(target)
	} else {
		u.up, err = s.openResumable(ctx, sp, sess.User, target)
		if errors.Is(err, storage.ErrBusy) {
			mode = UploadOnce
			u.up, err = sp.TempUpload(target)
		} else if err == nil {
			u.holder = s.holders.add(holderKey(sess.User, target))
		}
	}
	if err != nil {
		return nil, err
	}
	if mode != UploadResume || u.up.Size() > size {
		if err := u.up.Truncate(0); err != nil {
			return nil, err
		}
	}
	u.held = u.up.Size()
	if u.held > 0 {
		if _, err := io.Copy(u.hash, io.NewSectionReader(u.up, 0, u.held)); err != nil {
			return nil, fmt.Errorf("reading the unfinished upload: %w", err)
		}
		u.prefix = u.hash.Sum(nil)
	}
	u.release, err = s.quotas.reserve(sess.User, sp, acct.QuotaBytes, size-u.held)
	if err != nil {
		return nil, err
	}
	if err := s.checkSpace(size - u.held); err != nil {
		return nil, err
	}
	ok = true
	return u, nil
}

// spareBytes is disk space kept free beyond every upload, so the registry,
// sessions and logs can still be written when users fill the disk.
const spareBytes = 64 << 20

// checkSpace refuses an upload that cannot fit on the server's disk, before
// any of its bytes are read (quotas are per user; this protects everyone).
func (s *Service) checkSpace(need int64) error {
	avail, err := s.store.Available()
	if err != nil {
		return err
	}
	if need > avail-spareBytes {
		s.logger.Warn("upload refused: disk nearly full", "need", need, "available", avail)
		return fmt.Errorf("%w: this upload needs %d bytes and only %d are free; ask the administrator",
			ErrNoSpace, need, max(avail-spareBytes, 0))
	}
	return nil
}

// checkUploadTarget refuses targets that cannot become files: folders,
// paths under a missing folder or under a file, Unicode twins of an
// existing name.
func (s *Service) checkUploadTarget(sp storage.Space, target string) error {
	info, err := sp.Stat(target)
	switch {
	case err == nil && info.IsDir:
		return fmt.Errorf("%s: %w", target, storage.ErrIsDir)
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	dir, _ := splitPath(target)
	if dir != "." {
		info, err := sp.Stat(dir)
		if err != nil {
			return fmt.Errorf("folder %s: %w", dir, fs.ErrNotExist)
		}
		if !info.IsDir {
			return fmt.Errorf("%s: %w", dir, storage.ErrNotDir)
		}
	}
	return checkTwins(sp, target)
}

// Target is the clean path being uploaded.
func (u *Upload) Target() string { return u.target }

// Held is how many bytes of the file the server already holds.
func (u *Upload) Held() int64 { return u.held }

// PrefixSHA256 is the SHA-256 of the bytes held (nil when none).
func (u *Upload) PrefixSHA256() []byte { return u.prefix }

// Begin fixes where this attempt's bytes start: 0, or Held() to resume.
func (u *Upload) Begin(offset int64) error {
	if u.began {
		return errors.New("upload already begun")
	}
	switch offset {
	case u.held:
	case 0:
		if err := u.up.Truncate(0); err != nil {
			return err
		}
		u.hash.Reset()
	default:
		return &PathError{Path: u.target, Reason: fmt.Sprintf("cannot resume at byte %d: the server holds %d", offset, u.held)}
	}
	u.offset, u.began = offset, true
	return nil
}

// Remaining is how many bytes this attempt must still write.
func (u *Upload) Remaining() int64 { return u.size - u.offset - u.written }

// ReadFrom appends the rest of the file (Remaining bytes) from r, hashing
// on another core while writing.
func (u *Upload) ReadFrom(r io.Reader) (int64, error) {
	n, err := copyHashed(uploadWriter{u}, r, u.Remaining(), u.hash)
	return n, err
}

// uploadWriter writes to the partial without hashing (copyHashed does).
type uploadWriter struct{ u *Upload }

func (w uploadWriter) Write(p []byte) (int, error) {
	n, err := w.u.up.Write(p)
	w.u.written += int64(n)
	return n, err
}

// Commit checks the whole file's SHA-256 against sum and, if it matches,
// makes the upload the new version of the target, durably. On a mismatch
// the partial is dropped (its bytes cannot be trusted for a resume) and
// ErrChecksumMismatch returned; the old version is untouched.
func (u *Upload) Commit(ctx context.Context, sum []byte, mtime time.Time) error {
	if err := u.Verify(sum, mtime); err != nil {
		return err
	}
	return u.svc.CommitAll(ctx, []*Upload{u})[0]
}

// Verify is the first half of Commit: it checks that every byte arrived
// and that the whole file's SHA-256 matches sum (on a mismatch it drops
// the partial and returns ErrChecksumMismatch), and remembers mtime. The
// upload then waits for CommitAll.
func (u *Upload) Verify(sum []byte, mtime time.Time) error {
	if u.Remaining() != 0 {
		return fmt.Errorf("upload of %s: %d bytes missing", u.target, u.Remaining())
	}
	got := u.hash.Sum(nil)
	if subtle.ConstantTimeCompare(got, sum) != 1 {
		u.up.Discard()
		u.up = nil
		return fmt.Errorf("%w: %s arrived with SHA-256 %x but the sender computed %x; nothing was changed, upload again",
			ErrChecksumMismatch, u.target, got, sum)
	}
	u.digest, u.mtime = got, mtime
	return nil
}

// CommitAll makes verified uploads the new versions of their targets,
// durably, sharing the cost of the disk flushes among them (see
// storage.Store.CommitAll). errs[i] is the outcome of ups[i]; the uploads
// stay open (Close them).
func (s *Service) CommitAll(ctx context.Context, ups []*Upload) []error {
	errs := make([]error, len(ups))
	var parts []storage.Upload
	var digests [][]byte
	var mtimes []time.Time
	var idx []int
	for i, u := range ups {
		if u.digest == nil || u.up == nil {
			errs[i] = fmt.Errorf("upload of %s: not verified", u.target)
			continue
		}
		parts = append(parts, u.up)
		digests = append(digests, u.digest)
		mtimes = append(mtimes, u.mtime)
		idx = append(idx, i)
	}
	for k, err := range s.store.CommitAll(parts, digests, mtimes) {
		i := idx[k]
		errs[i] = err
		if err == nil {
			ups[i].up = nil // committed: nothing left to keep or remove
			s.quotas.changed(ups[i].user)
		}
	}
	return errs
}

// Close ends the upload. Unless it was committed, a resumable partial stays
// for a later attempt.
func (u *Upload) Close() error {
	if u.up != nil && u.up.Size() > 0 {
		// Bytes of an unfinished upload stay on disk and count against the
		// quota; the cached usage must learn of them before the
		// reservation that stood for them goes.
		u.svc.quotas.changed(u.user)
	}
	if u.release != nil {
		u.release()
	}
	if u.holder != nil {
		u.svc.holders.remove(holderKey(u.user, u.target), u.holder)
		u.holder = nil
	}
	if u.user != "" {
		u.svc.active.leave(u.user)
		u.user = ""
	}
	var err error
	if u.up != nil {
		err = u.up.Close()
		u.up = nil
	}
	if u.space != nil {
		u.space.Close()
		u.space = nil
	}
	return err
}

// Uploads lists the user's unfinished uploads.
func (s *Service) Uploads(ctx context.Context, sess *Session) ([]storage.UploadInfo, error) {
	sp, err := s.space(sess)
	if err != nil {
		return nil, err
	}
	defer sp.Close()
	return sp.Uploads()
}

// DiscardUpload drops the unfinished upload of path.
func (s *Service) DiscardUpload(ctx context.Context, sess *Session, path string) error {
	return s.withPath(sess, path, CleanTarget, func(sp storage.Space, target string) error {
		if err := s.whenFree(ctx, sess.User, target, func() error { return sp.DiscardUpload(target) }); err != nil {
			return err
		}
		s.quotas.changed(sess.User)
		return nil
	})
}
