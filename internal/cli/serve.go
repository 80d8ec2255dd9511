package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"netdisk/internal/config"
	"netdisk/internal/daemon"
	"netdisk/internal/service"
	"netdisk/internal/users"
)

func (a *app) serveCommand() *cobra.Command {
	var flags *config.Flags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the netdisk server (no configuration needed)",
		Long: `Run the netdisk server. With no settings it keeps its data in ./netdisk-data,
speaks the netdisk protocol over TLS on :7070 and serves the web page over
HTTPS on :7080, both with the same certificate. On first start it generates
a self-signed certificate in DATA/tls and prints its fingerprint; clients
pin it on first contact (--tls-cert and --tls-key use a real one instead).
With --plaintext both ports go without TLS: put the web behind a reverse
proxy that adds it, and name that proxy with --trusted-proxy.

Every setting below is a flag, a key of an optional TOML config file
(--config FILE or NETDISK_CONFIG) and an environment variable: under each
flag are its key and its variable. A flag wins over the variable, the
variable over the file, the file over the default. --print-config shows the
settings in effect and where each came from, as a config file.
Sizes take units (512MiB, 10GiB); durations Go's (90s, 10m, 1h30m).`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.shell != nil {
				return usagef("serve cannot run inside the shell")
			}
			c, err := flags.Resolve(a.getenv)
			if err != nil {
				return a.settingsErrors(err)
			}
			if flags.PrintConfig {
				return c.WriteTOML(a.stdout)
			}
			cfg, err := a.daemonConfig(c)
			if err != nil {
				return err
			}
			return a.serve(cmd.Context(), cfg, c.ShutdownGrace)
		},
	}
	flags = config.AddFlags(cmd.Flags())
	return cmd
}

// settingsErrors reports every bad setting, one a line: all but the last
// here, the last as the command's usage error (exit status 2).
func (a *app) settingsErrors(err error) error {
	var list []error
	var flatten func(error)
	flatten = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				flatten(e)
			}
			return
		}
		list = append(list, err)
	}
	flatten(err)
	var ce *config.Error
	if !errors.As(list[len(list)-1], &ce) {
		return err // not a setting's fault (the file cannot be read)
	}
	for _, e := range list[:len(list)-1] {
		fmt.Fprintf(a.stderr, "netdisk: %s\n", message(e))
	}
	return usageError{message(list[len(list)-1])}
}

// daemonConfig turns the settings into what daemon.Start takes.
func (a *app) daemonConfig(c *config.Config) (daemon.Config, error) {
	s := c.Settings
	cfg := daemon.Config{
		DataDir:            s.Data,
		Listen:             s.Listen,
		HTTP:               s.HTTP,
		Metrics:            s.Metrics,
		Plaintext:          s.Plaintext,
		TLSCert:            s.TLSCert,
		TLSKey:             s.TLSKey,
		Name:               s.Name,
		Welcome:            s.Welcome,
		MaxConns:           s.MaxConns,
		MaxPreLoginPerAddr: s.MaxPreLoginPerAddr,
		MaxConnsPerUser:    s.MaxConnsPerUser,
		MaxEntries:         s.MaxEntries,
		HandshakeTimeout:   s.HandshakeTimeout,
		LoginTimeout:       s.LoginTimeout,
		IdleTimeout:        s.IdleTimeout,
		FrameTimeout:       s.FrameTimeout,
		WriteTimeout:       s.WriteTimeout,
		SessionTTL:         s.SessionTTL,
		UploadMaxAge:       s.UploadMaxAge,
		DefaultQuota:       s.DefaultQuota,
		MaxHashing:         s.Argon2Concurrency,
	}
	if s.Metrics == "off" {
		cfg.Metrics = ""
	}
	if s.Store == "s3" {
		var err error
		if cfg.Cloud, err = cloudConfig(s); err != nil {
			return cfg, err
		}
	}
	cfg.Argon2 = users.DefaultParams
	cfg.Argon2.MemoryKiB = uint32(s.Argon2Memory >> 10)
	cfg.Argon2.Time = uint32(s.Argon2Time)
	cfg.Limits = service.DefaultLimits
	cfg.Limits.SignupsPerHour = s.SignupsPerHour
	cfg.Limits.UserFree = s.LoginFailuresPerUser
	cfg.Limits.AddrFree = s.LoginFailuresPerAddr
	cfg.Limits.Window = s.LoginFailureWindow
	for _, p := range s.TrustedProxy {
		prefix, err := config.ParsePrefix(p) // (checked when read)
		if err != nil {
			return cfg, err
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, prefix)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(s.LogLevel))); err != nil {
		return cfg, err // (checked when read)
	}
	opts := &slog.HandlerOptions{Level: level}
	if s.LogFormat == "json" {
		cfg.Logger = slog.New(slog.NewJSONHandler(a.stderr, opts))
	} else {
		cfg.Logger = slog.New(slog.NewTextHandler(a.stderr, opts))
	}
	if s.ClientKey != "" {
		var err error
		if cfg.ClientKey, err = readKeyFile(s.ClientKey); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// serve runs a server until ctx ends (SIGINT/SIGTERM), then shuts it down
// gracefully.
func (a *app) serve(ctx context.Context, cfg daemon.Config, grace time.Duration) error {
	tuneGC(a.getenv)
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

// serverGCPercent is the garbage collector's target (GOGC) for a server
// unless GOGC is set. A server's live heap is mostly per-connection state
// (TLS keys and buffers, about 11 KiB a connection); at Go's default of
// 100 the garbage of a burst of TLS handshakes may grow the heap to twice
// that before a collection, and the stacks of idle connections count
// towards the goal too. Measured with 10,000 idle TLS connections: 257 MiB
// resident at 100, 205 MiB at 50. Transfers allocate little (their buffers
// are pooled), so collecting more often costs them nothing measurable.
const serverGCPercent = 50

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serverGCPercent)
	}
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
