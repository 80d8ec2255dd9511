package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

// partSuffix marks a download in progress beside its destination; the
// destination itself is replaced only by a complete, verified file.
const partSuffix = ".ndpart"

// existing is what to do with a local file that is already there.
type existing int

const (
	askUser   existing = iota // no flag: ask on a terminal, else refuse
	resumeIt                  // --resume
	overwrite                 // --overwrite
	cancelIt
)

func (a *app) getCommand() *cobra.Command {
	var opts transferFlags
	cmd := &cobra.Command{
		Use:   "get REMOTE [LOCAL]",
		Short: "Download a file (or a folder with -r) with a progress bar; resume with --resume",
		Long: `Download REMOTE to LOCAL (default: the same name in the current folder;
into LOCAL if it is a folder). The file arrives in LOCAL.ndpart and replaces
LOCAL only once whole and verified by SHA-256.

If LOCAL (or an interrupted LOCAL.ndpart) already exists, the shell and a
terminal ask whether to resume, start again or cancel; otherwise pass
--resume (continue, after checking that the bytes you have are the server's)
or --overwrite (start again). With neither and no terminal, get refuses and
leaves the local file untouched.`,
		Args: rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.resume && opts.overwrite {
				return usagef("--resume and --overwrite exclude each other")
			}
			ctx := cmd.Context()
			c, err := a.loggedIn(ctx)
			if err != nil {
				return err
			}
			remote := a.remote(args[0])
			e, err := c.Stat(ctx, remote)
			if err != nil {
				return err
			}
			local := a.downloadTarget(remote, args[1:])
			mode := askUser
			if opts.resume {
				mode = resumeIt
			} else if opts.overwrite {
				mode = overwrite
			}
			if e.Kind == proto.KindDir {
				if !opts.recursive {
					return usagef("%s is a folder; use get -r to download folders", args[0])
				}
				return a.getTree(ctx, remote, local, mode, opts.parallel)
			}
			if mode == askUser && localExists(local) {
				if mode, err = a.askExisting(local, 1); err != nil {
					return err
				}
			}
			m := a.newMeter()
			res, err := getOne(ctx, c, remote, local, mode, m)
			m.wait()
			return a.reportGet(local, res, err)
		},
	}
	opts.register(cmd, "")
	cmd.Flags().BoolVar(&opts.resume, "resume", false, "continue an existing local file after verifying its bytes")
	cmd.Flags().BoolVar(&opts.overwrite, "overwrite", false, "replace an existing local file, starting from zero")
	return cmd
}

// downloadTarget is where REMOTE goes locally.
func (a *app) downloadTarget(remote string, rest []string) string {
	base := path.Base(remote)
	if len(rest) == 0 {
		return base
	}
	if info, err := os.Stat(rest[0]); err == nil && info.IsDir() {
		return filepath.Join(rest[0], base)
	}
	return rest[0]
}

func localExists(local string) bool {
	_, err1 := os.Lstat(local)
	_, err2 := os.Lstat(local + partSuffix)
	return err1 == nil || err2 == nil
}

// askExisting decides what to do with n existing local files: ask on a
// terminal, refuse otherwise.
func (a *app) askExisting(local string, n int) (existing, error) {
	what := local + " already exists"
	if _, err := os.Lstat(local + partSuffix); err == nil {
		what = local + " was partly downloaded before"
	}
	if n > 1 {
		what = fmt.Sprintf("%d of the files already exist locally (e.g. %s)", n, local)
	}
	if !a.interactive() && a.shell == nil {
		return cancelIt, fmt.Errorf("%s; nothing was changed. Use --resume to continue it or --overwrite to start again", what)
	}
	for {
		answer, err := a.prompt().Line(what + ". [r]esume, [o]verwrite (start again), or [c]ancel? ")
		if err != nil {
			return cancelIt, err
		}
		switch strings.ToLower(strings.TrimSpace(answer)) {
		case "r", "resume":
			return resumeIt, nil
		case "o", "overwrite":
			return overwrite, nil
		case "c", "cancel", "q":
			return cancelIt, errCancelled
		}
	}
}

var errCancelled = errors.New("cancelled; nothing was changed")

