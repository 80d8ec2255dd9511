package cli

import "testing"

// Errors say which side failed and what to do, with no Go operation names.
func TestErrorsSayWhere(t *testing.T) {
	s := startServer(t)
	u := s.registered(t, "alice", "correct horse battery")
	u.ok("", "mkdir", "full", "full/x")
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"put", "nosuch.txt"}, exitError, "netdisk: local file nosuch.txt does not exist\n"},
		{[]string{"mkdir", "a/b/c"}, exitError, "netdisk: remote folder a/b does not exist, so a/b/c cannot be made in it; use mkdir -p to make the missing folders too\n"},
		{[]string{"rm", "full"}, exitError, "netdisk: remote folder full is not empty; use rm -r to remove it with everything in it\n"},
		{[]string{"mv", "full", "full"}, exitError, "netdisk: full and full are the same; nothing to move\n"},
		{[]string{"get", "nosuch"}, exitError, "netdisk: remote nosuch: does not exist\n"},
		{[]string{"--server", "127.0.0.1:1", "ls"}, exitError, "netdisk: no netdisk server at 127.0.0.1:1 (is it running? check --server)\n"},
		{[]string{"--server", "http://127.0.0.1:7070", "ls"}, exitUsage, "netdisk: --server takes HOST:PORT (like example.com:7070), not \"http://127.0.0.1:7070\" (see 'netdisk ls --help')\n"},
	} {
		r := u.run("", c.args...)
		if r.code != c.code || r.stderr != c.stderr {
			t.Errorf("netdisk %q: exit %d, stderr %q\nwant exit %d, stderr %q", c.args, r.code, r.stderr, c.code, c.stderr)
		}
	}
}
