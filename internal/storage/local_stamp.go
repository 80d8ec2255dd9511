package storage

import (
	"math/rand/v2"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stamp sets the partial's modification time to the current second plus a
// random fraction, when its state is kept, and returns its identity then:
// the state is tied to that stamp. Anyone else's later write sets the time
// to the kernel's clock, whose coarse ticks (a few milliseconds) almost
// never fall on the random fraction, so a partial changed behind the
// store's back is recognized however soon after it was closed. (The change
// time cannot serve: it ticks coarsely too, so a write within the same
// tick would go unseen.) A change made while the store still holds the
// partial open, before it is closed, is not recognized: the store assumes
// it is the only writer of the partials it holds.
func (u *upload) stamp() (*fileID, error) {
	t := time.Now().Truncate(time.Second).Add(time.Duration(rand.Int64N(int64(time.Second))))
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
		return nil, err
	}
	return idOf(u.file)
}
