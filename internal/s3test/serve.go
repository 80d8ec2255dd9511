package s3test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/versity/versitygw/backend/meta"
	"github.com/versity/versitygw/backend/posix"
	"github.com/versity/versitygw/embedgw"
	"github.com/versity/versitygw/s3api"
)

// The environment of the child process that runs the gateway: the posix
// root (whose presence makes the process a gateway) and the root
// account's keys.
const (
	envRoot      = "NETDISK_S3TEST_GATEWAY_ROOT"
	envAccessKey = "NETDISK_S3TEST_GATEWAY_ACCESS_KEY"
	envSecretKey = "NETDISK_S3TEST_GATEWAY_SECRET_KEY"
)

// listenAttempts is how many free ports the gateway tries: a port found
// free may be taken by another process before the gateway binds it.
const listenAttempts = 5

// copyObjectLimit is the largest object CopyObject copies: S3's own limit.
// The posix backend's zero default would refuse every copy.
const copyObjectLimit = 5 << 30

// init turns a test binary started by startGateway into the gateway,
// before any test code or flag parsing runs; in any other process it does
// nothing.
func init() {
	root := os.Getenv(envRoot)
	if root == "" {
		return
	}
	if err := serveGateway(root, os.Getenv(envAccessKey), os.Getenv(envSecretKey)); err != nil {
		fmt.Fprintln(os.Stderr, "s3test gateway:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serveGateway runs the gateway on root until it is sent SIGTERM or SIGINT
// or its standard input closes. Once it listens it writes its address
// (127.0.0.1:PORT and a newline) to descriptor 3 and closes that.
func serveGateway(root, accessKey, secretKey string) error {
	ready := os.NewFile(3, "ready")
	defer ready.Close()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		io.Copy(io.Discard, os.Stdin)
		stop()
	}()

	for range listenAttempts {
		addr, err := freeLoopbackAddr()
		if err != nil {
			return err
		}
		// RunVersityGW shuts the backend down when it returns, so every
		// attempt has a backend of its own.
		be, err := newBackend(root)
		if err != nil {
			return err
		}
		listening := make(chan struct{})
		cfg := &embedgw.Config{
			RootUserAccess:    accessKey,
			RootUserSecret:    secretKey,
			Region:            region,
			Ports:             []string{addr},
			MaxConnections:    1024,
			MaxRequests:       1024,
			MultipartMaxParts: 10000,
			KeepAlive:         true,
			Quiet:             true,
			S3Options:         []s3api.Option{s3api.WithOnListen(func() { close(listening) })},
		}
		done := make(chan error, 1)
		go func() { done <- embedgw.RunVersityGW(ctx, be, cfg) }()
		select {
		case <-listening:
			if _, err := fmt.Fprintln(ready, addr); err != nil {
				return err
			}
			ready.Close()
			return <-done
		case err := <-done:
			if ctx.Err() != nil {
				return nil
			}
			if !errors.Is(err, syscall.EADDRINUSE) {
				return err
			}
		}
	}
	return fmt.Errorf("no free port on 127.0.0.1 after %d attempts", listenAttempts)
}

// newBackend returns the posix backend on root, keeping metadata in
// extended attributes, or where the file system has none, in a sidecar
// folder beside root.
func newBackend(root string) (*posix.Posix, error) {
	opts := posix.PosixOpts{CopyObjectThreshold: copyObjectLimit}
	var store meta.MetadataStorer = meta.XattrMeta{}
	if err := (meta.XattrMeta{}).Test(root); err != nil {
		sidecar := filepath.Join(filepath.Dir(root), "meta")
		if err := os.MkdirAll(sidecar, 0o700); err != nil {
			return nil, err
		}
		sc, err := meta.NewSideCar(sidecar)
		if err != nil {
			return nil, err
		}
		store, opts.SideCarDir = sc, sidecar
	}
	// posix.New makes root the process's working folder: harmless here,
	// in a process that is only the gateway.
	return posix.New(root, store, opts)
}

// freeLoopbackAddr returns 127.0.0.1 and a port free at the time of the
// call. embedgw takes addresses, not listeners, and does not report the
// port it bound for port 0, hence the small race the caller retries.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	l.Close()
	return addr, nil
}
