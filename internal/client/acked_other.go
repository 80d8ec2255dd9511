//go:build !linux

package client

// ackedBytes cannot tell here: -1.
func ackedBytes(any) int64 { return -1 }
