package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

func (a *app) putCommand() *cobra.Command {
	var opts transferFlags
	cmd := &cobra.Command{
		Use: "put LOCAL... [REMOTE]",
		// An interrupted run is resumed by running it again.
		Annotations: map[string]string{resumable: "yes"},
		Short:       "Upload a file (or a folder with -r); resumes an interrupted upload",
		Long: `Upload LOCAL to REMOTE (default: the same name in your top folder, or in
the shell's current folder; into REMOTE if it is a folder). An existing file is
replaced only once the new one has arrived whole and its BLAKE3-256 matches.

An interrupted upload stays on the server (for 24 hours by default); running
the same put again resumes it after checking that the bytes the server holds
are the start of your file. --restart starts from zero instead.

Folders (-r) follow rsync's rule, so the same command always means the same
thing and can be run again to finish or refresh a copy: put -r photos DEST
makes DEST/photos (whether or not DEST exists yet); put -r photos/ DEST (a
trailing slash) puts what is in photos into DEST. Files already there with
the same size and modification time are skipped (--ignore-existing skips
every file already there); the summary says how many.

put - NAME stores standard input as NAME: it is first kept in a temporary
file (the size must be known before the upload starts, and the upload is
verified like any other), so an interrupted put - cannot be resumed.

Several sources (put a b c DIR, or put *.jpg photos as the local shell
expands it) go into the remote folder DIR, which must exist.`,
		Args: atLeastOne("local file"),
	}
	var one func(cmd *cobra.Command, args []string) error
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) <= 2 {
			return one(cmd, args)
		}
		return a.eachSource(cmd, args[:len(args)-1], args[len(args)-1], one)
	}
	one = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		c, err := a.loggedIn(ctx)
		if err != nil {
			return err
		}
		local := args[0]
		if local == "-" {
			if len(args) != 2 || strings.HasSuffix(args[1], "/") {
				return usagef("put - needs the NAME to store standard input as")
			}
			spool, err := a.spoolStdin()
			if err != nil {
				return err
			}
			defer os.Remove(spool)
			remote := a.remote(args[1])
			m := a.newMeter()
			res, err := putOne(ctx, c, spool, remote, true, m)
			m.wait()
			return a.reportPut(remote, res, err)
		}
		info, err := os.Stat(local)
		if err != nil {
			return localError("reading", local, err)
		}
		if info.IsDir() {
			if !opts.recursive {
				return usagef("%s is a folder; use put -r to upload folders", local)
			}
			remote, err := a.uploadTreeTarget(ctx, c, local, args[1:])
			if err != nil {
				return err
			}
			return a.putTree(ctx, local, remote, opts)
		}
		remote, err := a.uploadTarget(ctx, c, local, args[1:])
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", local)
		}
		m := a.newMeter()
		res, err := putOne(ctx, c, local, remote, opts.restart, m)
		m.wait()
		return a.reportPut(remote, res, err)
	}
	opts.register(cmd, "start from zero even if the server holds part of the file")
	return cmd
}

// transferFlags are the flags put and get share.
type transferFlags struct {
	recursive      bool
	parallel       int
	ignoreExisting bool
	checksum       bool
	restart        bool // put: --restart
	resume         bool // get: --resume
	overwrite      bool // get: --overwrite
}

func (f *transferFlags) register(cmd *cobra.Command, restartHelp string) {
	cmd.Flags().BoolVarP(&f.recursive, "recursive", "r", false, "transfer a folder and everything in it")
	cmd.Flags().IntVar(&f.parallel, "parallel", 4, "with -r, how many files move at once (each on its own connection)")
	cmd.Flags().BoolVar(&f.checksum, "checksum", false, "with -r, skip files whose BLAKE3 equals the one recorded on the server (reads each local file of the same size), instead of comparing size and modification time")
	cmd.Flags().BoolVar(&f.ignoreExisting, "ignore-existing", false, "with -r, skip every file already at the destination (by default only those of the same size and modification time are skipped)")
	if restartHelp != "" {
		cmd.Flags().BoolVar(&f.restart, "restart", false, restartHelp)
	}
}

