// Command tcpcopy is the baseline of the transfer benchmark: the bare Go
// TCP copy of one file between two processes on loopback, as fast as Go
// moves bytes, with no protocol and no TLS. It copies in two ways, each
// the limit for its kind of transfer:
//
//   - plain (the default): sendfile on the sending side, splice on the
//     receiving side, nothing else; the limit for moving bytes at all.
//   - -verify: the same file, but every byte is hashed with BLAKE3-256
//     (netdisk/internal/digest, the digest netdisk uses) on both sides and
//     the whole-file digests compared, as netdisk does end to end; the
//     limit for a verified transfer. See verify.go for how.
//
// Either way the receiver starts writeback every 8 MiB while it streams
// and fsyncs at the end, as a netdisk upload does, so every contender is
// compared on the same durability; the sender's time includes that fsync.
//
//	tcpcopy recv [-verify] [-listen 127.0.0.1:0] -out FILE   prints the address, takes one connection
//	tcpcopy send [-verify] -addr ADDR -in FILE
//	tcpcopy serve-file [-verify] [-listen 127.0.0.1:0] -in FILE   (download direction: the listener sends)
//	tcpcopy fetch [-verify] -addr ADDR -out FILE
//	tcpcopy hash -in FILE       print the file's BLAKE3-256 and how fast it was hashed
//	tcpcopy warm -size BYTES    touch and free that much memory
//
// -variant auto|rw|zc chooses how a verified copy moves its bytes; the two
// ends share only the wire format, so each may choose its own. auto, the
// default, takes the variant measured faster for the CPUs the process may
// run on (see verify.go). -timeout (default 10m) bounds the whole copy,
// waiting for the connection included.
//
// warm exists because the benchmark VM hands freed memory back to its host,
// and the first write into fresh memory can cost seconds per GiB: touching
// more than the file's size before each timed run keeps that cost out of
// the figures.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"time"
)

const usage = `usage:
  tcpcopy recv [-verify] [-variant auto|rw|zc] [-listen ADDR] -out FILE
  tcpcopy send [-verify] [-variant auto|rw|zc] -addr ADDR -in FILE
  tcpcopy serve-file [-verify] [-variant auto|rw|zc] [-listen ADDR] -in FILE
  tcpcopy fetch [-verify] [-variant auto|rw|zc] -addr ADDR -out FILE
  tcpcopy hash -in FILE
  tcpcopy warm -size BYTES
every copy mode also takes -timeout DURATION (default 10m)`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, usage)
		fs.PrintDefaults()
	}
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	addr := fs.String("addr", "", "address to connect to")
	in := fs.String("in", "", "file to send")
	out := fs.String("out", "", "file to write")
	size := fs.Int64("size", 1<<30, "bytes of memory to touch (warm)")
	verify := fs.Bool("verify", false, "hash every byte with BLAKE3-256 on both sides and compare the digests")
	variantName := fs.String("variant", defaultVariant, "how a verified copy moves bytes: rw (read, hash, write), zc (sendfile/splice, hash read back from the page cache) or auto (rw on one CPU, zc on more)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	fs.Parse(os.Args[2:])

	send, receive := sendPlain, receivePlain
	if *verify {
		v, ok := chooseVariant(*variantName)
		if !ok {
			fmt.Fprintf(os.Stderr, "tcpcopy: unknown variant %q (auto, rw or zc)\n", *variantName)
			os.Exit(2)
		}
		send = func(c net.Conn, in string) error { return sendVerified(c, in, v) }
		receive = func(c net.Conn, out string) error { return receiveVerified(c, out, v) }
	}
	deadline := time.Now().Add(*timeout)
	var err error
	switch os.Args[1] {
	case "recv":
		err = accept(*listen, deadline, func(c net.Conn) error { return receive(c, *out) })
	case "serve-file":
		err = accept(*listen, deadline, func(c net.Conn) error { return send(c, *in) })
	case "send":
		err = dial(*addr, deadline, func(c net.Conn) error { return send(c, *in) })
	case "fetch":
		err = dial(*addr, deadline, func(c net.Conn) error { return receive(c, *out) })
	case "hash":
		err = hashFile(*in)
	case "warm":
		buf := make([]byte, *size)
		for i := 0; i < len(buf); i += 4096 {
			buf[i] = 1
		}
	default:
		err = fmt.Errorf("unknown mode %q\n%s", os.Args[1], usage)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tcpcopy:", err)
		os.Exit(1)
	}
}

func accept(listen string, deadline time.Time, fn func(net.Conn) error) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println(ln.Addr())
	os.Stdout.Sync()
	ln.(*net.TCPListener).SetDeadline(deadline)
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	return fn(c)
}

func dial(addr string, deadline time.Time, fn func(net.Conn) error) error {
	d := net.Dialer{Deadline: deadline}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	start := time.Now()
	err = fn(c)
	fmt.Fprintf(os.Stderr, "tcpcopy: %v\n", time.Since(start))
	return err
}
