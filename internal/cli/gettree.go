package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

// Limits on what one get -r takes from a server, far above any real tree,
// so that a server answering every listing with another folder cannot make
// the client recurse, or hold paths, without end. Each listing has its own
// limits too (client.MaxListEntries and the rest).
const (
	// maxTreeDepth bounds how deep below the folder downloaded it goes.
	maxTreeDepth = 256
	// maxTreeFolders bounds the folders of one get -r.
	maxTreeFolders = 1_000_000
	// maxTreeFiles bounds the files of one get -r.
	maxTreeFiles = 10_000_000
	// maxTreePathBytes bounds the bytes of the paths one get -r holds.
	maxTreePathBytes = 1 << 30
)

// treeLimits are the limits in force; tests lower them.
var treeLimits = struct {
	depth, folders, files int
	pathBytes             int64
}{maxTreeDepth, maxTreeFolders, maxTreeFiles, maxTreePathBytes}

// getTree downloads a remote folder into local. Every folder and file is
// made through an os.Root of local, so none lands outside it, and a
// symbolic link found inside it is never followed: the files the server
// has below such a link fail, each with an error saying so, and the rest
// are downloaded.
func (a *app) getTree(ctx context.Context, remoteRoot, localRoot string, mode existing, opts transferFlags) error {
	c, err := a.loggedIn(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(localRoot, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(localRoot)
	if err != nil {
		return err
	}
	defer root.Close()
	tree, err := listTree(ctx, c, remoteRoot, root, localRoot)
	if err != nil {
		return err
	}
	target := func(j transferJob) localTarget {
		return localTarget{root: root, name: j.local, display: filepath.Join(localRoot, j.local)}
	}
	total := newTotals(len(tree.jobs) + len(tree.blocked))
	var skipErr error
	tree.jobs = slices.DeleteFunc(tree.jobs, func(j transferJob) bool {
		info, err := root.Lstat(j.local)
		skip := err == nil && info.Mode().IsRegular()
		switch {
		case !skip || opts.ignoreExisting:
		case opts.checksum:
			if info.Size() != j.size {
				skip = false
				break
			}
			same, err := sameDigest(ctx, c, filepath.Join(localRoot, j.local), j.remote)
			if err != nil && skipErr == nil {
				skipErr = err
			}
			skip = same
		default:
			skip = looksSame(info.Size(), info.ModTime(), j.size, j.mtime)
		}
		if skip {
			total.skip()
		}
		return skip
	})
	if skipErr != nil {
		return skipErr
	}
	if mode == askUser {
		var exist []transferJob
		for _, j := range tree.jobs {
			if target(j).exists() {
				exist = append(exist, j)
			}
		}
		if len(exist) > 0 {
			if mode, err = a.askExisting(target(exist[0]), len(exist)); err != nil {
				return err
			}
		}
	}
	var bytes int64
	for _, j := range tree.jobs {
		bytes += j.size
	}
	m := a.newTreeMeter(len(tree.jobs), bytes)
	for _, b := range tree.blocked {
		total.done(b.job, 0, b.err)
	}
	err = a.runTransfers(ctx, tree.jobs, opts.parallel, func(ctx context.Context, w *worker, queue <-chan transferJob) {
		for job := range queue {
			var tm meter = m
			if job.size < client.ResumeThreshold {
				tm = m.small()
			}
			c, err := w.conn(ctx)
			if err != nil {
				total.done(job, 0, err)
				continue
			}
			res, err := getOne(ctx, c, job.remote, target(job), mode, tm, job.size)
			total.done(job, res.Size, err)
		}
	})
	m.wait()
	return total.report(a, "downloaded", err)
}

// remoteTree is what a get -r downloads: the files (transferJob.local is
// relative to the local root), and the files that cannot be, each with
// why.
type remoteTree struct {
	jobs    []transferJob
	blocked []blockedFile
}

type blockedFile struct {
	job transferJob
	err error
}

// treeFolder is a folder of the tree still to be listed.
type treeFolder struct {
	remote  string
	local   string // relative to the local root
	depth   int
	blocked error // why nothing can be made in it locally
}

// listTree lists the remote tree breadth first (so at most one listing is
// held at a time), making its folders under root as it goes, and returns
// the files to download. It checks each name again where it is joined to a
// path (the client checked it when the listing arrived), and stops with an
// error past the tree limits.
func listTree(ctx context.Context, c *client.Client, remoteRoot string, root *os.Root, localRoot string) (remoteTree, error) {
	var tree remoteTree
	queue := []treeFolder{{remote: remoteRoot, local: "."}}
	folders, files := 0, 0
	var pathBytes int64
	for len(queue) > 0 {
		d := queue[0]
		queue[0] = treeFolder{}
		queue = queue[1:]
		if d.blocked == nil && d.local != "." {
			d.blocked = makeFolder(root, d.local, filepath.Join(localRoot, d.local))
		}
		entries, err := c.List(ctx, d.remote)
		if errors.Is(err, client.ErrUnsafeName) || errors.Is(err, client.ErrListTooLong) {
			return tree, fmt.Errorf("%w; stopping (no file was downloaded)", err)
		}
		if err != nil {
			return tree, err
		}
		for _, e := range entries {
			if err := client.CheckName(e.Name); err != nil {
				return tree, fmt.Errorf("in %s: %w; stopping (no file was downloaded)", client.FolderLabel(d.remote), err)
			}
			if e.Kind != proto.KindDir && e.Kind != proto.KindFile {
				continue // never followed (a link on the server, say)
			}
			remote, local := joinRemote(d.remote, e.Name), filepath.Join(d.local, e.Name)
			if len(remote) > client.MaxPathBytes {
				return tree, fmt.Errorf("the server's folder %s holds a path longer than %d bytes; stopping (no file was downloaded)",
					safeName(remoteRoot), client.MaxPathBytes)
			}
			pathBytes += int64(len(remote) + len(local))
			if pathBytes > treeLimits.pathBytes {
				return tree, fmt.Errorf("the server's folder %s holds more than %d bytes of paths; stopping (no file was downloaded)",
					safeName(remoteRoot), treeLimits.pathBytes)
			}
			if e.Kind == proto.KindDir {
				if folders++; folders > treeLimits.folders {
					return tree, fmt.Errorf("the server's folder %s holds more than %d folders; stopping (no file was downloaded)",
						safeName(remoteRoot), treeLimits.folders)
				}
				if d.depth+1 > treeLimits.depth {
					return tree, fmt.Errorf("the server's folder %s is more than %d folders deep; stopping (no file was downloaded)",
						safeName(remoteRoot), treeLimits.depth)
				}
				queue = append(queue, treeFolder{remote: remote, local: local, depth: d.depth + 1, blocked: d.blocked})
				continue
			}
			if files++; files > treeLimits.files {
				return tree, fmt.Errorf("the server's folder %s holds more than %d files; stopping (no file was downloaded)",
					safeName(remoteRoot), treeLimits.files)
			}
			job := transferJob{local: local, remote: remote, size: e.Size, mtime: e.MTime}
			if d.blocked != nil {
				tree.blocked = append(tree.blocked, blockedFile{job, d.blocked})
			} else {
				tree.jobs = append(tree.jobs, job)
			}
		}
	}
	return tree, nil
}

// makeFolder makes the folder rel under root, or checks that it is there
// as a real folder: a symbolic link there is not followed.
func makeFolder(root *os.Root, rel, display string) error {
	err := root.Mkdir(rel, 0o755)
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	info, err := root.Lstat(rel)
	switch {
	case err != nil:
		return err
	case info.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s %w; not following it (nothing was written through it; remove it to download there)", safeName(display), errSymlink)
	case !info.IsDir():
		return fmt.Errorf("%s is already there and is not a folder; nothing was written in it", safeName(display))
	}
	return nil
}
