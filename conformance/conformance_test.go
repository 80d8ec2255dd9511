package conformance

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"netdisk/internal/daemon"
	"netdisk/internal/pgtest"
	"netdisk/internal/s3test"
	"netdisk/internal/storage/cloud"
	"netdisk/internal/testlog"
	"netdisk/internal/users"
)

// TestPythonClient runs the Python client (netdisk_conformance.py, written
// from PROTOCOL.md alone) against real servers started here, answers the
// administrator's steps it asks for, and checks that it exercised every
// error code and message type PROTOCOL.md lists.
//
// It runs twice: with every server on the local store, and with the
// server most of the steps use ("plain") on the cloud store (PostgreSQL
// and a real S3-compatible server), whose administrator's steps then act
// on the database and the bucket.
func TestPythonClient(t *testing.T) {
	for _, tool := range []string{"python3", "b3sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (./test.sh installs it): %v", tool, err)
		}
	}
	t.Run("local", func(t *testing.T) { runPythonClient(t, nil) })
	t.Run("cloud", func(t *testing.T) {
		e := s3test.New(t)
		runPythonClient(t, &daemon.Cloud{
			PostgresURL: pgtest.New(t),
			S3:          cloud.S3Settings{Endpoint: e.URL, Region: e.Region, AccessKey: e.AccessKey, SecretKey: e.SecretKey},
			Bucket:      e.Bucket,
			Prefix:      "netdisk/",
		})
	})
}

// runPythonClient runs the Python client against servers started here,
// "plain" on the cloud store of c if not nil.
func runPythonClient(t *testing.T, c *daemon.Cloud) {
	plain := start(t, func(cfg *daemon.Config) { cfg.Plaintext = true; cfg.Cloud = c })
	plain.cloud = c
	tlsd := start(t, func(c *daemon.Config) {})
	key := make([]byte, 32)
	rand.Read(key)
	keyed := start(t, func(c *daemon.Config) { c.Plaintext = true; c.ClientKey = key })
	const maxPreLogin = 2
	tight := start(t, func(c *daemon.Config) {
		c.Plaintext = true
		c.MaxPreLoginPerAddr = maxPreLogin
		c.LoginTimeout = 2 * time.Second
		c.IdleTimeout = 2 * time.Second
	})

	targets := map[string]any{
		"plain": map[string]any{"addr": plain.d.Addr.String()},
		"tls":   map[string]any{"addr": tlsd.d.Addr.String(), "fingerprint": tlsd.d.Fingerprint},
		"keyed": map[string]any{"addr": keyed.d.Addr.String(), "key": base64.StdEncoding.EncodeToString(key)},
		"tight": map[string]any{"addr": tight.d.Addr.String(), "max_prelogin": maxPreLogin},
	}
	file := filepath.Join(t.TempDir(), "targets.json")
	b, _ := json.Marshal(targets)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "netdisk_conformance.py", file)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var transcript []string
	covered := map[string]string{} // code → outcome
	types := map[string]bool{}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 4<<20) // a check's line may quote a whole header
	for sc.Scan() {
		line := sc.Text()
		transcript = append(transcript, line)
		switch {
		case strings.HasPrefix(line, "CONTROL "):
			reply := "OK"
			if err := admin(t, plain, tight, strings.TrimPrefix(line, "CONTROL ")); err != nil {
				reply = "ERR " + err.Error()
			}
			fmt.Fprintln(stdin, reply)
		case strings.HasPrefix(line, "not ok"):
			t.Error(line)
		case strings.HasPrefix(line, "covered code "):
			f := strings.Fields(line)
			covered[f[2]] = f[3]
		case strings.HasPrefix(line, "covered type "):
			types[strings.TrimPrefix(line, "covered type ")] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Errorf("reading the Python client's output: %v", err)
		cmd.Process.Kill()
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the Python client: %v", err)
	}
	if t.Failed() {
		t.Logf("transcript:\n%s", strings.Join(transcript, "\n"))
	}

	codes, messages := documented(t)
	for _, code := range codes {
		if _, ok := covered[code]; !ok {
			t.Errorf("PROTOCOL.md's error code %s was not exercised by the Python client", code)
		}
	}
	for _, m := range messages {
		if !types[m] {
			t.Errorf("PROTOCOL.md's message type %s was not exercised by the Python client", m)
		}
	}
	t.Logf("%d error codes and %d message types exercised", len(covered), len(types))
}

