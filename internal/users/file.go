package users

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"netdisk/internal/atomicfile"
)

// filePlace keeps the workbook in a file of the data folder: a rewrite
// writes a staged copy (temporary file, fsync, rename) and swaps it in
// (install); a look compares the file with the version last written or
// read (lookAt).
type filePlace struct {
	path   string
	logger *slog.Logger
	hooks  testHooks
	disk   fileID // the workbook as the registry last wrote or read it
}

func (p *filePlace) String() string { return p.path }

func (p *filePlace) look() (seen, error) {
	res, data, id, err := p.lookAt(p.path)
	switch {
	case err != nil:
		return seen{}, err
	case res == gone:
		p.disk = fileID{}
	case res == edited:
		p.disk = id // seen, whatever comes of it: an unreadable file is reported once
	}
	return seen{res: res, data: data}, nil
}

func (p *filePlace) write(fn func(io.Writer) error, mark string) ([]byte, bool, error) {
	stage := stagePath(p.path)
	var id fileID
	err := atomicfile.WriteFunc(stage, 0o600, func(w io.Writer) error { // 0600: the file holds password hashes
		iw := newIdentifier(w)
		if err := fn(iw); err != nil {
			return err
		}
		id = iw.id()
		// The test hook runs here, inside the write, rather than through an
		// option of atomicfile: a failure or delay at this point still
		// happens before the workbook is replaced, which is all the tests
		// need, and atomicfile's API stays free of test-only knobs.
		if p.hooks.beforeRename != nil {
			return p.hooks.beforeRename()
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	replaced, installed, err := p.install(stage)
	if installed {
		p.disk = id
	}
	return replaced, installed, err
}

func (p *filePlace) keepAside(data []byte, suffix string) (string, error) {
	aside := p.path + suffix
	return aside, atomicfile.Write(aside, data, 0o600)
}

func (p *filePlace) lock() (func(), error) { return nil, nil }

// removeLeftovers removes what a rewrite that crashed left next to the
// workbook: temporary files, and the staged workbook (see install), which
// holds either the new workbook never swapped in or the old one swapped
// out.
func (p *filePlace) removeLeftovers() error {
	var removed []string
	for _, path := range []string{p.path, stagePath(p.path)} {
		names, err := atomicfile.RemoveTemps(path)
		removed = append(removed, names...)
		if err != nil {
			return err
		}
	}
	stage := stagePath(p.path)
	switch err := os.Remove(stage); {
	case err == nil:
		removed = append(removed, stage)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	for _, name := range removed {
		p.logger.Warn("removed temporary file left by an interrupted rewrite", "file", name)
	}
	return nil
}

// asideSuffix names a copy kept aside at now: ".unreadable-20261201T101500.000Z".
func asideSuffix(why string, now time.Time) string {
	return fmt.Sprintf(".%s-%s", why, now.UTC().Format("20060102T150405.000Z"))
}
