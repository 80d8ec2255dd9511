package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// superuser is the database role initdb makes and every URL uses.
	superuser = "postgres"
	// startTimeout bounds how long a new server may take to accept
	// connections; stopTimeout how long it may take to shut down before it
	// is killed.
	startTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
	// folderPrefix starts the name of every cluster's temporary folder; the
	// creating process's PID follows, so a later run can tell a folder
	// whose owner is gone.
	folderPrefix = "pgtest-"
)

// serverSettings make the server fast and private: no fsync (the data is
// thrown away), a Unix socket in the cluster's folder and no TCP at all,
// room for tests that open many connections, and its log on standard
// error, which goes to postgres.log.
var serverSettings = []string{
	"listen_addresses=",
	"fsync=off",
	"synchronous_commit=off",
	"full_page_writes=off",
	"max_connections=200",
	"logging_collector=off",
}

// cluster is one running PostgreSQL server and the folder it lives in.
type cluster struct {
	dir     string // the temporary folder: data/, sock/ and postgres.log
	sockDir string // where the server's Unix socket is
	cmd     *exec.Cmd

	// exited is closed when the server process has exited; waitErr is then
	// what cmd.Wait returned.
	exited  chan struct{}
	waitErr error
}

// errNoServer says what to do when PostgreSQL is not installed.
var errNoServer = errors.New("no PostgreSQL server binaries (initdb, postgres) under /usr/lib/postgresql/*/bin or on PATH: run ./test.sh, which installs Debian's postgresql package")

// startCluster makes a cluster in a new temporary folder with initdb,
// starts its server and waits until it accepts connections.
func startCluster() (*cluster, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	removeAbandonedFolders()

	dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", folderPrefix, os.Getpid()))
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir, sockDir: filepath.Join(dir, "sock"), exited: make(chan struct{})}
	if err := c.start(bin, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

// start runs initdb and then the server, as the user cred names (nil: the
// current user).
func (c *cluster) start(bin string, cred *syscall.Credential) error {
	data := filepath.Join(c.dir, "data")
	if err := os.Mkdir(c.sockDir, 0o700); err != nil {
		return err
	}
	if cred != nil {
		// The server's user must own its folders. os.MkdirTemp's parent
		// (normally /tmp) must let that user through, as /tmp does.
		for _, d := range []string{c.dir, c.sockDir} {
			if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
				return err
			}
		}
	}

	initdb := exec.Command(filepath.Join(bin, "initdb"),
		"-D", data, "-U", superuser, "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.Dir = c.dir // the server's user may not be able to enter the test's folder
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb in %s: %v\n%s", c.dir, err, out)
	}

	logFile, err := os.Create(filepath.Join(c.dir, "postgres.log"))
	if err != nil {
		return err
	}
	defer logFile.Close() // the server holds its own copy of the descriptor
	args := []string{"-D", data, "-k", c.sockDir}
	for _, s := range serverSettings {
		args = append(args, "-c", s)
	}
	// The server is started directly (not through pg_ctl or runuser), so
	// the PID held here is the postmaster's own, and signalling it stops
	// the cluster.
	c.cmd = exec.Command(filepath.Join(bin, "postgres"), args...)
	c.cmd.Dir = c.dir
	c.cmd.Stdout = logFile
	c.cmd.Stderr = logFile
	c.cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		// If the test process dies without stopping the server, the kernel
		// asks it for a fast shutdown.
		Pdeathsig: syscall.SIGINT,
	}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal is sent when the thread that started the
		// child exits, not the process: keep this goroutine on its thread
		// for as long as the server runs.
		runtime.LockOSThread()
		if err := c.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.waitErr = c.cmd.Wait()
		close(c.exited)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	if err := c.waitReady(); err != nil {
		c.stop()
		return err
	}
	return nil
}

// waitReady polls the server with a connection until one succeeds, the
// server exits, or startTimeout passes.
func (c *cluster) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.url("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited while starting (%v); its log:\n%s", c.waitErr, c.log())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not accepting connections after %v (%v); its log:\n%s", startTimeout, err, c.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop asks the server for a fast shutdown (SIGINT), kills it if it has
// not exited within stopTimeout, and removes the cluster's folder.
func (c *cluster) stop() error {
	var err error
	if c.cmd != nil && c.cmd.Process != nil {
		c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.exited:
		case <-time.After(stopTimeout):
			c.cmd.Process.Kill()
			<-c.exited
			err = fmt.Errorf("postgres (pid %d) ignored SIGINT for %v and was killed", c.cmd.Process.Pid, stopTimeout)
		}
	}
	if rmErr := os.RemoveAll(c.dir); rmErr != nil && err == nil {
		err = rmErr
	}
	return err
}

// url is the connection URL of database db.
func (c *cluster) url(db string) string {
	q := url.Values{"host": {c.sockDir}, "user": {superuser}, "sslmode": {"disable"}}
	return "postgres:///" + db + "?" + q.Encode()
}

// log returns the end of the server's log, for error messages.
func (c *cluster) log() string {
	b, err := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
	if err != nil {
		return err.Error()
	}
	const tail = 4 << 10
	if len(b) > tail {
		b = b[len(b)-tail:]
	}
	return string(bytes.TrimSpace(b))
}

// findBinDir returns the folder of the newest PostgreSQL server binaries
// Debian installs (/usr/lib/postgresql/<major>/bin), or else the folder of
// initdb on PATH.
func findBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best, bestMajor := "", -1
	for _, d := range dirs {
		// The version folder is "15", or "9.6" before PostgreSQL 10.
		version := filepath.Base(filepath.Dir(d))
		major, err := strconv.Atoi(strings.SplitN(version, ".", 2)[0])
		if err != nil || major <= bestMajor || !hasServer(d) {
			continue
		}
		best, bestMajor = d, major
	}
	if best != "" {
		return best, nil
	}
	if p, err := exec.LookPath("initdb"); err == nil && hasServer(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	return "", errNoServer
}

// hasServer reports whether dir holds both initdb and postgres.
func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return true
}

// serverCredential returns the user the server binaries must run as: nil
// (the current user) unless the tests run as root, which PostgreSQL
// refuses, and then the "postgres" user the Debian package makes.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL must run as another user, and there is no user postgres (%v): run ./test.sh, which installs Debian's postgresql package", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// removeAbandonedFolders removes the folders of clusters whose test process
// died without removing them, once both that process and its server are
// gone. It is best effort: a folder it cannot judge or remove is left.
func removeAbandonedFolders() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), folderPrefix+"*-*"))
	for _, d := range dirs {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(d), folderPrefix), "-")
		owner, err := strconv.Atoi(pidText)
		if err != nil || processAlive(owner) {
			continue
		}
		// postmaster.pid's first line is the server's PID; the file is gone
		// once the server has shut down.
		if b, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid")); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if server, err := strconv.Atoi(strings.TrimSpace(first)); err != nil || processAlive(server) {
				continue
			}
		}
		os.RemoveAll(d)
	}
}

// processAlive reports whether a process with this PID exists (when in
// doubt, that it does).
func processAlive(pid int) bool {
	if pid <= 0 {
		return true
	}
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
