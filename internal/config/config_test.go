package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// resolve runs the settings as `netdisk serve ARGS` would see them, with
// file (if not empty) written to netdisk.toml and named by --config.
func resolve(t *testing.T, file string, env map[string]string, args ...string) (*Config, string, error) {
	t.Helper()
	path := ""
	if file != "" {
		path = filepath.Join(t.TempDir(), "netdisk.toml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"--config", path}, args...)
	}
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.SetOutput(&bytes.Buffer{})
	f := AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, path, err
	}
	c, err := f.Resolve(func(k string) string { return env[k] })
	return c, path, err
}

// A flag wins over the environment, which wins over the file, which wins
// over the default, for settings of every kind.
func TestPrecedence(t *testing.T) {
	file := `
max_conns_per_user = 3
idle_timeout = "7m"
default_quota = "2GiB"
plaintext = true
trusted_proxy = ["10.0.0.0/8", "192.168.1.1"]
welcome = "from the file"
log_level = "warn"
`
	env := map[string]string{
		"NETDISK_MAX_CONNS_PER_USER": "4",
		"NETDISK_IDLE_TIMEOUT":       "8m",
		"NETDISK_DEFAULT_QUOTA":      "3GiB",
		"NETDISK_PLAINTEXT":          "false",
		"NETDISK_TRUSTED_PROXY":      "172.16.0.0/12,::1",
	}
	flags := []string{"--max-conns-per-user", "5", "--idle-timeout", "9m", "--default-quota", "500MB", "--plaintext", "--trusted-proxy", "127.0.0.1", "--trusted-proxy", "fd00::/8"}
	for _, tc := range []struct {
		name       string
		setting    string
		want       func(Settings) any
		wantValues [4]any // with nothing, the file, the file and env, all three
		source     string // the source in the last case
	}{
		{name: "count", setting: "max-conns-per-user", want: func(s Settings) any { return s.MaxConnsPerUser }, wantValues: [4]any{64, 3, 4, 5}, source: "flag --max-conns-per-user"},
		{name: "duration", setting: "idle-timeout", want: func(s Settings) any { return s.IdleTimeout }, wantValues: [4]any{10 * time.Minute, 7 * time.Minute, 8 * time.Minute, 9 * time.Minute}, source: "flag --idle-timeout"},
		{name: "size", setting: "default-quota", want: func(s Settings) any { return s.DefaultQuota }, wantValues: [4]any{int64(0), int64(2 << 30), int64(3 << 30), int64(500e6)}, source: "flag --default-quota"},
		{name: "bool", setting: "plaintext", want: func(s Settings) any { return s.Plaintext }, wantValues: [4]any{false, true, false, true}, source: "flag --plaintext"},
		{name: "list", setting: "trusted-proxy", want: func(s Settings) any { return s.TrustedProxy },
			wantValues: [4]any{[]string(nil), []string{"10.0.0.0/8", "192.168.1.1"}, []string{"172.16.0.0/12", "::1"}, []string{"127.0.0.1", "fd00::/8"}}, source: "flag --trusted-proxy"},
		// Settings given in the file only keep the file's value.
		{name: "string from the file", setting: "welcome", want: func(s Settings) any { return s.Welcome }, wantValues: [4]any{Defaults().Welcome, "from the file", "from the file", "from the file"}, source: "netdisk.toml:7"},
		{name: "word from the file", setting: "log-level", want: func(s Settings) any { return s.LogLevel }, wantValues: [4]any{"info", "warn", "warn", "warn"}, source: "netdisk.toml:8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			layers := []struct {
				file  string
				env   map[string]string
				flags []string
			}{{}, {file: file}, {file: file, env: env}, {file: file, env: env, flags: flags}}
			for i, l := range layers {
				c, _, err := resolve(t, l.file, l.env, l.flags...)
				if err != nil {
					t.Fatalf("layer %d: %v", i, err)
				}
				if got := tc.want(c.Settings); !reflect.DeepEqual(got, tc.wantValues[i]) {
					t.Errorf("layer %d (%d of file, env, flags): got %v, want %v", i, i, got, tc.wantValues[i])
				}
				if i == 3 {
					if got := c.Source(tc.setting).String(); !strings.HasSuffix(got, tc.source) {
						t.Errorf("source of %s = %q; want %q", tc.setting, got, tc.source)
					}
				}
			}
		})
	}
}