// documented reads PROTOCOL.md: the codes of the error table in section 3,
// and every message type of section 4 (the bold names and the first and
// last columns of its request tables).
func documented(t *testing.T) (codes, messages []string) {
	doc, err := os.ReadFile("../PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	s3 := section(text, "## 3.", "## 4.")
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(s3, -1) {
		codes = append(codes, m[1])
	}
	s4 := section(text, "## 4.", "## 5.")
	add := func(name string) {
		if !slices.Contains(messages, name) {
			messages = append(messages, name)
		}
	}
	for _, m := range regexp.MustCompile("(?m)^\\*\\*([a-z_]+)\\*\\* \\(").FindAllStringSubmatch(s4, -1) {
		add(m[1])
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)`[^|]*\\|[^|]*\\|([^|]*)\\|$")
	tick := regexp.MustCompile("`([a-z_]+)`")
	for _, m := range row.FindAllStringSubmatch(s4, -1) {
		add(m[1])
		for _, r := range tick.FindAllStringSubmatch(m[2], -1) {
			add(r[1])
		}
	}
	add("error")
	if len(codes) < 25 || len(messages) < 25 {
		t.Fatalf("PROTOCOL.md's tables were not found (%d codes, %d messages): %v %v", len(codes), len(messages), codes, messages)
	}
	return codes, messages
}

func section(text, from, to string) string {
	i := strings.Index(text, from)
	j := strings.Index(text, to)
	if i < 0 || j < i {
		return ""
	}
	return text[i:j]
}

type server struct {
	d     *daemon.Daemon
	cloud *daemon.Cloud // the cloud store it serves from; nil: the local one
	logs  *testlog.Buffer
	done  chan struct{} // closed when a shutdown asked for by the client ends
}

func start(t *testing.T, mod func(*daemon.Config)) *server {
	t.Helper()
	logger, logs := testlog.New()
	cfg := daemon.Config{
		DataDir: filepath.Join(t.TempDir(), "data"),
		Listen:  "127.0.0.1:0",
		HTTP:    "off",
		Logger:  logger,
		Argon2:  users.Params{Time: 1, MemoryKiB: 64, Threads: 1, KeyLen: 32, SaltLen: 16},
	}
	mod(&cfg)
	d, err := daemon.Start(cfg)
	if err != nil {
		t.Fatalf("starting a server: %v", err)
	}
	s := &server{d: d, logs: logs}
	t.Cleanup(func() {
		if s.done != nil {
			<-s.done
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			d.Shutdown(ctx)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return s
}

// admin carries out a step the Python client asks of the server's
// administrator.
func admin(t *testing.T, plain, tight *server, line string) error {
	var req struct {
		Op    string `json:"op"`
		User  string `json:"user"`
		Name  string `json:"name"`
		Bytes int64  `json:"bytes"`
	}
	if err := json.Unmarshal([]byte(line), &req); err != nil {
		return err
	}
	ctx := context.Background()
	if plain.cloud != nil && (req.Op == "create_file" || req.Op == "readonly") {
		return cloudAdmin(ctx, t, plain.cloud, req.Op, req.User, req.Name)
	}
	userDir := filepath.Join(plain.d.DataDir, "files", req.User)
	switch req.Op {
	case "disable":
		return plain.d.Users.Update(ctx, req.User, func(u *users.User) error { u.Disabled = true; return nil })
	case "quota":
		return plain.d.Users.Update(ctx, req.User, func(u *users.User) error { u.QuotaBytes = req.Bytes; return nil })
	case "create_file":
		// A file put in the user's folder by other means than netdisk.
		return os.WriteFile(filepath.Join(userDir, req.Name), []byte("made on the server"), 0o600)
	case "readonly":
		// A read-only file system inside the user's folder: writing there
		// fails in a way no error code describes.
		dir := filepath.Join(userDir, req.Name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_RDONLY, "size=64k"); err != nil {
			return fmt.Errorf("mounting a read-only tmpfs (the tests run as root): %w", err)
		}
		t.Cleanup(func() {
			if err := unix.Unmount(dir, 0); err != nil {
				t.Errorf("unmounting %s: %v", dir, err)
			}
		})
		return nil
	case "shutdown":
		tight.done = make(chan struct{})
		go func() {
			defer close(tight.done)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tight.d.Shutdown(ctx)
		}()
		return nil
	}
	return fmt.Errorf("unknown step %q", req.Op)
}
