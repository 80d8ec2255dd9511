package client_test

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"netdisk/internal/client"
	"netdisk/internal/digest"
	"netdisk/internal/proto"
)

// The timeout is for a silent server, not a slow one: a transfer that
// keeps moving is never cut, however long a chunk of it takes (plaintext
// transfers move 1 MiB per splice or sendfile call).
const slowTimeout = 200 * time.Millisecond

func slowData() ([]byte, [32]byte) {
	data := make([]byte, 4<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	return data, digest.Sum(data)
}

// TestSlowGetNotCut: a server sending a piece every 50 ms.
func TestSlowGetNotCut(t *testing.T) {
	data, sum := slowData()
	addr := fakeServer(t, func(c net.Conn) {
		r := greet(c)
		h, err := r.ReadHeader()
		if err != nil {
			return
		}
		w := proto.NewWriter(c)
		w.WriteMsg(h.ID, proto.GetData{Size: int64(len(data))}, int64(len(data))+proto.DigestLen)
		w.Flush()
		for off := 0; off < len(data); off += 64 << 10 {
			if _, err := c.Write(data[off : off+64<<10]); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		c.Write(sum[:])
		io.Copy(io.Discard, c)
	})
	c, err := client.Dial(context.Background(), addr, client.Options{Plaintext: true, DialTimeout: slowTimeout, Timeout: slowTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dst, err := os.Create(filepath.Join(t.TempDir(), "dst"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := c.Get(context.Background(), "f", dst, 0, client.GetOptions{}); err != nil {
		t.Fatalf("a download moving every 20 ms was cut by the %v timeout: %v", slowTimeout, err)
	}
}

// TestSlowPutNotCut: a server taking a piece every 20 ms, through a small
// receive window.
func TestSlowPutNotCut(t *testing.T) {
	data, sum := slowData()
	src := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fakeServer(t, func(c net.Conn) {
		c.(*net.TCPConn).SetReadBuffer(32 << 10)
		r := greet(c)
		w := proto.NewWriter(c)
		for {
			h, err := r.ReadHeader()
			if err != nil {
				return
			}
			switch h.Type {
			case "put_open":
				w.WriteMsg(h.ID, proto.PutReady{}, 0)
				w.Flush()
			case "put":
				buf := make([]byte, 32<<10)
				for {
					n, err := r.Read(buf)
					if err != nil || n == 0 {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
				w.WriteMsg(h.ID, proto.PutDone{Size: int64(len(data)), Digest: sum[:]}, 0)
				w.Flush()
			}
		}
	})
	c, err := client.Dial(context.Background(), addr, client.Options{Plaintext: true, DialTimeout: slowTimeout, Timeout: slowTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := c.Put(context.Background(), f, "f", client.PutOptions{}); err != nil {
		t.Fatalf("an upload moving every 10 ms was cut by the %v timeout: %v", slowTimeout, err)
	}
}
