package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
	"netdisk/internal/loadgen"
)

// benchFlags are bench's own flags.
type benchFlags struct {
	clients     int
	requests    int64
	duration    time.Duration
	rate        float64
	mix, size   string
	tls         bool
	fingerprint string
	users, save string
	idle        int
	idleUsers   int
	idlePerUser int
	maxPreLogin int
	asJSON      bool
	failP99     time.Duration
	failErrors  int64
}

func (a *app) benchCommand() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load a netdisk server with many clients and report ops/s, MB/s and latency percentiles",
		Long: `bench drives a netdisk server with many clients at once, each on its own
connection as its own user, and reports operations a second, MB/s and, per
operation, latency percentiles from an HDR histogram.

Closed loop by default: each client starts its next operation when the last
one ends. With -R, an open loop: operations start at that total rate, and
latency counts from when each was meant to start, so a stalled server shows
up in every operation that waited for it.

It registers throwaway users (bench-XXXX-0000 …) unless given --users FILE,
works in a folder of its own per client and removes what it uploaded at the
end; the users it registered stay on the server.`,
		Example: `  netdisk bench --server disk.example.com:7070 -c 50 -d 30s
  netdisk bench -c 20 -R 500 -d 1m --mix login=1,ls=4,put=2,get=2 --size 4KiB,1MiB
  netdisk bench -c 10 --idle 10000 --fail-p99 50ms --fail-errors 0`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.bench(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&f.clients, "clients", "c", 10, "measured clients, each its own connection and user")
	fl.Int64VarP(&f.requests, "requests", "n", 0, "operations in all, then stop (instead of -d)")
	fl.DurationVarP(&f.duration, "duration", "d", 0, "run this long (default 10s unless -n is given)")
	fl.Float64VarP(&f.rate, "rate", "R", 0, "open loop: start this many operations a second in all, latency counted from each one's intended start (0: closed loop)")
	fl.StringVar(&f.mix, "mix", loadgen.DefaultMix, "operations and their weights: login, ls, stat, mkdir, rm, put, get")
	fl.StringVar(&f.size, "size", "64KiB", "size of uploaded files, or a list to pick from (4KiB,64KiB,1MiB)")
	fl.BoolVar(&f.tls, "tls", true, "connect with TLS, trusting for the whole run the certificate given by --fingerprint, else pinned in known_servers, else seen first (--plaintext: no TLS)")
	fl.StringVar(&f.fingerprint, "fingerprint", "", "the server's certificate fingerprint (SHA256:…, as serve prints it) to trust instead of the first one seen")
	fl.StringVar(&f.users, "users", "", "use these accounts (a file of name:password lines) instead of registering throwaway users")
	fl.StringVar(&f.save, "save-users", "", "write the accounts this run registers to this file (name:password lines, for --users)")
	fl.IntVar(&f.idle, "idle", 0, "also hold this many idle logged-in connections open through the run")
	fl.IntVar(&f.idleUsers, "idle-users", 0, "spread the idle connections over this many users (default: as few as --idle-per-user allows)")
	fl.IntVar(&f.idlePerUser, "idle-per-user", loadgen.DefaultIdlePerUser, "at most this many idle connections a user (the server's --max-conns-per-user)")
	fl.IntVar(&f.maxPreLogin, "max-prelogin", loadgen.DefaultMaxPreLogin, "connections open and not yet logged in at once (keep under the server's --max-prelogin-per-addr)")
	fl.BoolVar(&f.asJSON, "json", false, "print one JSON document (fields in the README)")
	fl.DurationVar(&f.failP99, "fail-p99", 0, "exit 1 if any operation's p99 latency is above this")
	fl.Int64Var(&f.failErrors, "fail-errors", -1, "exit 1 if more than this many operations failed (-1: never)")
	return cmd
}

