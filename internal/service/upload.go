package service

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"netdisk/internal/digest"
	"netdisk/internal/hashcopy"
	"netdisk/internal/storage"
)

// Upload is one upload in progress, the same for every front door: open it
// (OpenUpload, which finds what an interrupted attempt left and its
// digest), stream the bytes in (Stream, as many times as the front door
// needs: once for a TCP put, once per request for a browser's chunks),
// then Commit with the sender's digest, and Close. The new bytes go to a
// partial file on the target's disk and replace the target only in
// Commit, once the whole file's BLAKE3-256 matches the sender's; until
// then the old version stays readable. The digest is computed as the
// bytes stream in and its state is kept with the partial when the upload
// is closed unfinished, so a resume neither reads nor hashes again what
// the server holds.
//
// An Upload is used by one goroutine at a time. Its Context ends when the
// upload is taken over by a newer attempt at the same path (see
// OpenUpload), when the context it was opened with ends, or at Close; a
// front door reading the bytes from a network connection arranges for
// that read to stop then (context.AfterFunc).
type Upload struct {
	svc    *Service
	user   string
	target string
	size   int64
	temp   bool   // a temporary partial: not resumable
	origin Origin // who opened it: the holder an administrator is shown

	ctx    context.Context
	cancel context.CancelCauseFunc

	mu        sync.Mutex // guards up against the takeover of an idle upload
	space     storage.Space
	up        storage.Upload // nil once committed, discarded or released
	streaming bool
	pending   *Pending       // set by Queue until the outcome: the committer owns up and space
	closed    bool           // Close was called (while pending, the outcome finishes it)
	hash      *digest.Hasher // of the bytes held: [0, up.Size())

	held       int64  // bytes held from earlier attempts, at open
	heldDigest []byte // their digest (nil when none)
	release    func() // gives back the quota reservation
	holder     *holder
	counted    bool // in activeUploads
}

// UploadMode says what to do with what an earlier attempt left.
type UploadMode int

const (
	// UploadResume keeps the bytes held for the path, so the sender can
	// check them (Held, HeldDigest) and continue.
	UploadResume UploadMode = iota
	// UploadRestart drops the bytes held; the new attempt is resumable.
	UploadRestart
	// UploadOnce writes to a fresh temporary partial that is removed if
	// the attempt fails: for files small enough to send again whole, it
	// saves the bookkeeping of a resumable partial.
	UploadOnce
)

// OpenUpload starts an upload of size bytes to path (see UploadMode).
//
// If the resumable partial of path is held by another upload, OpenUpload
// waits a little for it: the holder may be an attempt whose connection
// died without the server noticing yet. A holder that has received
// nothing for a while is taken over (its Context ends, and the front door
// serving it stops reading); a live one is left alone, and this upload
// gets a fresh partial of its own, so both finish, each whole, and the
// last to commit wins.
func (s *Service) OpenUpload(ctx context.Context, sess *Session, path string, size int64, mode UploadMode) (*Upload, error) {
	if size < 0 {
		return nil, fmt.Errorf("%w: negative size %d", ErrBadRequest, size)
	}
	target, err := CleanTarget(path)
	if err != nil {
		return nil, err
	}
	acct, err := s.account(ctx, sess)
	if err != nil {
		return nil, err
	}
	sp, err := s.store.CreateSpace(ctx, sess.User)
	if err != nil {
		return nil, mapErr(err)
	}
	if !s.active.enter(sess.User) {
		sp.Close()
		s.metrics.RateLimited("uploads")
		return nil, fmt.Errorf("%w: %d uploads of yours are in progress already; let some finish", ErrTooMany, MaxUploadsPerUser)
	}
	u := &Upload{svc: s, user: sess.User, target: target, size: size, space: sp, counted: true, hash: digest.New(), origin: originOf(ctx)}
	u.ctx, u.cancel = context.WithCancelCause(ctx)
	ok := false
	defer func() {
		if !ok {
			u.Close()
		}
	}()
	if err := checkDepth(target, path); err != nil {
		return nil, err
	}
	isNew, err := s.checkUploadTarget(ctx, sess.User, sp, target)
	if err != nil {
		return nil, mapErr(err)
	}
	if mode == UploadOnce {
		u.up, err = sp.TempUpload(u.ctx, target)
		u.temp = true
	} else {
		u.up, err = s.openResumable(u.ctx, sp, sess.User, target)
		if errors.Is(err, storage.ErrBusy) {
			u.up, err = sp.TempUpload(u.ctx, target)
			u.temp = true
		} else if err == nil {
			u.holder = s.holders.add(holderKey(sess.User, target), u)
		}
	}
	if err != nil {
		return nil, mapErr(err)
	}
	if mode == UploadRestart || u.up.Size() > size {
		if err := u.up.Truncate(0); err != nil {
			return nil, mapErr(err)
		}
	}
	if err := u.restoreHash(); err != nil {
		return nil, err
	}
	u.held = u.up.Size()
	if u.held > 0 {
		u.heldDigest = u.hash.Sum(nil)
	}
	need := storage.Usage{Bytes: size - u.held}
	if isNew {
		need.Entries = 1
	}
	u.release, err = s.reserveRoom(ctx, sess.User, sp, u.up, s.limits(acct), need)
	if err != nil {
		return nil, mapErr(err)
	}
	if err := s.checkSpace(ctx, need); err != nil {
		return nil, err
	}
	// A reserved upload taken over (or whose opener went away) before its
	// bytes come lets go of the partial at once, for whoever waits for it.
	context.AfterFunc(u.ctx, u.letGo)
	ok = true
	return u, nil
}

