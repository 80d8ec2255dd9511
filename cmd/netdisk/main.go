// Command netdisk is the netdisk server, command-line client and shell.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"netdisk/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