// uploadTarget is where LOCAL goes: REMOTE if given (inside it when it is a
// folder), else LOCAL's name in the current remote folder. A REMOTE that
// ends in a slash names a folder, which must exist: the upload never
// becomes a file of that name.
func (a *app) uploadTarget(ctx context.Context, c *client.Client, local string, rest []string) (string, error) {
	base := filepath.Base(filepath.Clean(local))
	if len(rest) == 0 {
		return a.remote(base), nil
	}
	remote := a.remote(rest[0])
	e, err := c.Stat(ctx, remote)
	switch {
	case err == nil && e.Kind == proto.KindDir:
		return joinRemote(remote, base), nil
	case err != nil && !errors.Is(err, proto.ErrNotFound):
		return "", err
	case strings.HasSuffix(rest[0], "/") && err == nil:
		return "", fmt.Errorf("remote %s is not a folder", safeName(rest[0]))
	case strings.HasSuffix(rest[0], "/"):
		return "", fmt.Errorf("remote folder %s does not exist (make it with: netdisk mkdir %s)", safeName(rest[0]), safeName(strings.TrimRight(rest[0], "/")))
	}
	return remote, nil
}

// uploadTreeTarget is the remote folder put -r fills, by rsync's rule:
// REMOTE/NAME for a LOCAL folder NAME, or REMOTE itself when LOCAL ends in
// a slash (or is . or ..). REMOTE defaults to the current remote folder and
// is made if missing; a file there is refused.
func (a *app) uploadTreeTarget(ctx context.Context, c *client.Client, local string, rest []string) (string, error) {
	dest := "."
	if len(rest) > 0 {
		dest = rest[0]
	}
	remote := a.remote(dest)
	if e, err := c.Stat(ctx, remote); err == nil && e.Kind != proto.KindDir {
		return "", fmt.Errorf("remote %s is not a folder", safeName(dest))
	} else if err != nil && !errors.Is(err, proto.ErrNotFound) {
		return "", err
	}
	if contentsOnly(local) {
		return remote, nil
	}
	return joinRemote(remote, filepath.Base(filepath.Clean(local))), nil
}

// contentsOnly says whether a folder given to -r means what is in it (a
// trailing slash, or . or ..) rather than the folder itself.
func contentsOnly(p string) bool {
	if endsInSlash(p) {
		return true
	}
	base := filepath.Base(filepath.Clean(p))
	return base == "." || base == ".." || base == string(filepath.Separator)
}

// spoolStdin copies standard input into a temporary file (mode 0600) and
// returns its name.
func (a *app) spoolStdin() (string, error) {
	f, err := os.CreateTemp("", "netdisk-stdin-*")
	if err != nil {
		return "", localError("making a temporary file in", os.TempDir(), err)
	}
	if _, err := io.Copy(f, a.stdin); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", localError("writing", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", localError("writing", f.Name(), err)
	}
	return f.Name(), nil
}

