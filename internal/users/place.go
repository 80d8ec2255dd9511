package users

import "io"

// place is where a Registry keeps its workbook: a file in the data folder
// (filePlace), or an object in a bucket that the registries of several
// servers share (objectPlace). Its methods run on the registry's writer
// goroutine only (and in open, before that starts).
type place interface {
	// String names the workbook in messages: its path, or an s3:// URL.
	String() string
	// look compares the workbook with the version the registry last
	// wrote or read, and from then on takes the version it found as the
	// one last read.
	look() (seen, error)
	// write makes what fn writes the new workbook, marked mark. It also
	// returns the bytes of the workbook it replaced if that was not the
	// version the registry last wrote or read (an edit saved meanwhile,
	// for the caller to merge), and whether the new workbook is in place
	// (even with an error, which may come after the swap). A place that
	// cannot replace what it did not last see returns errConflict with
	// nothing replaced.
	write(fn func(io.Writer) error, mark string) (replaced []byte, installed bool, err error)
	// keepAside saves data, a workbook that could not be read, beside
	// the workbook under a name ending in suffix, and returns that name.
	keepAside(data []byte, suffix string) (string, error)
	// lock keeps the registries sharing the place from writing from a
	// look until unlock: while it is held, a workbook this registry has
	// just read is the latest. A place of one registry locks nothing and
	// returns a nil unlock.
	lock() (unlock func(), err error)
}

// seen is what a look found.
type seen struct {
	res  lookResult
	data []byte // the workbook's bytes, if edited
	// mark is the version mark a registry stored beside the workbook
	// when it wrote it; "" for a place that stores none (a file). When it
	// matches the mark inside the workbook, the workbook is another
	// registry's: taken as it stands, not merged as an edit.
	mark string
}

// lookResult is what a look at the workbook found.
type lookResult int

const (
	unchanged lookResult = iota // the version the registry last wrote or read
	edited                      // another version, written by someone else
	gone                        // removed by someone else
)
