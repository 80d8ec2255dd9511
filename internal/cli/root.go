package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"netdisk/internal/client"
)

// rootCommand builds the command tree bound to a. The shell builds a fresh
// tree per line on the same app, so flags never leak between lines.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "netdisk",
		Short: "A self-hosted network drive: server, command-line client and shell in one binary",
		Long: `netdisk keeps your files in a private folder on a netdisk server.

Start a server:      netdisk serve
Create an account:   netdisk register alice
Log in once:         netdisk login alice
Then:                netdisk ls, put, get, mkdir, rm, mv, df … or netdisk shell`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Flag errors are usage errors (exit status 2).
		// netdisk completion bash|zsh|fish|powershell writes the script.
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err.Error()} })
	// Defaults are the current values, so the shell's fresh tree per line
	// keeps the flags the shell itself was started with.
	pf := root.PersistentFlags()
	pf.StringVar(&a.server, "server", a.server, "server address HOST:PORT (default $NETDISK_SERVER, else the last server logged in to, else "+DefaultServer+")")
	pf.BoolVar(&a.plaintext, "plaintext", a.plaintext, "connect without TLS (the server must run with --plaintext too)")
	pf.StringVar(&a.clientKey, "client-key", a.clientKey, "client key file for servers that require one (default $NETDISK_CLIENT_KEY_FILE)")
	pf.BoolVarP(&a.quiet, "quiet", "q", a.quiet, "no progress output")
	if a.progress == "" {
		a.progress = "auto"
	}
	pf.StringVar(&a.bwlimit, "bwlimit", a.bwlimit, "hold put and get to this rate, all files together (e.g. 500K, 10M: bytes a second)")
	pf.StringVar(&a.progress, "progress", a.progress, "progress display: auto (bars on a terminal, a line every 2 s otherwise), bar, plain or none")
	pf.DurationVar(&a.timeout, "timeout", a.timeout, "give up on a server that sends nothing for this long while a request waits (connecting included)")
	pf.StringVar(&a.cpuProfile, "cpuprofile", "", "write a CPU profile of this command to the file (for developers)")
	pf.MarkHidden("cpuprofile")
	if a.shell != nil {
		// In the shell the connection is made: its flags mean nothing
		// there, so commands' help does not offer them.
		for _, f := range []string{"server", "plaintext", "client-key", "timeout"} {
			pf.MarkHidden(f)
		}
	}
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		switch a.progress {
		case "auto", "bar", "plain", "none":
		default:
			return usagef("--progress takes auto, bar, plain or none, not %q", a.progress)
		}
		if a.bwlimit != "" {
			rate, err := parseRate(a.bwlimit)
			if err != nil {
				return usageError{err.Error()}
			}
			cmd.SetContext(context.WithValue(cmd.Context(), pacerKey{}, &pacer{rate: rate}))
		}
		if a.cpuProfile == "" || a.stopProfile != nil {
			return nil
		}
		stop, err := startCPUProfile(a.cpuProfile)
		a.stopProfile = stop
		return err
	}

	root.AddCommand(
		a.serveCommand(),
		a.benchCommand(),
		a.registerCommand(),
		a.loginCommand(),
		a.logoutCommand(),
		a.passwdCommand(),
		a.lsCommand(),
		a.statCommand(),
		a.mkdirCommand(),
		a.rmCommand(),
		a.mvCommand(),
		a.dfCommand(),
		a.putCommand(),
		a.getCommand(),
		a.uploadsCommand(),
		a.shellCommand(),
		a.keygenCommand(),
		a.statusCommand(),
		a.catCommand(),
		a.duCommand(),
		a.hashCommand(),
		a.findCommand(),
		a.cpCommand(),
		a.adminCommand(),
	)
	root.Version = versionLine()
	root.SetVersionTemplate("netdisk {{.Version}}\n")
	return root
}

// exactArgs is cobra.ExactArgs with a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %d argument(s), got %d", cmd.Name(), n, len(args))
		}
		return nil
	}
}

// rangeArgs is cobra.RangeArgs with a usage error.
func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usagef("%s takes %d to %d arguments, got %d", cmd.Name(), lo, hi, len(args))
		}
		return nil
	}
}

// atLeastOne requires one argument or more.
func atLeastOne(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usagef("%s needs at least one %s", cmd.Name(), what)
		}
		return nil
	}
}

// forEachPath is the RunE of commands that apply one request to each path
// argument (mkdir, rm, uploads discard). Like rm(1) and mkdir(1), a path
// that fails does not stop the others: each failure is reported, and the
// command fails at the end. An interrupt or a lost connection stops it.
func (a *app) forEachPath(op func(ctx context.Context, c *client.Client, remote string) error) func(*cobra.Command, []string) error {
	return a.forEachPathOf(false, op)
}

// forEachPathOf is forEachPath, with patterns in last names expanded
// first (from listings) when expand is set.
func (a *app) forEachPathOf(expand bool, op func(ctx context.Context, c *client.Client, remote string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := a.loggedIn(cmd.Context())
		if err != nil {
			return err
		}
		if expand {
			if args, err = a.expandRemote(cmd.Context(), c, args); err != nil {
				return err
			}
		}
		var failed error
		for _, p := range args {
			err := op(cmd.Context(), c, a.remote(p))
			if err == nil {
				continue
			}
			if cmd.Context().Err() != nil || c.Err() != nil {
				return err // the rest would fail the same way
			}
			if failed != nil {
				fmt.Fprintf(a.stderr, "netdisk: %s\n", message(failed))
			}
			failed = err // the last one is reported as the command's error
		}
		return failed
	}
}
