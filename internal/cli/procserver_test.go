package cli

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// netdiskBinary builds cmd/netdisk once per test run, for tests that need
// the server as a separate process (to measure its memory, or kill it).
func netdiskBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "netdisk-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "netdisk")
		out, err := exec.Command("go", "build", "-o", builtBin, "netdisk/cmd/netdisk").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("go build: %s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building netdisk: %v", buildErr)
	}
	return builtBin
}

// procServer is `netdisk serve` running as its own process.
type procServer struct {
	t       *testing.T
	cmd     *exec.Cmd
	addr    string
	dataDir string
	args    []string
	env     []string // added to the test's environment
	logPath string
	pid     atomic.Int64 // of the running server, for rss (read while kill may run)
}

// startProcServer starts `netdisk serve ARGS` on 127.0.0.1:0 with dataDir
// and waits until it listens. It is killed when the test ends.
func startProcServer(t *testing.T, dataDir string, args ...string) *procServer {
	t.Helper()
	return startProcServerEnv(t, dataDir, nil, args...)
}

// startProcServerEnv is startProcServer with env added to the server's
// environment.
func startProcServerEnv(t *testing.T, dataDir string, env []string, args ...string) *procServer {
	t.Helper()
	p := &procServer{t: t, dataDir: dataDir, args: args, env: env, logPath: filepath.Join(t.TempDir(), "server.log")}
	p.start("127.0.0.1:0")
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			log, _ := os.ReadFile(p.logPath)
			t.Logf("server log:\n%s", log)
		}
	})
	return p
}

func (p *procServer) start(listen string) {
	p.t.Helper()
	args := append([]string{"serve", "--listen", listen, "--http", "off", "--data", p.dataDir, "--log-level", "info"}, p.args...)
	cmd := exec.Command(netdiskBinary(p.t), args...)
	cmd.Env = append(os.Environ(), p.env...)
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.pid.Store(int64(cmd.Process.Pid))
	logf.Close()
	p.cmd = cmd
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
	p.addr = ""
	for p.addr == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				p.t.Fatal("the server exited before listening")
			}
			if rest, found := strings.CutPrefix(line, "netdisk: serving the netdisk protocol on "); found {
				p.addr = strings.Fields(rest)[0]
			}
		case <-timeout:
			p.t.Fatal("the server did not start listening")
		}
	}
	go func() {
		for range lines {
		}
	}()
}

// kill stops the server with SIGKILL (no chance to clean up).
func (p *procServer) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
		p.cmd = nil
	}
}

// restart starts the server again on the same address and data folder.
func (p *procServer) restart() {
	p.t.Helper()
	p.start(p.addr)
}

// rss returns the server's resident memory in bytes.
func (p *procServer) rss() int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(int(p.pid.Load())) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// userOf returns a client user of a process server.
func (p *procServer) user(t *testing.T, plaintext bool) *user {
	return &user{t: t, srv: &testServer{addr: p.addr}, cfgDir: t.TempDir(), plaintext: plaintext, server: p.addr}
}

// watchRSS samples the server's resident memory every few milliseconds
// until the returned function is called, which returns the peak seen.
func (p *procServer) watchRSS() (stop func() int64) {
	var peak atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if r := p.rss(); r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}
