package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"netdisk/internal/config"
	"netdisk/internal/daemon"
	"netdisk/internal/service"
	"netdisk/internal/users"

	"netdisk/internal/testwait"
)

// `netdisk serve --config FILE` runs a server with the file's settings: a
// client sees its welcome and its connection limit per user holds; the
// environment still wins over the file (a new account gets the
// variable's default quota, not the file's).
func TestServeFromConfigFile(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "netdisk.toml")
	file := strings.Join([]string{
		`# a server for this test`,
		`data = "` + filepath.Join(dir, "data") + `"`,
		`listen = "127.0.0.1:0"`,
		`http = "off"`,
		`plaintext = true`,
		`welcome = "hello from the config file"`,
		`default_quota = "5MiB"`,
		`max_conns_per_user = 1`,
		`log_level = "error"`,
		`argon2_memory = "64KiB"`,
		`argon2_time = 1`,
	}, "\n") + "\n"
	if err := os.WriteFile(conf, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"NETDISK_DEFAULT_QUOTA": "7MiB"}

	// --print-config says where each value came from, and serves nothing.
	var out, errb lockedBuffer
	code := mainWithEnv(context.Background(), []string{"serve", "--config", conf, "--print-config", "--shutdown-grace", "5s"},
		strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	if code != 0 {
		t.Fatalf("serve --print-config: exit %d: %s", code, errb.String())
	}
	for _, want := range []string{
		`welcome = "hello from the config file"`, "# " + conf + ":6",
		`default_quota = "7MiB"`, "# env NETDISK_DEFAULT_QUOTA",
		`shutdown_grace = "5s"`, "# flag --shutdown-grace",
		`max_entries = 1000000`, "# default",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--print-config lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("--print-config made the data folder (%v)", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- mainWithEnv(ctx, []string{"serve", "--config", conf}, strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-exited:
			if code != 0 {
				t.Errorf("serve exited %d: %s", code, stderr.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	listening := regexp.MustCompile(`serving the netdisk protocol on (\S+) \(plaintext`)
	var addr string
	deadline := time.Now().Add(20 * time.Second)
	for addr == "" {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case code := <-exited:
			t.Fatalf("serve exited %d: %s%s", code, stdout.String(), stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s%s", stdout.String(), stderr.String())
		}
	}

	srv := &testServer{t: t, addr: addr, cfg: daemon.Config{Plaintext: true}}
	u := srv.registered(t, "cora", "cora's password")
	r := u.run("exit\n", "shell")
	if !strings.HasPrefix(r.stdout, "hello from the config file\n") {
		t.Errorf("the shell does not open with the file's welcome:\n%s", r.stdout)
	}
	var df struct{ Quota int64 }
	if err := json.Unmarshal([]byte(u.ok("", "df", "--json")), &df); err != nil {
		t.Fatal(err)
	}
	if df.Quota != 7<<20 {
		t.Errorf("a new account's quota is %d; want the environment's 7 MiB (over the file's 5 MiB)", df.Quota)
	}

	// One connection per user: a shell holds it, so another command of
	// the same user is refused while it lasts.
	shellIn, shellW := io.Pipe()
	shellOut := &lockedBuffer{}
	done := make(chan result, 1)
	go func() {
		var errb lockedBuffer
		envs := map[string]string{"NETDISK_CONFIG_DIR": u.cfgDir, "NETDISK_SERVER": addr}
		code := mainWithEnv(context.Background(), []string{"--plaintext", "shell"}, shellIn, shellOut, &errb, func(k string) string { return envs[k] })
		done <- result{stdout: shellOut.String(), stderr: errb.String(), code: code}
	}()
	testwait.Until(t, 20*time.Second, func() bool { return strings.Contains(shellOut.String(), "cora@netdisk:/>") },
		func() string { return fmt.Sprintf("the shell did not start: %q", shellOut.String()) })
	r = u.run("", "ls")
	if r.code == 0 || !strings.Contains(r.stderr, "connections") {
		t.Errorf("a second connection of cora: exit %d, %q; want a refusal (max_conns_per_user = 1)", r.code, r.stderr)
	}
	shellW.Close()
	if r := <-done; r.code != 0 {
		t.Errorf("shell: exit %d: %s", r.code, r.stderr)
	}
	u.ok("", "ls") // the shell's connection is gone: cora may connect again
}

// Every setting reaches daemon.Config: the login limits keep their other
// defaults, the argon2 cost keeps its key and salt lengths, and "off"
// turns the metrics endpoint off.
func TestDaemonConfigFromSettings(t *testing.T) {
	a := &app{stderr: io.Discard}
	s := config.Defaults()
	s.Metrics = "off"
	s.SignupsPerHour, s.LoginFailuresPerUser, s.LoginFailuresPerAddr, s.LoginFailureWindow = 3, 4, 5, time.Hour
	s.Argon2Memory, s.Argon2Time, s.Argon2Concurrency = 64<<10, 3, 2
	s.WriteTimeout, s.LoginTimeout, s.FrameTimeout = 11*time.Second, 12*time.Second, 13*time.Second
	s.DefaultQuota, s.MaxEntries = 1<<30, -1
	s.TrustedProxy = []string{"10.0.0.0/8", "::1"}
	cfg, err := a.daemonConfig(&config.Config{Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	wantLimits := service.DefaultLimits
	wantLimits.SignupsPerHour, wantLimits.UserFree, wantLimits.AddrFree, wantLimits.Window = 3, 4, 5, time.Hour
	wantArgon2 := users.DefaultParams
	wantArgon2.MemoryKiB, wantArgon2.Time = 64, 3
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"Metrics", cfg.Metrics, ""},
		{"Limits", cfg.Limits, wantLimits},
		{"Argon2", cfg.Argon2, wantArgon2},
		{"MaxHashing", cfg.MaxHashing, 2},
		{"timeouts", [3]time.Duration{cfg.WriteTimeout, cfg.LoginTimeout, cfg.FrameTimeout}, [3]time.Duration{11 * time.Second, 12 * time.Second, 13 * time.Second}},
		{"DefaultQuota", cfg.DefaultQuota, int64(1 << 30)},
		{"MaxEntries", cfg.MaxEntries, int64(-1)},
		{"TrustedProxies", fmt.Sprint(cfg.TrustedProxies), "[10.0.0.0/8 ::1/128]"},
		{"Listen", cfg.Listen, ":7070"},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v; want %v", c.what, c.got, c.want)
		}
	}
}
