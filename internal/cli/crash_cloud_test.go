package cli

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"netdisk/internal/pgtest"
	"netdisk/internal/s3test"
)

// cloudProcServers starts two server processes on one new database and
// bucket.
func cloudProcServers(t *testing.T) (a, b *procServer) {
	t.Helper()
	e := s3test.New(t)
	env := []string{"AWS_ACCESS_KEY_ID=" + e.AccessKey, "AWS_SECRET_ACCESS_KEY=" + e.SecretKey}
	args := []string{"--plaintext", "--store", "s3", "--pg-url", pgtest.New(t), "--s3-endpoint", e.URL,
		"--s3-region", e.Region, "--s3-bucket", e.Bucket, "--s3-prefix", "netdisk/"}
	a = startProcServerEnv(t, filepath.Join(t.TempDir(), "a"), env, args...)
	b = startProcServerEnv(t, filepath.Join(t.TempDir(), "b"), env, args...)
	return a, b
}

// TestResumeOnOtherServer: a put through A whose connection is cut
// half-way is resumed through B where it stopped, and reads back whole
// through A.
func TestResumeOnOtherServer(t *testing.T) {
	a, b := cloudProcServers(t)
	owner := a.user(t, true)
	owner.ok("pw of ren\n", "register", "--password-stdin", "ren")
	proxy := newCutProxy(t, a.addr)
	viaProxy := a.user(t, true)
	viaProxy.server = proxy.addr
	viaProxy.ok("pw of ren\n", "login", "--password-stdin", "ren")
	path, data := randomFile(t, t.TempDir(), "big.bin", 20<<20+321, 7)
	proxy.up.Store(9 << 20) // cut after 9 MiB
	if r := viaProxy.run("", "put", path, "big.bin"); r.code == 0 {
		t.Fatal("the put through the cut connection succeeded")
	}
	onB := b.user(t, true)
	onB.ok("pw of ren\n", "login", "--password-stdin", "ren")
	out := onB.ok("", "put", path, "big.bin")
	if !strings.Contains(out, "resumed after") {
		t.Fatalf("the put through B did not resume the upload cut on A: %q", out)
	}
	owner.ok("pw of ren\n", "login", "--password-stdin", "ren")
	back := filepath.Join(t.TempDir(), "back.bin")
	owner.ok("", "get", "big.bin", back)
	if !bytes.Equal(mustRead(t, back), data) {
		t.Fatal("the file resumed through B reads back differently through A")
	}
}

// TestCrashSafetyCloud: two server processes on one PostgreSQL and one
// bucket (--store s3). Uploads over existing files and registrations run
// through A; A is killed with SIGKILL in the middle. Through B, which
// never stopped: every acknowledged registration logs in, every file is
// its complete old or its complete new version, and every upload sent
// again through B ends with the new version.
func TestCrashSafetyCloud(t *testing.T) {
	a, b := cloudProcServers(t)
	owner := a.user(t, true)
	owner.ok("crash password\n", "register", "--password-stdin", "crash")
	owner.ok("crash password\n", "login", "--password-stdin", "crash")

	const n = 8
	load := runCrashLoad(t, a, owner, "crash", "crash password", n, func(i int) int { return 300<<10 + i*1000 }, func(i int) int { return 200<<10 + i*300<<10 })
	olds, news, newPaths, acked := load.olds, load.news, load.newPaths, load.acked
	t.Logf("killed A with %d of %d registrations acknowledged", len(acked), n)

	for name := range acked {
		if r := b.user(t, true).run(name+" password\n", "login", "--password-stdin", name); r.code != 0 {
			t.Errorf("%s, acknowledged by A, cannot log in on B: %s", name, r.stderr)
		}
	}
	reader := b.user(t, true)
	reader.ok("crash password\n", "login", "--password-stdin", "crash")
	got := t.TempDir()
	whole := 0
	for i := range n {
		local := filepath.Join(got, fmt.Sprintf("f%02d", i))
		reader.ok("", "get", fmt.Sprintf("f%02d", i), local)
		switch data := mustRead(t, local); {
		case bytes.Equal(data, olds[i]):
		case bytes.Equal(data, news[i]):
			whole++
		default:
			t.Errorf("f%02d read through B is neither its old nor its new version (%d bytes)", i, len(data))
		}
	}
	t.Logf("%d of %d uploads had completed before the kill", whole, n)
	for i := range n {
		remote := fmt.Sprintf("f%02d", i)
		if r := reader.run("", "put", newPaths[i], remote); r.code != 0 {
			t.Errorf("put %s through B after A died: %s", remote, r.stderr)
			continue
		}
		local := filepath.Join(got, remote+".again")
		reader.ok("", "get", remote, local)
		if !bytes.Equal(mustRead(t, local), news[i]) {
			t.Errorf("%s after the upload through B differs from the new version", remote)
		}
	}
}
