// Package datalock makes one process at a time own a data folder. Two
// servers on one folder would each rewrite users.xlsx from their own
// memory, and registrations would vanish; an administrator's command that
// works on the files directly must not run beside a server either. The
// owner holds an exclusive flock(2) on a file in the folder for as long as
// it runs; the kernel drops it when the process ends, however it ends, so
// a crash never leaves a stale lock behind.
package datalock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// FileName is the lock file in the data folder. It holds the owner's
// process id, for the message another process shows.
const FileName = "netdisk.lock"

// ErrLocked is returned by Acquire when another process owns the folder.
var ErrLocked = errors.New("the data folder is in use")

// LockedError says which process owns the folder; it matches ErrLocked.
type LockedError struct {
	Dir string
	PID int // 0 if the owner did not say
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = fmt.Sprintf("process %d", e.PID)
	}
	return fmt.Sprintf("the data folder %s is in use by %s (a running netdisk server?); stop it first, or use another --data", e.Dir, who)
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lock is a held lock; Release lets go of it.
type Lock struct {
	f *os.File
}

// Acquire takes the lock of dir (which must exist) without waiting: it
// returns a *LockedError naming the owner if another process holds it.
func Acquire(dir string) (*Lock, error) {
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking the data folder: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &LockedError{Dir: dir, PID: ownerPID(f)}
		}
		return nil, fmt.Errorf("locking the data folder: %w", err)
	}
	// The lock is ours: say who holds it, for the next one to try.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// ownerPID reads the process id the owner wrote.
func ownerPID(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	return pid
}

// Release lets go of the lock. The file stays (removing it would race with
// a process about to lock it).
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor drops the flock
	l.f = nil
	return err
}
