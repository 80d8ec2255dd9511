package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"netdisk/internal/atomicfile"
	"netdisk/internal/client"
)

// state is the client's config folder ($NETDISK_CONFIG_DIR, else
// $XDG_CONFIG_HOME/netdisk or ~/.config/netdisk):
//
//	sessions.json   last server used and a session token per server (0600)
//	known_servers   pinned server certificates
//	shell_history   the shell's command history (0600)
type state struct {
	dir string
}

type savedSession struct {
	User    string    `json:"user"`
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

type sessionsFile struct {
	LastServer string                  `json:"last_server,omitempty"`
	Sessions   map[string]savedSession `json:"sessions,omitempty"`
}

func (a *app) loadState() (*state, error) {
	if a.state != nil {
		return a.state, nil
	}
	dir := a.getenv("NETDISK_CONFIG_DIR")
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("finding the config folder (set NETDISK_CONFIG_DIR): %w", err)
		}
		dir = filepath.Join(base, "netdisk")
	}
	a.state = &state{dir: dir}
	return a.state, nil
}

func (s *state) path(name string) string { return filepath.Join(s.dir, name) }

func (s *state) pins() *client.KnownServers {
	return client.OpenKnownServers(s.path("known_servers"))
}

func (s *state) read() (sessionsFile, error) {
	var f sessionsFile
	data, err := os.ReadFile(s.path("sessions.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return sessionsFile{}, fmt.Errorf("%s is damaged (%v); delete it and log in again", s.path("sessions.json"), err)
	}
	return f, nil
}

// update rewrites sessions.json through fn, atomically, durably and with
// mode 0600: it holds bearer tokens.
func (s *state) update(fn func(*sessionsFile)) error {
	f, err := s.read()
	if err != nil {
		return err
	}
	fn(&f)
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	return atomicfile.Write(s.path("sessions.json"), append(data, '\n'), 0o600)
}

// session returns the saved, unexpired session for server.
func (s *state) session(server string) (savedSession, bool) {
	f, err := s.read()
	if err != nil {
		return savedSession{}, false
	}
	sess, ok := f.Sessions[server]
	if !ok || time.Now().After(sess.Expires) {
		return savedSession{}, false
	}
	return sess, true
}

func (s *state) saveSession(server string, sess savedSession) error {
	return s.update(func(f *sessionsFile) {
		if f.Sessions == nil {
			f.Sessions = make(map[string]savedSession)
		}
		f.Sessions[server] = sess
	})
}

func (s *state) forgetSession(server string) error {
	return s.update(func(f *sessionsFile) { delete(f.Sessions, server) })
}

// rememberServer makes server the default for later commands; it reports
// whether that changed the default. Only a successful login calls it: a
// command run once with --server, or an address mistyped, never moves the
// default.
func (s *state) rememberServer(server string) (bool, error) {
	f, err := s.read()
	if err == nil && f.LastServer == server {
		return false, nil
	}
	return true, s.update(func(f *sessionsFile) { f.LastServer = server })
}
