package s3test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"netdisk/internal/testsrv"
)

const (
	// startTimeout bounds how long the gateway may take to listen;
	// stopTimeout how long it may take to exit once asked before it is
	// killed (its HTTP server waits up to 10 s for requests in flight).
	startTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
	// folderPrefix starts the name of every gateway's temporary folder; the
	// test process's PID follows, so a later run can tell a folder whose
	// owner is gone.
	folderPrefix = "s3test-"
)

// gateway is the running gateway process, seen from the test process.
type gateway struct {
	dir       string // the temporary folder: buckets/ (the posix root), meta/ if needed, gateway.log
	url       string // http://127.0.0.1:PORT
	accessKey string
	secretKey string
	cmd       *exec.Cmd
	stdin     io.WriteCloser // held open: the child stops when it closes

	// exited is closed when the gateway process has exited; waitErr is
	// then what cmd.Wait returned.
	exited  chan struct{}
	waitErr error
}

// startGateway starts the test binary again as the gateway (see serve.go)
// and waits for the address it listens on.
func startGateway() (*gateway, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the test binary to run the gateway: %w", err)
	}
	removeAbandonedFolders()
	dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", folderPrefix, os.Getpid()))
	if err != nil {
		return nil, err
	}
	g := &gateway{
		dir:       dir,
		accessKey: "test" + testsrv.RandomHex(8),
		secretKey: testsrv.RandomHex(20),
		exited:    make(chan struct{}),
	}
	if err := g.start(exe); err != nil {
		g.stop()
		return nil, err
	}
	return g, nil
}

// start runs exe as the gateway and reads its address from the pipe it
// writes that to once it listens.
func (g *gateway) start(exe string) error {
	root := filepath.Join(g.dir, "buckets")
	if err := os.Mkdir(root, 0o700); err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(g.dir, "gateway.log"))
	if err != nil {
		return err
	}
	defer logFile.Close() // the child holds its own copies
	addrR, addrW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer addrR.Close()

	// "-test.run=^$": should this package's init somehow not take the
	// child over, it runs no tests (and so starts no gateway of its own).
	g.cmd = exec.Command(exe, "-test.run=^$")
	g.cmd.Dir = g.dir
	g.cmd.Env = append(os.Environ(),
		envRoot+"="+root,
		envAccessKey+"="+g.accessKey,
		envSecretKey+"="+g.secretKey,
		// Under -race the child would otherwise sleep a second before it
		// exits, and Stop waits for it.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"),
	)
	g.cmd.Stdout = logFile
	g.cmd.Stderr = logFile
	g.cmd.ExtraFiles = []*os.File{addrW} // descriptor 3 in the child
	// The child reads its standard input until it closes, which it does
	// when this process exits however it exits: then the child stops.
	if g.stdin, err = g.cmd.StdinPipe(); err != nil {
		addrW.Close()
		return err
	}
	err = g.cmd.Start()
	addrW.Close() // the child's copy is the only writer now
	if err != nil {
		return fmt.Errorf("starting the gateway process: %w", err)
	}
	go func() {
		g.waitErr = g.cmd.Wait()
		close(g.exited)
	}()

	type result struct {
		line string
		err  error
	}
	read := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(addrR).ReadString('\n')
		read <- result{line, err}
	}()
	select {
	case r := <-read:
		if r.err != nil {
			// The child closed the pipe without an address: it failed.
			select {
			case <-g.exited:
				return fmt.Errorf("gateway exited while starting (%v); its log:\n%s", g.waitErr, g.log())
			case <-time.After(stopTimeout):
				return fmt.Errorf("gateway closed its address pipe without an address; its log:\n%s", g.log())
			}
		}
		g.url = "http://" + strings.TrimSpace(r.line)
		return nil
	case <-time.After(startTimeout):
		return fmt.Errorf("gateway not listening after %v; its log:\n%s", startTimeout, g.log())
	}
}

// stop asks the gateway process to exit (SIGTERM), kills it if it has not
// within stopTimeout, and removes the gateway's folder. A gateway that
// exited with an error (a data race report, say) has its log printed.
func (g *gateway) stop() error {
	var err error
	if g.cmd != nil && g.cmd.Process != nil {
		select {
		case <-g.exited:
			err = fmt.Errorf("the gateway had exited before its stop (%v); its log:\n%s", g.waitErr, g.log())
		default:
			g.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-g.exited:
				if g.waitErr != nil {
					err = fmt.Errorf("gateway: %v; its log:\n%s", g.waitErr, g.log())
				}
			case <-time.After(stopTimeout):
				g.cmd.Process.Kill()
				<-g.exited
				err = fmt.Errorf("gateway (pid %d) ignored SIGTERM for %v and was killed", g.cmd.Process.Pid, stopTimeout)
			}
		}
	}
	if rmErr := os.RemoveAll(g.dir); rmErr != nil && err == nil {
		err = rmErr
	}
	return err
}

// log returns the end of the gateway's log, for error messages.
func (g *gateway) log() string {
	b, err := os.ReadFile(filepath.Join(g.dir, "gateway.log"))
	if err != nil {
		return err.Error()
	}
	const tail = 8 << 10
	if len(b) > tail {
		b = b[len(b)-tail:]
	}
	return string(bytes.TrimSpace(b))
}

// removeAbandonedFolders removes the folders of gateways whose test
// process died without removing them (their gateway exits with it). It is
// best effort: a folder it cannot judge or remove is left.
func removeAbandonedFolders() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), folderPrefix+"*-*"))
	for _, d := range dirs {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(d), folderPrefix), "-")
		owner, err := strconv.Atoi(pidText)
		if err != nil || owner <= 0 || !errors.Is(syscall.Kill(owner, 0), syscall.ESRCH) {
			continue
		}
		os.RemoveAll(d)
	}
}