// restoreHash sets u.hash to the digest state of the bytes held: the state
// kept with the partial if it still describes a prefix of them, then
// hashing whatever it does not cover (all of it, after a crash that lost
// the state).
func (u *Upload) restoreHash() error {
	u.hash = digest.New()
	if state := u.up.State(); state != nil {
		if err := u.hash.UnmarshalBinary(state); err != nil || u.hash.Len() > u.up.Size() {
			u.svc.logger.WarnContext(u.ctx, "unfinished upload: its digest state does not match; hashing it again", "user", u.user, "path", u.target, "err", err)
			u.hash.Reset()
		}
	}
	if rest := u.up.Size() - u.hash.Len(); rest > 0 {
		if err := u.svc.chargeHashing(u.user, rest); err != nil {
			return err
		}
		if _, err := hashcopy.Copy(u.ctx, io.Discard, io.NewSectionReader(u.up, u.hash.Len(), rest), rest, u.hash, nil); err != nil {
			return fmt.Errorf("reading the unfinished upload of %s: %w", u.target, mapErr(err))
		}
	}
	return nil
}

// spareBytes is disk space kept free beyond every upload, so the registry,
// sessions and logs can still be written when users fill the disk.
const spareBytes = 64 << 20

// checkSpace refuses an upload that cannot fit on the server's disk (in
// bytes, or in free inodes for a new file), before any of its bytes are
// read (quotas are per user; this protects everyone).
func (s *Service) checkSpace(ctx context.Context, need storage.Usage) error {
	avail, err := s.store.Available(ctx)
	if err != nil {
		return mapErr(err)
	}
	if need.Bytes > avail.Bytes-spareBytes {
		s.logger.WarnContext(ctx, "upload refused: disk nearly full", "need", need.Bytes, "available", avail.Bytes)
		return fmt.Errorf("%w: this upload needs %d bytes and only %d are free; ask the administrator",
			ErrNoSpace, need.Bytes, max(avail.Bytes-spareBytes, 0))
	}
	if need.Entries > 0 && avail.Inodes >= 0 && avail.Inodes-need.Entries < inodeReserve {
		s.logger.WarnContext(ctx, "upload refused: the file system is short of inodes", "free", avail.Inodes)
		return fmt.Errorf("%w: the server's file system can hold few more files; ask the administrator", ErrNoSpace)
	}
	return nil
}

// checkUploadTarget refuses targets that cannot become files: folders,
// paths under a missing folder or under a file, Unicode twins of an
// existing name. It reports whether the target is a new entry.
func (s *Service) checkUploadTarget(ctx context.Context, user string, sp storage.Space, target string) (isNew bool, err error) {
	info, err := sp.Stat(ctx, target)
	switch {
	case err == nil && info.IsDir:
		return false, fmt.Errorf("%s: %w", target, ErrIsDir)
	case err == nil:
		return false, nil
	case !errors.Is(mapErr(err), ErrNotFound):
		return false, err
	}
	dir, name := splitPath(target)
	if dir != "." {
		info, err := sp.Stat(ctx, dir)
		if err != nil {
			return false, fmt.Errorf("folder %s: %w", dir, ErrNotFound)
		}
		if !info.IsDir {
			return false, fmt.Errorf("%s: %w", dir, ErrNotDir)
		}
	}
	return true, s.twins.check(ctx, user, sp, dir, name)
}