// --config, else NETDISK_CONFIG, names the file; an empty variable is
// no setting at all.
func TestConfigFileFromEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "env.toml")
	if err := os.WriteFile(path, []byte("name = \"from env's file\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := resolve(t, "", map[string]string{"NETDISK_CONFIG": path, "NETDISK_NAME": ""})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "from env's file" || c.Source("name").String() != path+":1" {
		t.Errorf("name = %q from %s; want the file's, from %s:1", c.Name, c.Source("name"), path)
	}
	c, flagFile, err := resolve(t, "name = \"from the flag's file\"\n", map[string]string{"NETDISK_CONFIG": path})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "from the flag's file" || c.File != flagFile {
		t.Errorf("name = %q (file %s); --config's file must win over NETDISK_CONFIG's", c.Name, c.File)
	}
}

// --print-config writes every setting with its source, and what it
// writes is a config file giving the same settings.
func TestPrintConfig(t *testing.T) {
	file := "# a comment\nlisten = \"127.0.0.1:7777\"\n\nsession_ttl = \"36h\"\nwelcome = \"tab\\there \\\"quoted\\\" 欢迎\"\n"
	env := map[string]string{"NETDISK_SIGNUPS_PER_HOUR": "9", "NETDISK_ARGON2_MEMORY": "32MiB"}
	c, path, err := resolve(t, file, env, "--max-conns", "100", "--http", "off", "--trusted-proxy", "10.1.0.0/16")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := c.WriteTOML(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\n# config file: "+path+"\n") {
		t.Errorf("the printout does not name the config file:\n%s", out.String())
	}
	lines := map[string]string{} // key → the line
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		key, _, _ := strings.Cut(l, " ")
		lines[key] = l
	}
	if len(lines) != len(table) {
		t.Errorf("%d settings printed; want %d\n%s", len(lines), len(table), out.String())
	}
	for _, tc := range []struct{ key, value, source string }{
		{"listen", `"127.0.0.1:7777"`, "# " + path + ":2"},
		{"session_ttl", `"36h"`, "# " + path + ":4"},
		{"welcome", `"tab\there \"quoted\" 欢迎"`, "# " + path + ":5"},
		{"signups_per_hour", `9`, "# env NETDISK_SIGNUPS_PER_HOUR"},
		{"argon2_memory", `"32MiB"`, "# env NETDISK_ARGON2_MEMORY"},
		{"max_conns", `100`, "# flag --max-conns"},
		{"http", `"off"`, "# flag --http"},
		{"trusted_proxy", `["10.1.0.0/16"]`, "# flag --trusted-proxy"},
		{"data", `"netdisk-data"`, "# default"},
		{"idle_timeout", `"10m"`, "# default"},
		{"default_quota", `"0"`, "# default"},
		{"plaintext", `false`, "# default"},
	} {
		l := lines[tc.key]
		value, comment, _ := strings.Cut(strings.TrimPrefix(l, tc.key+" = "), "  #")
		if strings.TrimSpace(value) != tc.value || "#"+comment != tc.source {
			t.Errorf("printed %q; want %s = %s  %s", l, tc.key, tc.value, tc.source)
		}
	}
	// Fed back as a file, the printout gives the same settings.
	again, _, err := resolve(t, out.String(), nil)
	if err != nil {
		t.Fatalf("the printout is not a valid config file: %v\n%s", err, out.String())
	}
	if !reflect.DeepEqual(again.Settings, c.Settings) {
		t.Errorf("settings read back from the printout differ:\n got %+v\nwant %+v", again.Settings, c.Settings)
	}
}

