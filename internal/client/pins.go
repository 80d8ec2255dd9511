package client

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"netdisk/internal/atomicfile"
	"netdisk/internal/certs"
)

// KnownServers is the file of pinned server certificates, one line per
// server address: "host:port SHA256:fingerprint". Like SSH's known_hosts,
// a server is trusted on first use and must present the same certificate
// ever after.
type KnownServers struct {
	path string
	mu   sync.Mutex
}

// OpenKnownServers uses the file at path (created on the first pin).
func OpenKnownServers(path string) *KnownServers { return &KnownServers{path: path} }

// Path is the file's location, for messages telling the user what to edit.
func (k *KnownServers) Path() string { return k.path }

// Lookup returns the pinned fingerprint of addr.
func (k *KnownServers) Lookup(addr string) (string, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	pins, err := k.read()
	if err != nil {
		return "", false, err
	}
	fp, ok := pins[normalizeAddr(addr)]
	return fp, ok, nil
}

// Add pins fingerprint for addr.
//
// It rewrites the whole file through atomicfile rather than appending: an
// append cut short by a crash leaves half a line, which read rejects, so
// every later connection would fail until the user edited the file; and an
// append after a hand edit that dropped the final newline would glue the
// new pin onto the last line. The file is small, so a rewrite costs little.
// Lines already there, comments included, are kept as they are.
func (k *KnownServers) Add(addr, fingerprint string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(k.path), 0o700); err != nil {
		return fmt.Errorf("pinning the server's certificate: %w", err)
	}
	data, err := os.ReadFile(k.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("pinning the server's certificate: %w", err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	data = fmt.Appendf(data, "%s %s\n", normalizeAddr(addr), fingerprint)
	if err := atomicfile.Write(k.path, data, 0o600); err != nil {
		return fmt.Errorf("pinning the server's certificate: %w", err)
	}
	return nil
}

func (k *KnownServers) read() (map[string]string, error) {
	pins := make(map[string]string)
	f, err := os.Open(k.path)
	if errors.Is(err, fs.ErrNotExist) {
		return pins, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", k.path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("%s: malformed line %q (want: host:port SHA256:…)", k.path, line)
		}
		pins[fields[0]] = fields[1]
	}
	return pins, sc.Err()
}

// normalizeAddr makes "LOCALHOST:7070" and "localhost:7070" one key.
func normalizeAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return strings.ToLower(addr)
	}
	return net.JoinHostPort(strings.ToLower(host), port)
}

// PinMismatchError is a server presenting a certificate other than the one
// pinned for its address: an attack, or a server whose certificate was
// replaced. It is never accepted automatically.
type PinMismatchError struct {
	Addr, Pinned, Offered, File string
}

func (e *PinMismatchError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("the certificate offered by %s (%s) is not the one expected (%s); the connection was refused (check the fingerprint given)",
			e.Addr, e.Offered, e.Pinned)
	}
	return fmt.Sprintf(`
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: THE SERVER'S CERTIFICATE HAS CHANGED!         @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
The certificate offered by %s is not the one pinned for it.
Someone could be intercepting this connection, or the server's
certificate was replaced.
  pinned:  %s
  offered: %s
The connection was refused. If the change is expected, remove the
line for %s from %s and connect again.`,
		e.Addr, e.Pinned, e.Offered, normalizeAddr(e.Addr), e.File)
}

// ErrNotTrusted is a first-contact certificate the user declined.
var ErrNotTrusted = errors.New("server certificate not trusted")

// pinnedTLSConfig trusts exactly the pinned certificate for addr (or, on
// first contact, what ConfirmNew accepts). Names and CAs are not checked:
// the pin is the identity, as with SSH host keys.
func pinnedTLSConfig(addr string, opts Options) *tls.Config {
	host, _, _ := net.SplitHostPort(addr)
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		ServerName:         host,
		InsecureSkipVerify: true, // replaced by the pin check below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server sent no certificate")
			}
			offered := certs.Fingerprint(cs.PeerCertificates[0].Raw)
			if opts.Fingerprint != "" {
				if offered != opts.Fingerprint {
					return &PinMismatchError{Addr: addr, Pinned: opts.Fingerprint, Offered: offered}
				}
				return nil
			}
			var pinned string
			var ok bool
			if opts.Pins != nil {
				var err error
				if pinned, ok, err = opts.Pins.Lookup(addr); err != nil {
					return err
				}
			}
			if ok {
				if pinned != offered {
					return &PinMismatchError{Addr: addr, Pinned: pinned, Offered: offered, File: opts.Pins.Path()}
				}
				return nil
			}
			if opts.ConfirmNew == nil {
				return fmt.Errorf("%w: %s is not in %s", ErrNotTrusted, addr, opts.Pins.Path())
			}
			trust, err := opts.ConfirmNew(addr, offered)
			if err != nil {
				return err
			}
			if !trust {
				return fmt.Errorf("%w: you declined %s (%s)", ErrNotTrusted, offered, addr)
			}
			if opts.Pins == nil {
				return nil
			}
			return opts.Pins.Add(addr, offered)
		},
	}
}

// explainTLSError turns handshake failures into advice.
func explainTLSError(addr string, err error) error {
	var pin *PinMismatchError
	if errors.As(err, &pin) {
		return pin
	}
	if errors.Is(err, ErrNotTrusted) {
		return err
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return fmt.Errorf("%s does not speak TLS; if it runs with --plaintext, connect with --plaintext too", addr)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %s accepted the connection but did not finish the TLS handshake in time (is it a netdisk server? is it overloaded?)", ErrTimeout, addr)
	}
	return fmt.Errorf("TLS handshake with %s failed: %w", addr, err)
}
