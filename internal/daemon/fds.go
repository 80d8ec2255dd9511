package daemon

import (
	"golang.org/x/sys/unix"
)

// fdHeadroom is how many file descriptors are kept for the server's own
// files when the connection limit is derived from the descriptor limit:
// every upload and download holds two or three more while it runs, and
// the registry, sessions and logs need a few. At least 1,024, or an
// eighth of the limit if that is more.
func fdHeadroom(limit uint64) uint64 { return max(1024, limit/8) }

// connLimit derives the default limit on connections from the process's
// descriptor limit. Go raises the soft limit to the hard one at start
// (os package), so the soft limit read here is the most the server may
// use. It returns the limit and the descriptor limit it came from.
func connLimit() (conns int, nofile uint64) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY {
		return 20_000, 0
	}
	nofile = rl.Cur
	if nofile <= fdHeadroom(nofile)+64 {
		return 64, nofile
	}
	return int(min(nofile-fdHeadroom(nofile), 1<<20)), nofile
}