func (a *app) bench(cmd *cobra.Command, f benchFlags) error {
	ctx := cmd.Context()
	fl := cmd.Flags()
	if fl.Changed("requests") && fl.Changed("duration") {
		return usagef("give -n (operations) or -d (duration), not both")
	}
	if fl.Changed("tls") && f.tls && a.plaintext {
		return usagef("--tls and --plaintext contradict each other")
	}
	plaintext := a.plaintext || !f.tls
	if plaintext && f.fingerprint != "" {
		return usagef("--fingerprint is for TLS, not with --plaintext")
	}
	if f.clients < 1 || f.requests < 0 || f.duration < 0 || f.rate < 0 || f.idle < 0 || f.idleUsers < 0 || f.idlePerUser < 1 || f.maxPreLogin < 1 {
		return usagef("-c, --idle-per-user and --max-prelogin must be at least 1; counts, -d and -R cannot be negative")
	}
	mix, err := loadgen.ParseMix(f.mix)
	if err != nil {
		return usageError{err.Error()}
	}
	sizes, err := loadgen.ParseSizes(f.size)
	if err != nil {
		return usageError{err.Error()}
	}
	cfg := loadgen.Config{
		Clients: f.clients, Requests: f.requests, Duration: f.duration, Rate: f.rate,
		Mix: mix, Sizes: sizes, SaveUsers: f.save,
		Idle: f.idle, IdleUsers: f.idleUsers, IdlePerUser: f.idlePerUser, MaxPreLogin: f.maxPreLogin,
	}
	if f.users != "" {
		if cfg.Users, err = loadgen.ReadUsers(f.users); err != nil {
			return err
		}
	}
	if !a.quiet {
		cfg.Log = a.stderr
	}
	addr, err := a.serverAddr()
	if err != nil {
		return err
	}
	dial, fingerprint, err := a.benchDialer(ctx, addr, plaintext, f.fingerprint)
	if err != nil {
		return err
	}
	cfg.Dial = dial

	rep, err := loadgen.Run(ctx, cfg)
	if rep == nil {
		return err
	}
	rep.Server, rep.TLS, rep.Fingerprint = addr, !plaintext, fingerprint
	if f.asJSON {
		if jerr := a.printJSON(rep); jerr != nil {
			return jerr
		}
	} else {
		printBenchReport(a.stdout, rep)
	}
	if note := rep.Users.KeptNote(); note != "" {
		fmt.Fprintf(a.stderr, "netdisk bench: %s\n", note)
	}
	if err != nil {
		return err // interrupted: the figures so far are printed
	}
	return benchGates(rep, f)
}

