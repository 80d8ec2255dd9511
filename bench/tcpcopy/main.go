// Command tcpcopy is the baseline of the transfer benchmark: the bare Go
// TCP copy of one file between two processes on loopback, as fast as Go
// moves bytes (sendfile on the sending side, splice on the receiving
// side), with nothing else: no protocol, no hashing, no TLS. The receiver
// fsyncs like a netdisk upload does, so the two are compared on the same
// durability.
//
//	tcpcopy recv -listen 127.0.0.1:0 -out FILE   prints the address, takes one connection
//	tcpcopy send -addr ADDR -in FILE
//	tcpcopy serve-file -listen 127.0.0.1:0 -in FILE   (download direction: the listener sends)
//	tcpcopy fetch -addr ADDR -out FILE
//	tcpcopy warm -size BYTES    touch and free that much memory
//
// warm exists because the benchmark VM hands freed memory back to its host,
// and the first write into fresh memory can cost seconds per GiB: touching
// more than the file's size before each timed run keeps that cost out of
// the figures.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tcpcopy recv|send|serve-file|fetch [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	addr := fs.String("addr", "", "address to connect to")
	in := fs.String("in", "", "file to send")
	out := fs.String("out", "", "file to write")
	size := fs.Int64("size", 1<<30, "bytes of memory to touch (warm)")
	fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "recv":
		err = accept(*listen, func(c net.Conn) error { return receive(c, *out) })
	case "serve-file":
		err = accept(*listen, func(c net.Conn) error { return send(c, *in) })
	case "send":
		err = dial(*addr, func(c net.Conn) error { return send(c, *in) })
	case "warm":
		buf := make([]byte, *size)
		for i := 0; i < len(buf); i += 4096 {
			buf[i] = 1
		}
	case "fetch":
		err = dial(*addr, func(c net.Conn) error { return receive(c, *out) })
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tcpcopy:", err)
		os.Exit(1)
	}
}

func accept(listen string, fn func(net.Conn) error) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	os.Stdout.Sync()
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

func dial(addr string, fn func(net.Conn) error) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	start := time.Now()
	err = fn(c)
	fmt.Fprintf(os.Stderr, "tcpcopy: %v\n", time.Since(start))
	return err
}

func send(c net.Conn, in string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(c, f) // sendfile(2)
	if err != nil {
		return err
	}
	// Wait for the receiver to finish (it closes after fsync).
	c.(*net.TCPConn).CloseWrite()
	_, err = io.Copy(io.Discard, c)
	return err
}

func receive(c net.Conn, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(f, c); err != nil { // splice(2)
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}