// openPart prepares LOCAL.ndpart for a download and returns it with the
// number of bytes to resume from. Resuming a complete-looking LOCAL moves
// it to LOCAL.ndpart first, so LOCAL is only ever a whole file.
func openPart(local string, mode existing) (*os.File, int64, error) {
	part := local + partSuffix
	switch mode {
	case resumeIt:
		if _, err := os.Lstat(part); errors.Is(err, fs.ErrNotExist) {
			if info, err := os.Lstat(local); err == nil && info.Mode().IsRegular() {
				if err := os.Rename(local, part); err != nil {
					return nil, 0, err
				}
			}
		}
	case overwrite, askUser:
		if err := os.Remove(part); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, 0, err
		}
	}
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, 0, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, info.Size(), nil
}

// finishPart makes a verified download the local file.
func finishPart(f *os.File, local string, res client.GetResult) error {
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if !res.MTime.IsZero() {
		os.Chtimes(f.Name(), res.MTime, res.MTime)
	}
	return os.Rename(f.Name(), local)
}

// getOne downloads one file to local.
func getOne(ctx context.Context, c *client.Client, remote, local string, mode existing, m meter) (client.GetResult, error) {
	f, offset, err := openPart(local, mode)
	if err != nil {
		return client.GetResult{}, err
	}
	var tr tracker = quietTracker{}
	res, err := c.Get(ctx, remote, f, offset, client.GetOptions{
		Started:  func(size, from int64) { tr = m.track(remote, size, from) },
		Progress: func(n int64) { tr.update(n) },
	})
	tr.finish(err == nil)
	if err != nil {
		if errors.Is(err, client.ErrChecksumMismatch) {
			// Keep only the verified prefix for a later resume.
			f.Truncate(res.Offset)
		}
		f.Close()
		if res.Size == 0 && offset == 0 {
			if info, serr := os.Stat(f.Name()); serr == nil && info.Size() == 0 {
				os.Remove(f.Name())
			}
		}
		return res, err
	}
	return res, finishPart(f, local, res)
}

func (a *app) reportGet(local string, res client.GetResult, err error) error {
	if res.Restarted != "" {
		fmt.Fprintf(a.stderr, "netdisk: %s: starting again from zero: %s\n", safeName(local), res.Restarted)
	}
	if err != nil {
		return resumeAdvice(err, "the download of "+safeName(local)+" was interrupted: run the same command with --resume to continue")
	}
	if !a.quiet {
		resumed := ""
		if res.Offset > 0 {
			resumed = fmt.Sprintf(", resumed after %s", humanSize(res.Offset))
		}
		fmt.Fprintf(a.stdout, "saved %s (%s%s, blake3 %x)\n", safeName(local), humanSize(res.Size), resumed, res.Digest[:8])
	}
	return nil
}

// getTree downloads a remote folder into local.
func (a *app) getTree(ctx context.Context, remoteRoot, localRoot string, mode existing, parallel int) error {
	c, err := a.loggedIn(ctx)
	if err != nil {
		return err
	}
	var jobs []transferJob
	var walk func(remote, local string) error
	walk = func(remote, local string) error {
		if err := os.MkdirAll(local, 0o755); err != nil {
			return err
		}
		entries, err := c.List(ctx, remote)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if strings.ContainsAny(e.Name, `/\`) || e.Name == "." || e.Name == ".." {
				return fmt.Errorf("the server sent an unsafe name %q", e.Name)
			}
			r, l := joinRemote(remote, e.Name), filepath.Join(local, e.Name)
			switch e.Kind {
			case proto.KindDir:
				if err := walk(r, l); err != nil {
					return err
				}
			case proto.KindFile:
				jobs = append(jobs, transferJob{local: l, remote: r, size: e.Size})
			}
		}
		return nil
	}
	if err := walk(remoteRoot, localRoot); err != nil {
		return err
	}
	if mode == askUser {
		var exist []string
		for _, j := range jobs {
			if localExists(j.local) {
				exist = append(exist, j.local)
			}
		}
		if len(exist) > 0 {
			if mode, err = a.askExisting(exist[0], len(exist)); err != nil {
				return err
			}
		}
	}
	m := a.newMeter()
	total := newTotals(len(jobs))
	err = a.runTransfers(ctx, jobs, parallel, func(ctx context.Context, w *worker, queue <-chan transferJob) {
		for job := range queue {
			tm := m
			if job.size < client.ResumeThreshold {
				tm = quietMeter{}
			}
			c, err := w.conn(ctx)
			if err != nil {
				total.done(job, 0, err)
				continue
			}
			res, err := getOne(ctx, c, job.remote, job.local, mode, tm)
			total.done(job, res.Size, err)
		}
	})
	m.wait()
	return total.report(a, "downloaded", err)
}