// Target is the clean path being uploaded.
func (u *Upload) Target() string { return u.target }

// Size is the size of the whole file.
func (u *Upload) Size() int64 { return u.size }

// Held is how many bytes of the file the server held when the upload was
// opened: where the sender may resume.
func (u *Upload) Held() int64 { return u.held }

// HeldDigest is the BLAKE3-256 of the bytes held (nil when none), for the
// sender to compare with its own first Held bytes.
func (u *Upload) HeldDigest() []byte { return u.heldDigest }

// Context ends when the upload is taken over, when the context it was
// opened with ends, or at Close.
func (u *Upload) Context() context.Context { return u.ctx }

// Stream appends the file's bytes from r, starting at byte offset, until r
// ends or the file is complete (r may hold more: the rest is not read).
// offset is 0 to start over, or the number of bytes held (Held, plus
// what earlier calls took) to go on. It returns how many bytes it took from r; r ending early is not an
// error (a browser sends a file in several requests).
func (u *Upload) Stream(offset int64, r io.Reader) (int64, error) {
	u.mu.Lock()
	if u.up == nil || u.pending != nil || u.ctx.Err() != nil {
		u.mu.Unlock()
		return 0, u.ended()
	}
	u.streaming = true
	u.mu.Unlock()
	n, err := u.stream(offset, r)
	u.mu.Lock()
	u.streaming = false
	u.mu.Unlock()
	if u.ctx.Err() != nil {
		// Taken over (or the opener left) while streaming: let go of the
		// partial now, for the newer attempt waiting for it.
		u.letGo()
		return n, u.ended()
	}
	return n, err
}

func (u *Upload) stream(offset int64, r io.Reader) (int64, error) {
	switch held := u.up.Size(); offset {
	case held:
	case 0:
		if err := u.up.Truncate(0); err != nil {
			return 0, mapErr(err)
		}
		u.hash.Reset()
	default:
		return 0, fmt.Errorf("%w: cannot write %s from byte %d: the server holds %d", ErrBadRequest, u.target, offset, held)
	}
	w := progressWriter{u}
	if _, ok := r.(SpliceSource); !ok {
		// Copy fills whole buffers before writing: show the bytes as
		// they come, so that a slow sender does not look stalled.
		r = touchingReader{r, w}
	}
	n, err := hashcopy.Copy(u.ctx, w, r, u.size-offset, u.hash, nil)
	if err == io.EOF {
		err = nil
	}
	return n, mapErr(err)
}

// SpliceSource and FileSink are how a front door's reader and an upload's
// partial move bytes without copying them through user space (see
// hashcopy): a reader given to Stream that is a SpliceSource (a plaintext
// socket) is spliced into the partial.
type (
	SpliceSource = hashcopy.SpliceSource
	FileSink     = hashcopy.FileSink
)

// progressWriter writes to the partial and records the progress, so that
// a live upload does not look stalled to a newer attempt. It is a
// hashcopy.FileSink: a front door's socket can be spliced into the
// partial, whose bytes are then hashed as they are read back.
type progressWriter struct{ u *Upload }

var _ hashcopy.FileSink = progressWriter{}

func (w progressWriter) Write(p []byte) (int, error) {
	n, err := w.u.up.Write(p)
	if n > 0 {
		w.touch()
	}
	return n, err
}

// ReadFrom appends what r holds: from a socket without copying through
// user space, if the store can.
func (w progressWriter) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	var err error
	if rf, ok := w.u.up.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(r)
	} else {
		n, err = io.Copy(writerOnly{w}, r)
	}
	if n > 0 {
		w.touch()
	}
	return n, err
}

func (w progressWriter) ReadAt(p []byte, off int64) (int, error) { return w.u.up.ReadAt(p, off) }

func (w progressWriter) Size() int64 { return w.u.up.Size() }

