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
	"syscall"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

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
		Use: "get REMOTE... [LOCAL]",
		// An interrupted run is resumed by running it again.
		Annotations: map[string]string{resumable: "yes"},
		Short:       "Download a file (or a folder with -r) with a progress bar; resume with --resume",
		Long: `Download REMOTE to LOCAL (default: the same name in the current folder;
into LOCAL if it is a folder). The file arrives in LOCAL.ndpart and replaces
LOCAL only once whole and verified (BLAKE3-256).

If LOCAL (or an interrupted LOCAL.ndpart) already exists, the shell and a
terminal ask whether to resume, start again or cancel; otherwise pass
--resume (continue, after checking that the bytes you have are the server's)
or --overwrite (start again). With neither and no terminal, get refuses and
leaves the local file untouched.

Folders (-r) follow rsync's rule, so the same command can be run again to
finish or refresh a copy: get -r photos DEST makes DEST/photos (whether or
not DEST exists yet); get -r photos/ DEST puts what is in photos into DEST.
Local files with the same size and modification time as the server's are
skipped (--ignore-existing skips every file already there); the summary
says how many.

Several sources (get a b DIR), or a pattern in the last name of a remote
path, quoted so the local shell leaves it (get 'photos/*.jpg' DIR), go into
the local folder DIR (default: the current one), which must exist. get
REMOTE - writes the file to standard output.`,
		Args: atLeastOne("remote file"),
	}
	var one func(cmd *cobra.Command, args []string) error
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		srcs, dest := args, "."
		if len(args) > 1 {
			srcs, dest = args[:len(args)-1], args[len(args)-1]
		}
		if len(srcs) == 1 && !hasPattern(srcs[0]) {
			return one(cmd, args)
		}
		c, err := a.loggedIn(cmd.Context())
		if err != nil {
			return err
		}
		expanded, err := a.expandRemote(cmd.Context(), c, srcs)
		if err != nil {
			return err
		}
		return a.eachSource(cmd, expanded, dest, one)
	}
	one = func(cmd *cobra.Command, args []string) error {
		if opts.resume && opts.overwrite {
			return usagef("--resume and --overwrite exclude each other")
		}
		if len(args) == 2 && args[1] == "-" && !opts.recursive {
			return a.cat(cmd, args[0]) // standard output
		}
		ctx := cmd.Context()
		c, err := a.loggedIn(ctx)
		if err != nil {
			return err
		}
		remote := a.remote(args[0])
		if t := strings.TrimRight(remote, "/"); t != "" {
			remote = t // the slash is a folder's, and says "what is in it" to -r
		}
		e, err := c.Stat(ctx, remote)
		if err != nil {
			return err
		}
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
			local, err := downloadTreeTarget(args[0], remote, args[1:])
			if err != nil {
				return err
			}
			return a.getTree(ctx, remote, local, mode, opts)
		}
		local, err := a.downloadTarget(remote, args[1:])
		if err != nil {
			return err
		}
		t, err := openTarget(local)
		if err != nil {
			return err
		}
		defer t.root.Close()
		if mode == askUser && t.exists() {
			if mode, err = a.askExisting(t, 1); err != nil {
				return err
			}
		}
		m := a.newMeter()
		res, err := getOne(ctx, c, remote, t, mode, m, -1)
		m.wait()
		var np *notPrefixError
		if errors.As(err, &np) && (a.interactive() || a.shell != nil) {
			// Asked to resume, but it is another file: ask again.
			answer, perr := a.prompt().Line(fmt.Sprintf("%s is not the start of the server's file: resuming would replace it. Overwrite it? [y/N] ", safeName(local)))
			if perr != nil || !strings.EqualFold(strings.TrimSpace(answer), "y") {
				return errCancelled
			}
			m = a.newMeter()
			res, err = getOne(ctx, c, remote, t, overwrite, m, -1)
			m.wait()
		}
		return a.reportGet(local, res, err)
	}
	opts.register(cmd, "")
	cmd.Flags().BoolVar(&opts.resume, "resume", false, "continue an existing local file after verifying its bytes")
	cmd.Flags().BoolVar(&opts.overwrite, "overwrite", false, "replace an existing local file, starting from zero")
	return cmd
}