// An unknown key or a bad value in the file stops with the file, the line
// and the key named; every problem is reported, not only the first.
func TestFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       []string // after "PATH:"
	}{
		{"unknown key", "listen = \":1\"\n\nmax_con = 5\n", []string{`3: max_con: unknown key (netdisk serve --help lists every setting)`}},
		{"key written with dashes", "max-conns = 5\n", []string{`1: max-conns: unknown key; did you mean max_conns? (keys are written with _)`}},
		{"dotted key", "log.level = \"info\"\n", []string{`1: log.level: unknown key (netdisk serve --help lists every setting)`}},
		{"table", "name = \"x\"\n[limits]\nmax_conns = 3\n", []string{`2: [limits]: no setting is a table; write every key at the top of the file`}},
		{"negative count", "# limits\n\n\n\n\n\nmax_conns = -3\n", []string{`7: max_conns: must be a positive number, got -3 (0: from the open-files limit)`}},
		{"count out of range", "argon2_time = 99\n", []string{`1: argon2_time: must be between 1 and 16, got 99`}},
		{"wrong type", "max_conns_per_user = \"10\"\n", []string{`1: max_conns_per_user: must be a whole number, got "10"`}},
		{"bool as a string", "plaintext = \"yes\"\n", []string{`1: plaintext: must be true or false, got "yes"`}},
		{"duration unparsable", "idle_timeout = \"10 minutes\"\n", []string{`1: idle_timeout: must be a duration such as 30s, 10m or 1h30m, got "10 minutes"`}},
		{"duration as a number", "session_ttl = 3600\n", []string{`1: session_ttl: must be a duration in quotes such as "30s" or "10m", got 3600`}},
		{"duration zero", "write_timeout = \"0s\"\n", []string{`1: write_timeout: must be more than zero, got "0s"`}},
		{"size unparsable", "default_quota = \"10 GiBs\"\n", []string{`1: default_quota: must be a size such as 10GiB, 512MiB or a number of bytes, got "10 GiBs"`}},
		{"size negative", "default_quota = -1\n", []string{`1: default_quota: must not be negative, got -1`}},
		{"size not whole KiB", "argon2_memory = 10000\n", []string{`1: argon2_memory: must be a whole number of 1KiB, got 10000 bytes`}},
		{"address without port", "listen = \"localhost\"\n", []string{`1: listen: must be HOST:PORT such as :7070 or 127.0.0.1:7070, got "localhost"`}},
		{"address with a bad port", "http = \"127.0.0.1:99999\"\n", []string{`1: http: must be HOST:PORT such as :7070 or 127.0.0.1:7070, got "127.0.0.1:99999" (or "off")`}},
		{"word", "log_format = \"xml\"\n", []string{`1: log_format: must be text or json, got "xml"`}},
		{"proxy", "trusted_proxy = [\"10.0.0.0/8\", \"proxy.example\"]\n", []string{`1: trusted_proxy: must be addresses or CIDR prefixes such as 10.0.0.0/8, got "proxy.example"`}},
		{"several", "max_conns = -3\nfoo = 1\nidle_timeout = \"x\"\n", []string{
			`1: max_conns: must be a positive number, got -3 (0: from the open-files limit)`,
			`2: foo: unknown key (netdisk serve --help lists every setting)`,
			`3: idle_timeout: must be a duration such as 30s, 10m or 1h30m, got "x"`,
		}},
		{"syntax", "name = \"x\"\nlisten = \n", []string{`2: unexpected character U+000A at start of value`}},
		{"key given twice", "name = \"x\"\nname = \"y\"\n", []string{`2: key name is already defined`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, path, err := resolve(t, tc.file, nil)
			if err == nil {
				t.Fatal("no error")
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, path+":"+w)
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Errorf("error:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
			var ce *Error
			if !errors.As(err, &ce) || !strings.HasPrefix(ce.Where, path+":") {
				t.Errorf("not a *config.Error naming the file: %#v", err)
			}
		})
	}
}

