// Package cli is the netdisk command line: the one-shot commands (one file
// each), the interactive shell that runs the same commands on one
// connection, terminal prompts and progress bars. It reaches servers only
// through internal/client, and starts a server through internal/daemon.
package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
	// exitInterrupted is the shells' code for a command ended by Ctrl-C
	// (128 + SIGINT).
	exitInterrupted = 130
)

// app is the state one invocation (or one shell session) works with: where
// input and output go, the global flags, and the connection once made.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	// global flags
	server      string
	plaintext   bool
	timeout     time.Duration
	clientKey   string
	quiet       bool
	passwdStdin bool

	state *state        // the config folder: sessions, pins, last server
	lines *bufio.Reader // stdin, once something reads it line by line

	conn     *client.Client
	connAddr string
	user     string // logged-in user on conn ("" if none)

	// shell is set while running inside `netdisk shell`.
	shell *shell

	cpuProfile  string
	stopProfile func()
}

// Main runs the netdisk command line with args (without the program name)
// and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return mainWithEnv(ctx, args, stdin, stdout, stderr, os.Getenv)
}

// mainWithEnv is Main with the environment given, so tests can run many
// clients side by side, each with its own config folder.
func mainWithEnv(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, timeout: client.DefaultTimeout}
	defer a.disconnect()
	defer func() {
		if a.stopProfile != nil {
			a.stopProfile()
		}
	}()
	return a.run(ctx, args)
}

// run executes one command line and reports its error on stderr.
func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsageError(err) {
		path := "netdisk"
		if cmd, _, ferr := root.Find(args); ferr == nil {
			path = cmd.CommandPath()
		}
		hint := fmt.Sprintf("see '%s --help'", path)
		if a.shell != nil {
			hint = "type 'help' for the commands"
		}
		fmt.Fprintf(a.stderr, "netdisk: %v (%s)\n", err, hint)
		return exitUsage
	}
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		// Ctrl-C (or SIGTERM): whatever the operation reported as it was
		// cut off ("connection lost", "context canceled") is the
		// interrupt's doing, not a fault.
		fmt.Fprintln(a.stderr, "netdisk: interrupted; run the same command again to resume a transfer")
		return exitInterrupted
	}
	fmt.Fprintf(a.stderr, "netdisk: %s\n", message(err))
	return exitError
}

// usageError is a command line that does not make sense.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func isCobraUsageError(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "flag needs an argument", "invalid argument"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// message turns an error into the one line a user reads. Errors from the
// server already say what happened and what to do.
func message(err error) string {
	var pe *proto.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case proto.CodeSessionExpired, proto.CodeNotLoggedIn:
			return safeText(pe.Message) + " (run: netdisk login USER)"
		}
		return safeText(pe.Message)
	}
	return safeText(err.Error())
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// interactive reports whether the user can be asked questions.
func (a *app) interactive() bool { return isTerminal(a.stdin) }
