package client

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// ackedBytes returns how many bytes the peer has acknowledged on the TCP
// connection c (TCP_INFO), or -1 if that cannot be known.
func ackedBytes(c any) int64 {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	n := int64(-1)
	raw.Control(func(fd uintptr) {
		if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
			n = int64(info.Bytes_acked)
		}
	})
	return n
}