// benchGates fails a run whose figures are past --fail-p99 or
// --fail-errors.
func benchGates(rep *loadgen.Report, f benchFlags) error {
	var failed []string
	if f.failErrors >= 0 && rep.Errors > f.failErrors {
		failed = append(failed, fmt.Sprintf("%d operations failed, more than --fail-errors %d", rep.Errors, f.failErrors))
	}
	if f.failP99 > 0 {
		for _, op := range loadgen.Ops {
			o, ok := rep.Operations[op]
			if !ok {
				continue
			}
			if p99 := time.Duration(o.LatencyUS.P99) * time.Microsecond; p99 > f.failP99 {
				failed = append(failed, fmt.Sprintf("the p99 latency of %s is %s, above --fail-p99 %s", op, fmtLatency(o.LatencyUS.P99), f.failP99))
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("bench: %s", strings.Join(failed, "; "))
	}
	return nil
}

// benchDialer returns how bench connects: plaintext, or TLS trusting one
// certificate for the whole run. The certificate is the one given with
// --fingerprint, else the one pinned for addr in known_servers, else the
// one the server shows first (said on standard error).
func (a *app) benchDialer(ctx context.Context, addr string, plaintext bool, fingerprint string) (func(context.Context) (*client.Client, error), string, error) {
	key, err := a.loadClientKey()
	if err != nil {
		return nil, "", err
	}
	opts := client.Options{
		Plaintext:   plaintext,
		ClientKey:   key,
		DialTimeout: min(a.timeout, dialTimeout),
		Timeout:     a.timeout,
	}
	dialErr := func(err error) error {
		var ne *net.OpError
		if errors.As(err, &ne) || errors.As(err, new(*net.DNSError)) {
			return &dialError{addr: addr, err: err}
		}
		return err
	}
	opts.Fingerprint = fingerprint
	if !plaintext && fingerprint == "" {
		// A server pinned in known_servers is held to its pin (a changed
		// certificate is refused with the usual warning naming the file).
		if st, err := a.loadState(); err == nil {
			if pinned, ok, err := st.pins().Lookup(addr); err == nil && ok {
				fingerprint, opts.Pins = pinned, st.pins()
			}
		}
	}
	if !plaintext && fingerprint == "" {
		first := opts
		first.ConfirmNew = func(_, offered string) (bool, error) {
			fingerprint = offered
			return true, nil
		}
		c, err := client.Dial(ctx, addr, first)
		if err != nil {
			return nil, "", dialErr(err)
		}
		c.Close()
		if !a.quiet {
			fmt.Fprintf(a.stderr, "netdisk bench: trusting the certificate of %s seen first, %s, for this run (check it with --fingerprint)\n", addr, fingerprint)
		}
		opts.Fingerprint = fingerprint
	}
	return func(ctx context.Context) (*client.Client, error) {
		c, err := client.Dial(ctx, addr, opts)
		return c, dialErr(err)
	}, fingerprint, nil
}

// printBenchReport writes a run's figures for people.
func printBenchReport(w io.Writer, rep *loadgen.Report) {
	mode := "closed loop"
	if rep.Loop == "open" {
		mode = fmt.Sprintf("open loop at %g ops/s, latency from each operation's intended start", rep.Rate)
	}
	transport := "plaintext"
	if rep.TLS {
		transport = "TLS " + rep.Fingerprint
	}
	fmt.Fprintf(w, "server %s (%s)\n", rep.Server, transport)
	fmt.Fprintf(w, "%s, %s, mix %s, sizes", plural(rep.Clients, "client"), mode, rep.Mix)
	for _, s := range rep.Sizes {
		fmt.Fprintf(w, " %s", humanSize(s))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%d operations in %.2f s: %.1f ops/s, %.2f MB/s, %d errors\n\n", rep.Ops, rep.Seconds, rep.OpsPerS, rep.MBPerS, rep.Errors)
	fmt.Fprintf(w, "%-6s %9s %7s %10s %9s %9s %9s %9s %9s\n", "op", "count", "errors", "ops/s", "p50", "p90", "p99", "p99.9", "max")
	for _, op := range loadgen.Ops {
		o, ok := rep.Operations[op]
		if !ok {
			continue
		}
		l := o.LatencyUS
		fmt.Fprintf(w, "%-6s %9d %7d %10.1f %9s %9s %9s %9s %9s\n", op, o.Count, o.Errors, o.OpsPerSec,
			fmtLatency(l.P50), fmtLatency(l.P90), fmtLatency(l.P99), fmtLatency(l.P999), fmtLatency(l.Max))
	}
	if len(rep.ErrorsByCode) > 0 {
		fmt.Fprintf(w, "\nerrors by code:")
		for _, op := range loadgen.Ops {
			codes := rep.Operations[op].ErrorsByCode
			for _, code := range slices.Sorted(maps.Keys(codes)) {
				fmt.Fprintf(w, "\n  %-6s %-20s %d", op, code, codes[code])
			}
		}
		fmt.Fprintln(w)
	}
	if rep.IdleHeld > 0 {
		fmt.Fprintf(w, "\nidle: %s held over %s, %d lost during the run\n", plural(rep.IdleHeld, "logged-in connection"), plural(rep.IdleUsers, "user"), rep.IdleLost)
	}
	fmt.Fprintf(w, "\nremoved the clients' folders and what was uploaded to them (%d)", rep.FoldersRemoved)
	if n := len(rep.CleanupErrors); n > 0 {
		fmt.Fprintf(w, "; %d could not be removed:", n)
		for _, e := range rep.CleanupErrors {
			fmt.Fprintf(w, "\n  %s", safeText(e))
		}
	}
	fmt.Fprintln(w)
}

// fmtLatency writes microseconds as µs, ms or s with about three figures.
func fmtLatency(us int64) string {
	switch {
	case us == 0:
		return "-"
	case us < 1000:
		return fmt.Sprintf("%dµs", us)
	case us < 1_000_000:
		return threeFigures(float64(us)/1e3) + "ms"
	}
	return threeFigures(float64(us)/1e6) + "s"
}

func threeFigures(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}
