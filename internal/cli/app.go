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
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
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
	batch          io.Reader // shell -b FILE
	progress       string    // --progress: auto, bar, plain or none
	bwlimit        string    // --bwlimit RATE
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
		msg := "netdisk: interrupted"
		if cmd, _, ferr := root.Find(args); ferr == nil && cmd.Annotations[resumable] != "" {
			msg += "; run the same command again to resume a transfer"
		}
		fmt.Fprintln(a.stderr, msg)
		return exitInterrupted
	}
	fmt.Fprintf(a.stderr, "netdisk: %s\n", message(err))
	return exitError
}

// resumable marks (in a command's Annotations) a command whose interrupted
// run is resumed by running it again: the interrupt's message says so.
const resumable = "resumable"

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
//
// Every message says which side failed: the server's refusals about a
// path are "remote …"; local file errors are "local …" (see localError);
// a server that cannot be reached is named with what to check.
func message(err error) string {
	var pe *proto.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case proto.CodeSessionExpired, proto.CodeNotLoggedIn:
			return safeText(pe.Message) + " (run: netdisk login USER)"
		case proto.CodeNotFound, proto.CodeExists, proto.CodeNotDir, proto.CodeIsDir, proto.CodeNotEmpty,
			proto.CodeNameCollision, proto.CodeBadPath:
			return "remote " + safeText(pe.Message)
		}
		return safeText(pe.Message)
	}
	var de *dialError
	if errors.As(err, &de) {
		return de.Error()
	}
	return safeText(err.Error())
}

// dialError is a server that could not be reached, said in words.
type dialError struct {
	addr string
	err  error
}

func (e *dialError) Error() string {
	var dns *net.DNSError
	switch {
	case errors.Is(e.err, syscall.ECONNREFUSED):
		return fmt.Sprintf("no netdisk server at %s (is it running? check --server)", e.addr)
	case errors.As(e.err, &dns):
		return fmt.Sprintf("cannot find the server's host %s (%s; check --server)", e.addr, dns.Err)
	case errors.Is(e.err, syscall.EHOSTUNREACH), errors.Is(e.err, syscall.ENETUNREACH):
		return fmt.Sprintf("cannot reach %s (%v; check the network and --server)", e.addr, errors.Unwrap(e.err))
	}
	return fmt.Sprintf("connecting to %s: %s", e.addr, safeText(e.err.Error()))
}

func (e *dialError) Unwrap() error { return e.err }

// localError words an error of the local file system: which file, on
// this machine, and what went wrong.
func localError(action, path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("local file %s does not exist", safeName(path))
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("local file %s: permission denied (%s)", safeName(path), action)
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("local disk full while writing %s", safeName(path))
	case errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("local disk quota exceeded while writing %s", safeName(path))
	}
	return fmt.Errorf("local file %s: %s failed: %w", safeName(path), action, err)
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// interactive reports whether the user can be asked questions.
func (a *app) interactive() bool { return isTerminal(a.stdin) }