// A bad value in the environment names the variable; a bad flag is
// refused by the flag parser as cobra reports it.
func TestEnvAndFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"env count", map[string]string{"NETDISK_MAX_CONNS_PER_USER": "many"}, nil, `NETDISK_MAX_CONNS_PER_USER: must be a whole number, got "many"`},
		{"env negative", map[string]string{"NETDISK_LOGIN_FAILURES_PER_USER": "-2"}, nil, `NETDISK_LOGIN_FAILURES_PER_USER: must be a positive number, got -2`},
		{"env duration", map[string]string{"NETDISK_LOGIN_FAILURE_WINDOW": "15"}, nil, `NETDISK_LOGIN_FAILURE_WINDOW: must be a duration such as 30s, 10m or 1h30m, got "15"`},
		{"env address", map[string]string{"NETDISK_METRICS": "9100"}, nil, `NETDISK_METRICS: must be HOST:PORT such as :7070 or 127.0.0.1:7070, got "9100" (or "" or "off")`},
		{"env bool", map[string]string{"NETDISK_PLAINTEXT": "perhaps"}, nil, `NETDISK_PLAINTEXT: must be true or false, got "perhaps"`},
		{"env size", map[string]string{"NETDISK_DEFAULT_QUOTA": "1.5B"}, nil, `NETDISK_DEFAULT_QUOTA: must be a whole number of bytes, got "1.5B"`},
		{"env, two at once", map[string]string{"NETDISK_LISTEN": "x", "NETDISK_HTTP": "y"}, nil,
			"NETDISK_LISTEN: must be HOST:PORT such as :7070 or 127.0.0.1:7070, got \"x\"\nNETDISK_HTTP: must be HOST:PORT such as :7070 or 127.0.0.1:7070, got \"y\" (or \"off\")"},
		{"flag count", nil, []string{"--max-conns", "-3"}, `invalid argument "-3" for "--max-conns" flag: must be a positive number, got -3 (0: from the open-files limit)`},
		{"flag size", nil, []string{"--default-quota", "lots"}, `invalid argument "lots" for "--default-quota" flag: must be a size such as 10GiB, 512MiB or a number of bytes, got "lots"`},
		{"flag duration", nil, []string{"--session-ttl=1d"}, `invalid argument "1d" for "--session-ttl" flag: must be a duration such as 30s, 10m or 1h30m, got "1d"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := resolve(t, "", tc.env, tc.args...)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v; want %s", err, tc.want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "0", want: 0}, {in: "4096", want: 4096}, {in: "1_000", want: 1000},
		{in: "10GiB", want: 10 << 30}, {in: "10gib", want: 10 << 30}, {in: "512 MiB", want: 512 << 20},
		{in: "1.5K", want: 1536}, {in: "2T", want: 2 << 40}, {in: "100MB", want: 100e6}, {in: "1kB", want: 1000},
		{in: "7B", want: 7},
		{in: "", bad: true}, {in: "GiB", bad: true}, {in: "10 bananas", bad: true}, {in: "0.5B", bad: true},
		{in: "9EiB", bad: true}, {in: "99999999PiB", bad: true}, {in: "1.2.3M", bad: true},
	} {
		got, err := ParseSize(tc.in)
		if tc.bad != (err != nil) || !tc.bad && got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d (error: %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
	for _, n := range []int64{0, 1, 1023, 1024, 1536, 19 << 20, 10 << 30, 3 << 50, 1<<62 + 1} {
		if back, err := ParseSize(FormatSize(n)); err != nil || back != n {
			t.Errorf("ParseSize(FormatSize(%d) = %q) = %d, %v", n, FormatSize(n), back, err)
		}
	}
}
