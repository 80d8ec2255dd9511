package users

import (
	"fmt"
	"io"
	"time"
)

// An administrator may edit users.xlsx in a spreadsheet while the server
// runs. The registry never overwrites a workbook it did not write last:
// before every rewrite, and every WatchInterval, the writer goroutine
// compares the file with the version it last wrote or read (look). An
// edited workbook is read and merged into the state (reconcile): accepted
// rows apply at once, refused ones are logged with their row and reason
// and the server keeps its values for them. The workbook is then
// rewritten at once, in the same round, so that refused rows are
// corrected on disk, rows added by hand get their account ids on disk,
// and the file is the registry's own again. An edit saved while a rewrite
// is being written is caught by the swap that installs it (install) and
// merged in turn.

// refresh applies the edit someone else saved in the workbook since the
// registry last wrote or read it, if any. It returns the error that kept
// it from looking or made the edited workbook unreadable as a whole: the
// state is then kept entire.
func (r *Registry) refresh() error {
	got, err := r.place.look()
	if err != nil {
		if msg := err.Error(); msg != r.lastLookErr { // not again every tick
			r.logger.Error("looking for edits of the user registry", "err", err)
			r.lastLookErr = msg
		}
		return err
	}
	r.lastLookErr = ""
	switch got.res {
	case unchanged:
		return nil
	case gone:
		r.unread = nil
		if len(r.sorted) > 0 {
			r.stale = true
			r.logger.Warn("users.xlsx was removed while the server runs; writing it again with every account", "file", r.path)
		}
		return nil
	}
	return r.merge(got.data, got.mark)
}

// merge reads the bytes of a workbook someone else saved and applies
// them. A workbook another registry wrote (mark matches the one inside
// it) is taken as it stands; anything else is an edit, merged row by row.
// An unreadable one is kept in memory, to be saved aside before the next
// rewrite writes over it.
func (r *Registry) merge(data []byte, mark string) error {
	sh, err := readSheet(r.path, data)
	if err != nil {
		r.unread = data
		r.logger.Error("users.xlsx was edited but cannot be read; the server keeps every account as it was, and keeps the edited file aside before the next change writes over it",
			"err", err)
		return err
	}
	r.unread = nil
	if mark != "" && mark == sh.version {
		r.adopt(sh)
		return nil
	}
	r.stale = true
	r.apply(sh)
	return nil
}

// adopt takes a workbook another registry sharing the place wrote as the
// state: it was written under the shared lock, from the latest workbook,
// so it holds every change committed before it. The owner is not told
// (OnExternalEdit): the registry that made the changes told its own, and
// the sessions it ended are shared.
func (r *Registry) adopt(sh *sheet) {
	out := reconcile(r.byName, sh.rows, nil, time.Now())
	for _, f := range out.refused {
		r.logger.Warn("a row of users.xlsx written by another server was refused", "row", f.row, "user", f.user, "reason", f.err)
	}
	r.publish(out.changed, out.removed, nextSorted(r.sorted, out.changed, out.removed))
	r.hist.addVersion(sh.version, r.hist.gen)
	r.stale = len(out.refused) > 0 // else the state is the workbook, an edit merged before it included
	r.logger.Debug("user registry read as another server wrote it", "changes", len(out.edits), "users", len(r.sorted))
}

// apply merges the rows of an edited workbook into the state, logs what
// changed and what was refused, and tells the owner (OnExternalEdit).
func (r *Registry) apply(sh *sheet) {
	base := r.hist.base(sh.version, r.byName)
	if base == nil {
		r.logger.Warn("users.xlsx was replaced by a workbook the server did not write, or by a copy older than it remembers; it is taken as it stands: users missing from it are removed",
			"file", r.path)
	}
	out := reconcile(r.byName, sh.rows, base, time.Now())
	for _, f := range out.refused {
		r.logger.Warn("a row of users.xlsx was refused; the server keeps its values for that user",
			"row", f.row, "user", f.user, "reason", f.err)
	}
	r.hist.noteEdited(sh.version, out.rows)
	if len(out.edits) == 0 {
		return
	}
	r.publish(out.changed, out.removed, nextSorted(r.sorted, out.changed, out.removed))
	for _, e := range out.edits {
		r.logEdit(e)
	}
	if fn := r.onEdit.Load(); fn != nil {
		(*fn)(out.edits)
	}
}

// write makes next the workbook, marked with a fresh version mark that it
// returns. It also returns the bytes of the file it replaced if that was
// not the version the registry last wrote or read: an edit saved while
// the new workbook was being written, for the caller to merge (even with
// an error, which may come after the swap).
func (r *Registry) write(next []User) (string, []byte, error) {
	if r.unread != nil {
		if err := r.keepUnread(); err != nil {
			return "", nil, err
		}
	}
	mark := newMark()
	replaced, installed, err := r.place.write(func(w io.Writer) error { return writeWorkbook(w, next, mark) }, mark)
	if installed {
		r.rewrites.Add(1)
	}
	if err != nil {
		// In place but perhaps not durable: the file may hold changes
		// the caller will refuse, so it is not the state.
		r.stale = r.stale || installed
		return "", replaced, err
	}
	r.stale = false
	return mark, replaced, nil
}

// keepUnread saves the unreadable workbook found beside it, before a
// rewrite replaces it, so that the administrator's work is not lost.
func (r *Registry) keepUnread() error {
	aside, err := r.place.keepAside(r.unread, asideSuffix("unreadable", time.Now()))
	if err != nil {
		return fmt.Errorf("keeping the unreadable workbook as %s: %w", aside, err)
	}
	r.logger.Warn("kept the unreadable users.xlsx aside before writing the server's accounts over it", "file", aside)
	r.unread = nil
	return nil
}
