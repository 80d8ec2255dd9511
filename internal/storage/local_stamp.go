package storage

import (
	"math/rand/v2"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stamp sets the partial's modification time, after each write, to the
// current second plus a random fraction, and remembers it. The state kept
// with a partial (SetState) is tied to that stamp: anyone else's write
// sets the time to the kernel's clock, whose coarse ticks (a few
// milliseconds) almost never fall on the random fraction, so a partial
// changed behind the store's back is recognized however soon after the
// store's own last write it happens. (The change time cannot serve: it
// ticks coarsely too, so a write within the same tick would go unseen.)
// A file system that refuses the call leaves the stamp unset, and no
// state is kept.
func (u *upload) stamp() {
	now := time.Now()
	t := now.Truncate(time.Second).Add(time.Duration(rand.Int64N(int64(time.Second))))
	ts := [2]unix.Timespec{{Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(t.UnixNano())}
	err := withFD(u.file, func(fd int) error {
		// utimensat(fd, NULL, …) is futimens(3): x/sys/unix only wraps the
		// form with a path.
		_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		if errno != 0 {
			return errno
		}
		return nil
	})
	if err != nil {
		u.stamped = time.Time{}
		return
	}
	u.stamped = t
}
