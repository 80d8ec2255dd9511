package users

import (
	"fmt"
	"log/slog"
	"slices"
)

// Open loads the registry from the workbook at path (for example
// /data/users.xlsx), or starts empty if there is none yet; the first change
// creates it. It removes temporary files left next to it by a rewrite that
// crashed. A workbook that cannot be read is an error wrapping ErrMalformed
// and naming the file, row and column. Users without an account id (a
// workbook written before the column existed, or rows added by hand while
// the server was stopped) get one, and the workbook is rewritten with
// them at once. The folder must exist.
//
// The Registry must be closed with Close to stop its writer goroutine.
func Open(path string, logger *slog.Logger) (*Registry, error) {
	return open(path, logger, testHooks{})
}

func open(path string, logger *slog.Logger, hooks testHooks) (*Registry, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := &filePlace{path: path, logger: logger, hooks: hooks}
	if err := p.removeLeftovers(); err != nil {
		return nil, fmt.Errorf("opening user registry: %w", err)
	}
	return openAt(p, logger, hooks)
}

// openAt loads the registry from the workbook kept at p and starts its
// writer goroutine.
func openAt(p place, logger *slog.Logger, hooks testHooks) (*Registry, error) {
	r := &Registry{
		place:  p,
		path:   p.String(),
		logger: logger,
		hooks:  hooks,
		byName: make(map[string]User),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		hist:   newHistory(),
	}
	got, err := p.look()
	switch {
	case err != nil:
		return nil, fmt.Errorf("opening user registry: %w", err)
	case got.res != edited:
		logger.Info("no user registry yet; it will be created by the first change", "file", r.path)
	default:
		if err := r.load(got.data); err != nil {
			return nil, fmt.Errorf("opening user registry: %w", err)
		}
	}
	if r.stale {
		r.commit(nil) // give the ids a place on disk now; a failure is logged and retried
	}
	go r.run()
	return r, nil
}

// load sets the state from the bytes of the workbook read at start.
func (r *Registry) load(data []byte) error {
	sh, err := readSheet(r.path, data)
	if err != nil {
		return err
	}
	loaded, err := strictUsers(r.path, sh)
	if err != nil {
		return err
	}
	r.hist.addVersion(sh.version, 0)
	given := 0
	for i := range loaded {
		if loaded[i].AccountID == "" {
			loaded[i].AccountID = newAccountID()
			given++
		}
		r.byName[loaded[i].Name] = loaded[i]
	}
	if sh.version == "" {
		r.stale = true // mark it, so that an edit of it can be read against it
	}
	if given > 0 {
		r.stale = true
		r.logger.Info("gave account ids to users without one (a workbook of the earlier format, or rows added by hand); rewriting users.xlsx",
			"file", r.path, "users", given, "old_format", sh.legacy)
	}
	// An administrator may have sorted the sheet by another column.
	r.sorted = loaded
	slices.SortFunc(r.sorted, compareNames)
	return nil
}