func (w progressWriter) touch() {
	if w.u.holder != nil {
		w.u.holder.progress.Store(time.Now().UnixNano())
	}
}

// touchingReader records the progress of each read.
type touchingReader struct {
	r io.Reader
	w progressWriter
}

func (t touchingReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.w.touch()
	}
	return n, err
}

// writerOnly hides ReadFrom, so that io.Copy does not call it back.
type writerOnly struct{ io.Writer }

// Commit checks the whole file's BLAKE3-256 against sum (the sender's) and,
// if it matches, makes the upload the new version of the target, durably,
// with modification time mtime (unless zero). It is Queue then Wait.
func (u *Upload) Commit(ctx context.Context, sum []byte, mtime time.Time) error {
	return u.Queue(sum, mtime).Wait(ctx)
}

// Queue checks the whole file's BLAKE3-256 against sum and queues the
// upload for the next commit batch without waiting for it: a front door
// that reads pipelined uploads queues each as it arrives and answers once
// it is committed. Uploads are committed in the order they were queued
// (of several to one target, the last queued wins), and concurrent ones
// share their disk flushes. On a mismatch the partial is dropped (its
// bytes cannot be trusted for a resume) and Wait returns
// ErrChecksumMismatch; the old version is untouched.
func (u *Upload) Queue(sum []byte, mtime time.Time) *Pending {
	u.mu.Lock()
	up := u.up
	if up == nil || u.streaming || u.pending != nil {
		u.mu.Unlock()
		return &Pending{err: u.ended()}
	}
	u.mu.Unlock()
	if missing := u.size - up.Size(); missing != 0 {
		return &Pending{err: fmt.Errorf("%w: the upload of %s is %d bytes short", ErrBadRequest, u.target, missing)}
	}
	got := u.hash.Sum(nil)
	if subtle.ConstantTimeCompare(got, sum) != 1 {
		u.discard()
		return &Pending{err: fmt.Errorf("%w: %s arrived with BLAKE3 %x but the sender computed %x; nothing was changed, upload again",
			ErrChecksumMismatch, u.target, got, sum)}
	}
	record, err := encodeRecord(got, u.hash.Marks())
	if err != nil {
		return &Pending{err: err}
	}
	// From here the committer owns the partial and the space until the
	// outcome: neither the end of the upload's Context (a takeover, the
	// connection closing) nor Close touches them, and a newer attempt at
	// the path waits for the commit rather than taking over a whole,
	// verified upload.
	p := &Pending{u: u, done: make(chan struct{})}
	u.mu.Lock()
	u.pending = p
	u.mu.Unlock()
	u.dropHolder()
	// Verified uploads waiting for their batch are not counted as open:
	// a pipelining client has dozens of them, briefly.
	u.leave()
	dir, _ := splitPath(u.target)
	t := touch{user: u.user, sp: u.space, dir: dir}
	u.svc.committer.queue(storage.Commit{Upload: up, Record: record, MTime: mtime}, t, u.size, p.settle)
	return p
}

// Pending is an upload queued for commit.
type Pending struct {
	u    *Upload
	done chan struct{} // closed once err is the outcome
	err  error
}

// settle takes the commit's outcome (on the committer's goroutine).
func (p *Pending) settle(err error) {
	u := p.u
	u.mu.Lock()
	u.pending = nil
	if err == nil {
		u.up = nil // committed: nothing left to keep or remove
	}
	finish := u.closed
	u.mu.Unlock()
	p.err = mapErr(err)
	close(p.done)
	switch {
	case finish:
		// Closed while the commit was pending: finish the Close.
		u.Close()
	case u.ctx.Err() != nil:
		// The commit failed after the upload's Context ended: let go of
		// the partial (whole and verified, kept for a retry) now.
		u.letGo()
	}
}

// Wait returns once the upload is committed (nil) or refused. Once the
// digest matched, the commit happens even if ctx ends or the upload is
// closed (the file is whole and verified); ctx only stops the wait.
func (p *Pending) Wait(ctx context.Context) error {
	if p.done == nil {
		return p.err
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// discard drops the partial.
func (u *Upload) discard() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.up != nil {
		u.up.Discard()
		u.up = nil
		u.svc.usage.lowered(u.user)
	}
	u.dropHolderLocked()
}

// dropHolder stops advertising the upload as the holder of its partial.
func (u *Upload) dropHolder() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.dropHolderLocked()
}