// downloadTarget is where REMOTE goes locally.
// downloadTreeTarget is the local folder get -r fills, by rsync's rule:
// LOCAL/NAME for a remote folder NAME, or LOCAL itself when REMOTE ends in
// a slash (or is the top folder). LOCAL defaults to the current folder and
// is made if missing; a file there is refused.
func downloadTreeTarget(arg, remote string, rest []string) (string, error) {
	dest := "."
	if len(rest) > 0 {
		dest = rest[0]
	}
	if info, err := os.Stat(dest); err == nil && !info.IsDir() {
		return "", fmt.Errorf("local %s is not a folder", safeName(dest))
	}
	if strings.HasSuffix(arg, "/") || remote == "." || remote == "" {
		return dest, nil
	}
	return filepath.Join(dest, path.Base(remote)), nil
}

// A LOCAL that ends in a slash names a folder, which must exist.
func (a *app) downloadTarget(remote string, rest []string) (string, error) {
	base := path.Base(remote)
	if len(rest) == 0 {
		return base, nil
	}
	info, err := os.Stat(rest[0])
	if err == nil && info.IsDir() {
		return filepath.Join(rest[0], base), nil
	}
	if endsInSlash(rest[0]) {
		if _, err := os.Stat(strings.TrimRight(rest[0], "/"+string(filepath.Separator))); err == nil {
			return "", fmt.Errorf("local %s is not a folder", safeName(rest[0]))
		}
		return "", fmt.Errorf("local folder %s does not exist (make it first, or leave out the trailing /)", safeName(rest[0]))
	}
	return rest[0], nil
}

// endsInSlash says whether a path given on the command line names a
// folder by its trailing slash.
func endsInSlash(p string) bool {
	return strings.HasSuffix(p, "/") || strings.HasSuffix(p, string(filepath.Separator))
}

// askExisting decides what to do with n existing local files: ask on a
// terminal, refuse otherwise.
func (a *app) askExisting(t localTarget, n int) (existing, error) {
	local := safeName(t.display)
	what := local + " already exists"
	_, errLocal := t.root.Lstat(t.name)
	if _, err := t.root.Lstat(t.part()); err == nil {
		what = local + " was partly downloaded before (" + safeName(t.display+partSuffix) + ")"
		if errLocal == nil {
			what = local + " and " + safeName(t.display+partSuffix) + " (an interrupted download) already exist; resuming continues the .ndpart and then replaces " + local
		}
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

// getOne downloads one file to t. listedSize, if not negative, is the
// file's size as a listing gave it: the server may not announce another.
func getOne(ctx context.Context, c *client.Client, remote string, t localTarget, mode existing, m meter, listedSize int64) (client.GetResult, error) {
	f, offset, moved, err := openPart(t, mode)
	if err != nil {
		return client.GetResult{}, err
	}
	var tr tracker = quietTracker{}
	res, err := c.Get(ctx, remote, f, offset, client.GetOptions{
		Started:   func(size, from int64) { tr = m.track(remote, size, from) },
		Progress:  paced(ctx, func(n int64) { tr.update(n) }),
		Size:      listedSize,
		SizeKnown: listedSize >= 0,
		// Resuming LOCAL itself: if it is not the start of the server's
		// file it is some other file, and must not be replaced unasked.
		NoRestart: moved,
	})
	tr.finish(err == nil)
	if errors.Is(err, client.ErrNotPrefix) {
		f.Close()
		if rerr := t.root.Rename(t.part(), t.name); rerr != nil {
			return res, rerr
		}
		return res, &notPrefixError{local: t.display}
	}
	if err != nil {
		if errors.Is(err, client.ErrChecksumMismatch) {
			// Keep only the verified prefix for a later resume.
			f.Truncate(res.Offset)
		}
		f.Close()
		if res.Size == 0 && offset == 0 {
			dropEmptyPart(t)
		}
		return res, err
	}
	return res, finishPart(f, t, res)
}

// notPrefixError is a resume of a local file that is not the start of the
// server's file: it was left as it was.
type notPrefixError struct{ local string }

func (e *notPrefixError) Error() string {
	return fmt.Sprintf("local %s is not the start of the server's file, so it cannot be resumed; it was left as it was (use --overwrite to replace it)", safeName(e.local))
}

func (a *app) reportGet(local string, res client.GetResult, err error) error {
	if res.Restarted != "" {
		fmt.Fprintf(a.stderr, "netdisk: %s: starting again from zero: %s\n", safeName(local), safeText(res.Restarted))
	}
	var np *notPrefixError
	if errors.As(err, &np) {
		return err
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) || errors.Is(err, syscall.ENOSPC) {
			return localError("writing", local, err)
		}
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
