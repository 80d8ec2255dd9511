package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

// DefaultServer is where the client connects when nothing says otherwise.
const DefaultServer = "127.0.0.1:7070"

// dialTimeout bounds connecting and the server's greeting (shorter with a
// shorter --timeout).
const dialTimeout = 15 * time.Second

// serverAddr picks the server: --server, else $NETDISK_SERVER, else the
// last server used, else DefaultServer. A missing port means 7070.
func (a *app) serverAddr() (string, error) {
	addr := a.server
	if addr == "" {
		addr = a.getenv("NETDISK_SERVER")
	}
	if addr == "" {
		if st, err := a.loadState(); err == nil {
			if f, err := st.read(); err == nil {
				addr = f.LastServer
			}
		}
	}
	if addr == "" {
		addr = DefaultServer
	}
	if strings.Contains(addr, "://") || strings.ContainsAny(addr, "/ ") {
		return "", usagef("--server takes HOST:PORT (like example.com:7070), not %q", addr)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), "7070")
	}
	return addr, nil
}

// dial connects to the server once per app; later calls reuse it.
func (a *app) dial(ctx context.Context) (*client.Client, error) {
	if a.conn != nil {
		select {
		case <-a.conn.Done():
			a.disconnect() // reconnect below
		default:
			return a.conn, nil
		}
	}
	addr, err := a.serverAddr()
	if err != nil {
		return nil, err
	}
	c, err := a.dialAddr(ctx, addr)
	if err != nil {
		var ne *net.OpError
		if errors.As(err, &ne) || errors.As(err, new(*net.DNSError)) {
			return nil, &dialError{addr: addr, err: err}
		}
		return nil, err
	}
	a.conn, a.connAddr, a.user = c, addr, ""
	return c, nil
}

// dialAddr opens a new connection to addr with the app's transport
// settings: TLS with the pinned certificates (asking about a new one), or
// plaintext, and the client key if one is set.
func (a *app) dialAddr(ctx context.Context, addr string) (*client.Client, error) {
	st, err := a.loadState()
	if err != nil {
		return nil, err
	}
	key, err := a.loadClientKey()
	if err != nil {
		return nil, err
	}
	return client.Dial(ctx, addr, client.Options{
		Plaintext:   a.plaintext,
		Pins:        st.pins(),
		ConfirmNew:  a.confirmServer,
		ClientKey:   key,
		DialTimeout: min(a.timeout, dialTimeout),
		Timeout:     a.timeout,
	})
}

func (a *app) disconnect() {
	if a.conn != nil {
		a.conn.Close()
		a.conn, a.user = nil, ""
	}
}

// loadClientKey reads the client key file named by --client-key or
// $NETDISK_CLIENT_KEY_FILE: base64 of the key on its first line (what
// `netdisk keygen` writes).
func (a *app) loadClientKey() ([]byte, error) {
	path := a.clientKey
	if path == "" {
		path = a.getenv("NETDISK_CLIENT_KEY_FILE")
	}
	if path == "" {
		return nil, nil
	}
	return readKeyFile(path)
}

func readKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the client key: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(line))
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("%s is not a netdisk client key (make one with: netdisk keygen FILE)", path)
	}
	return key, nil
}

// confirmServer asks whether to trust a server seen for the first time. On
// a terminal the user decides; otherwise the certificate is pinned with a
// note, as there is no one to ask (trust on first use).
func (a *app) confirmServer(addr, fingerprint string) (bool, error) {
	st, _ := a.loadState()
	if !a.interactive() {
		fmt.Fprintf(a.stderr, "netdisk: first connection to %s: trusting its certificate %s (pinned in %s)\n",
			addr, fingerprint, st.pins().Path())
		return true, nil
	}
	fmt.Fprintf(a.stderr, "The authenticity of netdisk server %s can't be established.\n", addr)
	fmt.Fprintf(a.stderr, "Its certificate fingerprint is %s.\n", fingerprint)
	fmt.Fprintf(a.stderr, "Compare it with the one `netdisk serve` printed on the server.\n")
	for {
		answer, err := a.prompt().Line("Trust it and continue connecting (yes/no)? ")
		if err != nil {
			return false, err
		}
		switch strings.ToLower(strings.TrimSpace(answer)) {
		case "yes", "y":
			fmt.Fprintf(a.stderr, "Pinned %s in %s.\n", addr, st.pins().Path())
			return true, nil
		case "no", "n":
			return false, nil
		}
		fmt.Fprintln(a.stderr, "Please type 'yes' or 'no'.")
	}
}

// loggedIn returns a connection with the saved session attached.
func (a *app) loggedIn(ctx context.Context) (*client.Client, error) {
	c, err := a.dial(ctx)
	if err != nil {
		return nil, err
	}
	if a.user != "" {
		return c, nil
	}
	st, _ := a.loadState()
	saved, ok := st.session(a.connAddr)
	if !ok {
		return nil, fmt.Errorf("not logged in to %s; run: netdisk login USER", a.connAddr)
	}
	s, err := c.AuthToken(ctx, saved.Token)
	if errors.Is(err, proto.ErrSessionExpired) {
		st.forgetSession(a.connAddr)
		return nil, fmt.Errorf("your session on %s has expired or was ended; run: netdisk login %s", a.connAddr, saved.User)
	}
	if err != nil {
		return nil, err
	}
	a.user = s.User
	return c, nil
}
