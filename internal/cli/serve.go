package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"netdisk/internal/daemon"
	"netdisk/internal/server"
	"netdisk/internal/service"
)

func (a *app) serveCommand() *cobra.Command {
	var (
		cfg       daemon.Config
		keyFile   string
		logLevel  string
		logFormat string
		grace     time.Duration
		proxies   []string
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the netdisk server (no configuration needed)",
		Long: `Run the netdisk server. With no flags it keeps its data in ./netdisk-data,
speaks the netdisk protocol over TLS on :7070 and serves the web page over
HTTPS on :7080, both with the same certificate. On first start it generates
a self-signed certificate in DATA/tls and prints its fingerprint; clients
pin it on first contact (--tls-cert and --tls-key use a real one instead).
With --plaintext both ports go without TLS: put the web behind a reverse
proxy that adds it, and name that proxy with --trusted-proxy.

Environment: NETDISK_DATA, NETDISK_LISTEN, NETDISK_HTTP set the defaults of
--data, --listen and --http.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.shell != nil {
				return usagef("serve cannot run inside the shell")
			}
			cfg.Plaintext = a.plaintext
			for _, p := range proxies {
				prefix, err := parsePrefix(p)
				if err != nil {
					return usagef("--trusted-proxy %s: %v", p, err)
				}
				cfg.TrustedProxies = append(cfg.TrustedProxies, prefix)
			}
			level, err := parseLevel(logLevel)
			if err != nil {
				return err
			}
			var h slog.Handler
			opts := &slog.HandlerOptions{Level: level}
			if logFormat == "json" {
				h = slog.NewJSONHandler(a.stderr, opts)
			} else {
				h = slog.NewTextHandler(a.stderr, opts)
			}
			cfg.Logger = slog.New(h)
			if keyFile != "" {
				if cfg.ClientKey, err = readKeyFile(keyFile); err != nil {
					return err
				}
			}
			return a.serve(cmd.Context(), cfg, grace)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data", envOr(a.getenv, "NETDISK_DATA", daemon.DefaultDataDir), "data folder (users.xlsx, files, TLS certificate)")
	f.StringVar(&cfg.Listen, "listen", envOr(a.getenv, "NETDISK_LISTEN", daemon.DefaultListen), "address for the netdisk protocol")
	f.StringVar(&cfg.HTTP, "http", envOr(a.getenv, "NETDISK_HTTP", daemon.DefaultHTTP), "address for the web (off to disable)")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate (PEM) for both ports, instead of the self-signed one")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "the key of --tls-cert (PEM)")
	f.StringSliceVar(&proxies, "trusted-proxy", nil, "address or CIDR of a reverse proxy whose X-Forwarded-For and X-Forwarded-Proto the web believes (repeatable)")
	f.StringVar(&keyFile, "client-key", "", "require clients to prove this key (made by netdisk keygen) before anything else")
	f.StringVar(&cfg.Name, "name", "netdisk", "server name shown to clients")
	f.StringVar(&cfg.Welcome, "welcome", server.DefaultWelcome, "welcome message shown to clients")
	f.IntVar(&cfg.MaxConns, "max-conns", 0, "most connections served at once (default: the open-files limit less room for the server's own files)")
	f.IntVar(&cfg.MaxPreLoginPerAddr, "max-prelogin-per-addr", server.DefaultMaxPreLoginPerAddr, "most connections one address may hold before logging in")
	f.IntVar(&cfg.MaxConnsPerUser, "max-conns-per-user", server.DefaultMaxConnsPerUser, "most connections one user may hold")
	f.Int64Var(&cfg.MaxEntries, "max-entries", service.DefaultMaxEntries, "most files and folders one user may have (-1: no limit)")
	f.DurationVar(&cfg.IdleTimeout, "idle-timeout", server.DefaultIdleTimeout, "drop logged-in connections idle this long")
	f.DurationVar(&cfg.HandshakeTimeout, "handshake-timeout", server.DefaultHandshakeTimeout, "drop connections that have not greeted (TLS, preamble) within this")
	f.DurationVar(&cfg.SessionTTL, "session-ttl", 7*24*time.Hour, "how long a login lasts")
	f.DurationVar(&cfg.UploadMaxAge, "upload-max-age", 24*time.Hour, "remove unfinished uploads untouched this long")
	f.DurationVar(&grace, "shutdown-grace", 30*time.Second, "on SIGINT/SIGTERM, how long transfers in progress may take to finish")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&logFormat, "log-format", "text", "text or json")
	return cmd
}

// serve runs a server until ctx ends (SIGINT/SIGTERM), then shuts it down
// gracefully.
func (a *app) serve(ctx context.Context, cfg daemon.Config, grace time.Duration) error {
	d, err := daemon.Start(cfg)
	if err != nil {
		return err
	}
	transport := "TLS"
	if cfg.Plaintext {
		transport = "plaintext, no TLS"
	}
	fmt.Fprintf(a.stdout, "netdisk: serving the netdisk protocol on %s (%s)\n", d.Addr, transport)
	if d.Fingerprint != "" {
		note := ""
		if d.NewCert {
			note = " (new)"
		}
		fmt.Fprintf(a.stdout, "netdisk: certificate fingerprint %s%s\n", d.Fingerprint, note)
	}
	if d.HTTPAddr != nil {
		scheme := "https"
		if cfg.Plaintext {
			scheme = "http"
		}
		fmt.Fprintf(a.stdout, "netdisk: serving the web page on %s://%s/\n", scheme, webHost(d.HTTPAddr))
	}
	fmt.Fprintf(a.stdout, "netdisk: data folder %s\n", cfg.DataDir)
	if d.Admin != nil {
		fmt.Fprintf(a.stdout, "netdisk: administer it with netdisk admin --data %s (socket %s)\n", cfg.DataDir, d.Admin.Path())
	}
	select {
	case <-ctx.Done():
	case err := <-d.Done():
		d.Shutdown(context.Background())
		return err
	}
	fmt.Fprintln(a.stdout, "netdisk: shutting down; waiting for transfers in progress")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := d.Shutdown(sctx); err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, "netdisk: stopped")
	return nil
}

func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return l, usagef("--log-level must be debug, info, warn or error")
	}
	return l, nil
}

// parsePrefix reads an address or a CIDR prefix.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// webHost is addr as a browser would be pointed at it: a wildcard
// listener is reached as localhost.
func webHost(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