func (u *Upload) dropHolderLocked() {
	if u.holder != nil {
		u.svc.holders.remove(holderKey(u.user, u.target), u.holder)
		u.holder = nil
	}
}

// ended says why the upload can no longer be used.
func (u *Upload) ended() error {
	if errors.Is(context.Cause(u.ctx), ErrTakenOver) {
		return fmt.Errorf("%w (%s)", ErrTakenOver, u.target)
	}
	if err := u.ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%w: the upload of %s is over", ErrBadRequest, u.target)
}

// letGo releases the partial of an upload that is not streaming, keeping
// its bytes and their digest state for a resume. It runs when the
// upload's Context ends, and again (doing nothing) at Close.
func (u *Upload) letGo() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.up == nil || u.streaming || u.pending != nil {
		return
	}
	if written := u.up.Size() - u.held; written > 0 {
		// Bytes of an unfinished upload stay on disk and count against the
		// quota: the usage kept must learn of them before the reservation
		// that stood for them goes.
		u.svc.usage.added(u.user, storage.Usage{Bytes: written})
	}
	if !u.temp && u.hash.Len() == u.up.Size() {
		if state, err := u.hash.MarshalBinary(); err == nil {
			u.up.SetState(state)
		}
	}
	if err := u.up.Close(); err != nil {
		u.svc.logger.WarnContext(u.ctx, "keeping an unfinished upload", "user", u.user, "path", u.target, "err", err)
	}
	u.up = nil
	u.dropHolderLocked()
}

// leave stops counting the upload as open.
func (u *Upload) leave() {
	u.mu.Lock()
	counted := u.counted
	u.counted = false
	u.mu.Unlock()
	if counted {
		u.svc.active.leave(u.user)
	}
}

// Close ends the upload. Unless it was committed, a resumable partial stays
// for a later attempt, with the digest state of its bytes.
//
// Closing an upload whose commit is pending (Queue without the outcome
// yet) does not stop the commit: the rest of the Close happens when it is
// done.
func (u *Upload) Close() error {
	u.mu.Lock()
	u.closed = true
	pending := u.pending != nil
	u.mu.Unlock()
	u.cancel(errUploadClosed)
	if pending {
		return nil
	}
	u.letGo()
	u.dropHolder()
	u.leave()
	u.mu.Lock()
	release, space := u.release, u.space
	u.release, u.space = nil, nil
	u.mu.Unlock()
	if release != nil {
		release()
	}
	if space != nil {
		space.Close()
	}
	return nil
}

var errUploadClosed = errors.New("upload closed")

// UploadInfo describes an unfinished upload.
type UploadInfo struct {
	Target  string    // the path the upload will become
	Size    int64     // bytes held so far
	Updated time.Time // last write
}

// OpenUploads is how many uploads are open now, of every user: being
// written, or reserved by a put_open until their put.
func (s *Service) OpenUploads() int { return s.active.total() }

// Uploads lists the user's unfinished uploads.
func (s *Service) Uploads(ctx context.Context, sess *Session) ([]UploadInfo, error) {
	sp, err := s.space(ctx, sess)
	if err != nil {
		return nil, err
	}
	defer sp.Close()
	list, err := sp.Uploads(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	infos := make([]UploadInfo, len(list))
	for i, up := range list {
		infos[i] = UploadInfo{Target: up.Target, Size: up.Size, Updated: up.Updated}
	}
	return infos, nil
}

// DiscardUpload drops the unfinished upload of path.
func (s *Service) DiscardUpload(ctx context.Context, sess *Session, path string) error {
	return s.withPath(ctx, sess, path, CleanTarget, func(sp storage.Space, target string) error {
		if err := s.whenFree(ctx, sess.User, target, func() error { return sp.DiscardUpload(ctx, target) }); err != nil {
			return err
		}
		s.usage.lowered(sess.User)
		return nil
	})
}

// Temp reports whether the upload writes a temporary partial: opened with
// UploadOnce, or because the resumable partial of its path is held by a
// live upload elsewhere. Its bytes are dropped unless committed.
func (u *Upload) Temp() bool { return u.temp }
