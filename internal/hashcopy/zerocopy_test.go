package hashcopy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	if s == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// socketSource is a SpliceSource over a TCP connection, as the front doors
// make one over a frame's body.
// It counts its SpliceTo calls, to show the zero-copy path was taken.
type socketSource struct {
	c      *net.TCPConn
	splice int
}

func (s *socketSource) Read(p []byte) (int, error) { return s.c.Read(p) }

func (s *socketSource) SpliceTo(dst FileSink, n int64) (int64, error) {
	s.splice++
	m, err := dst.ReadFrom(&io.LimitedReader{R: s.c, N: n})
	if err == nil && m == 0 {
		err = io.EOF
	}
	return m, err
}

// fileSink is a FileSink over a file, appending.
type fileSink struct {
	f    *os.File
	size int64
}

func (s *fileSink) Write(p []byte) (int, error) {
	n, err := s.f.WriteAt(p, s.size)
	s.size += int64(n)
	return n, err
}

func (s *fileSink) ReadFrom(r io.Reader) (int64, error) {
	if _, err := s.f.Seek(s.size, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := s.f.ReadFrom(r) // splice(2) from the socket
	s.size += n
	return n, err
}

func (s *fileSink) ReadAt(p []byte, off int64) (int, error) { return s.f.ReadAt(p, off) }
func (s *fileSink) Size() int64                             { return s.size }

// TestSplice: bytes spliced from a socket into a file that already holds
// some are the sender's, hashed on the way back from the file; a sender
// that stops early ends the copy with io.EOF.
func TestSplice(t *testing.T) {
	for _, tt := range []struct {
		name        string
		sent, asked int
	}{
		{"exact", 5<<20 + 77, 5<<20 + 77},
		{"more available", 3 << 20, 2<<20 + 1},
		{"short", 2<<20 + 3, 4 << 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client, server := tcpPair(t)
			data := randomBytes(tt.sent)
			go func() {
				client.Write(data)
				client.CloseWrite()
			}()
			f, err := os.Create(filepath.Join(t.TempDir(), "f"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.WriteString("held:")
			sink := &fileSink{f: f, size: 5}
			h := sha256.New()
			var last int64
			src := &socketSource{c: server}
			n, err := Copy(context.Background(), sink, src, int64(tt.asked), h, func(done int64) { last = done })
			if src.splice == 0 {
				t.Error("the bytes were not spliced")
			}
			want := data[:min(tt.sent, tt.asked)]
			if n != int64(len(want)) || (tt.sent < tt.asked) != (err == io.EOF) || (err != nil && err != io.EOF) {
				t.Fatalf("Copy = %d, %v; want %d", n, err, len(want))
			}
			got, _ := os.ReadFile(f.Name())
			if !bytes.Equal(got, append([]byte("held:"), want...)) {
				t.Fatalf("file holds %d bytes, not held: and the %d sent", len(got), len(want))
			}
			if sum := sha256.Sum256(want); !bytes.Equal(h.Sum(nil), sum[:]) {
				t.Errorf("hash differs from the hash of what was copied")
			}
			if last != n {
				t.Errorf("last progress %d, want %d", last, n)
			}
		})
	}
}

// senderConn is a FileSender over a TCP connection.
// It counts its SendFile calls, to show the zero-copy path was taken.
type senderConn struct {
	c    *net.TCPConn
	sent int
}

func (s *senderConn) Write(p []byte) (int, error) { return s.c.Write(p) }

func (s *senderConn) SendFile(f *os.File, n int64) (int64, error) {
	s.sent++
	m, err := s.c.ReadFrom(&io.LimitedReader{R: f, N: n}) // sendfile(2)
	if err == nil && m < n {
		err = io.ErrUnexpectedEOF
	}
	return m, err
}

// TestSend: a section of a file sent with sendfile arrives whole, hashed
// from the file; a section past the file's end ends with io.EOF.
func TestSend(t *testing.T) {
	data := randomBytes(6<<20 + 11)
	path := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		off, len int64
	}{
		{"whole", 0, int64(len(data))},
		{"middle", 1<<20 + 3, 3 << 20},
		{"past the end", 5 << 20, 4 << 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			client, server := tcpPair(t)
			got := make(chan []byte, 1)
			go func() {
				b, _ := io.ReadAll(server)
				got <- b
			}()
			h := sha256.New()
			sr := io.NewSectionReader(f, tt.off, tt.len)
			dst := &senderConn{c: client}
			n, err := Copy(context.Background(), dst, sr, tt.len, h, nil)
			if dst.sent == 0 {
				t.Error("the file was not sent with SendFile")
			}
			client.CloseWrite()
			end := min(tt.off+tt.len, int64(len(data)))
			want := data[tt.off:end]
			short := tt.off+tt.len > int64(len(data))
			if n != int64(len(want)) || short != (err == io.EOF) || (err != nil && err != io.EOF) {
				t.Fatalf("Copy = %d, %v; want %d", n, err, len(want))
			}
			if b := <-got; !bytes.Equal(b, want) {
				t.Fatalf("received %d bytes, not the section's %d", len(b), len(want))
			}
			if sum := sha256.Sum256(want); !bytes.Equal(h.Sum(nil), sum[:]) {
				t.Errorf("hash differs")
			}
		})
	}
}