// putOne uploads one file, showing its progress.
func putOne(ctx context.Context, c *client.Client, local, remote string, restart bool, m meter) (client.PutResult, error) {
	f, err := os.Open(local)
	if err != nil {
		return client.PutResult{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return client.PutResult{}, err
	}
	tr := m.track(remote, info.Size(), 0)
	res, err := c.Put(ctx, f, remote, client.PutOptions{Restart: restart, Progress: paced(ctx, tr.update)})
	tr.finish(err == nil)
	return res, err
}

// reportPut prints the outcome of one upload and returns the error to exit
// with, advice included (one line).
func (a *app) reportPut(remote string, res client.PutResult, err error) error {
	if res.Restarted != "" {
		fmt.Fprintf(a.stderr, "netdisk: %s: could not resume: %s\n", safeName(remote), res.Restarted)
	}
	if err != nil {
		return resumeAdvice(err, "the upload of "+safeName(remote)+" was interrupted: run the same command again to resume it")
	}
	if a.quiet {
		return nil
	}
	resumed := ""
	if res.Resumed > 0 {
		resumed = fmt.Sprintf(", resumed after %s", humanSize(res.Resumed))
	}
	fmt.Fprintf(a.stdout, "stored %s (%s%s, blake3 %x)\n", safeName(remote), humanSize(res.Size), resumed, res.Digest[:8])
	return nil
}

// putTree uploads a local folder: its folders first, then its files by
// `parallel` workers, each pipelining uploads on its own connection.
func (a *app) putTree(ctx context.Context, localRoot, remoteRoot string, opts transferFlags) error {
	c, err := a.loggedIn(ctx)
	if err != nil {
		return err
	}
	var jobs []transferJob
	var dirs []string
	err = filepath.WalkDir(localRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(localRoot, p)
		remote := remoteRoot
		if rel != "." {
			remote = path.Join(remoteRoot, filepath.ToSlash(rel))
		}
		switch {
		case d.IsDir():
			dirs = append(dirs, remote)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			jobs = append(jobs, transferJob{local: p, remote: remote, size: info.Size(), mtime: info.ModTime()})
		default:
			fmt.Fprintf(a.stderr, "netdisk: skipping %s: not a regular file or folder\n", p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// What is there already: each folder of the tree listed once.
	there := make(map[string]proto.Entry)
	for _, d := range dirs {
		if err := c.Mkdir(ctx, d, true); err != nil {
			return err
		}
		entries, err := c.List(ctx, d)
		if err != nil {
			return err
		}
		for _, e := range entries {
			there[joinRemote(d, e.Name)] = e
		}
	}
	total := newTotals(len(jobs))
	var skipErr error
	jobs = slices.DeleteFunc(jobs, func(j transferJob) bool {
		e, ok := there[j.remote]
		skip := ok && e.Kind == proto.KindFile
		switch {
		case !skip || opts.ignoreExisting:
		case opts.checksum:
			if e.Size != j.size {
				skip = false
				break
			}
			same, err := sameDigest(ctx, c, j.local, j.remote)
			if err != nil && skipErr == nil {
				skipErr = err
			}
			skip = same
		default:
			skip = looksSame(e.Size, e.MTime, j.size, j.mtime)
		}
		if skip {
			total.skip()
		}
		return skip
	})
	if skipErr != nil {
		return skipErr
	}
	var bytes int64
	for _, j := range jobs {
		bytes += j.size
	}
	m := a.newTreeMeter(len(jobs), bytes)
	err = a.runTransfers(ctx, jobs, opts.parallel, func(ctx context.Context, w *worker, queue <-chan transferJob) {
		pipelinePuts(ctx, w, queue, opts.restart, m, total)
	})
	m.wait()
	return total.report(a, "uploaded", err)
}

// pipelinePuts sends uploads back to back on one connection, keeping up to
// window of them awaiting their replies, so small files do not each wait a
// round trip. If the connection ends, the uploads that were in flight on
// it (except the one the server refused) are sent again once on a new one.
func pipelinePuts(ctx context.Context, w *worker, queue <-chan transferJob, restart bool, m meter, total *totals) {
	const window = 64
	type inflight struct {
		job transferJob
		f   *os.File
		p   *client.PendingPut
		tr  tracker
	}
	var pending []inflight
	var retry []transferJob
	retried := map[string]bool{}
	finish := func(x inflight) {
		_, err := x.p.Wait(ctx)
		x.f.Close()
		x.tr.finish(err == nil)
		if errors.Is(err, client.ErrConnLost) && !retried[x.job.remote] {
			retried[x.job.remote] = true
			retry = append(retry, x.job)
			return
		}
		total.done(x.job, x.job.size, err)
	}
	send := func(job transferJob) {
		c, err := w.conn(ctx)
		if err != nil {
			total.done(job, 0, err)
			return
		}
		f, err := os.Open(job.local)
		if err != nil {
			total.done(job, 0, err)
			return
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			total.done(job, 0, err)
			return
		}
		job.size = info.Size()
		// A bar per tiny file would only flicker: it counts in the
		// overall display only.
		var tr tracker
		switch tm, ok := m.(*treeMeter); {
		case info.Size() >= client.ResumeThreshold:
			tr = m.track(job.remote, info.Size(), 0)
		case ok:
			tr = tm.small().track(job.remote, info.Size(), 0)
		default:
			tr = quietTracker{}
		}
		p, err := c.StartPut(ctx, f, job.remote, client.PutOptions{Restart: restart, Progress: paced(ctx, tr.update)})
		if err != nil {
			f.Close()
			tr.finish(false)
			total.done(job, 0, err)
			return
		}
		pending = append(pending, inflight{job: job, f: f, p: p, tr: tr})
		if len(pending) >= window {
			finish(pending[0])
			pending = pending[1:]
		}
	}
	for job := range queue {
		send(job)
	}
	for len(pending) > 0 || len(retry) > 0 {
		for _, x := range pending {
			finish(x)
		}
		pending = nil
		again := retry
		retry = nil
		for _, job := range again {
			send(job)
		}
	}
}
