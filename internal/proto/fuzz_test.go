package proto

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzReadFrame feeds arbitrary bytes to the frame decoder. It must never
// panic, never accept a header over the limit, and never report a body
// length outside [0, MaxBodyLen]. Seeds: every file in testdata/frames and
// the frames of every message type.
func FuzzReadFrame(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "frames", "*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, m := range allMessages() {
		b, err := AppendFrameHeader(nil, 1, m, 3)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append(b, "abc"...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		for {
			h, err := r.ReadHeader()
			if err != nil {
				return
			}
			if len(h.Raw) > MaxHeaderLen || len(h.Raw) == 0 {
				t.Fatalf("accepted a header of %d bytes", len(h.Raw))
			}
			if h.BodyLen < 0 || h.BodyLen > MaxBodyLen {
				t.Fatalf("accepted body_len %d", h.BodyLen)
			}
			if h.Type == "" {
				t.Fatal("accepted a header without a type")
			}
			// Decoding into any message type must not panic either.
			for _, m := range allMessages() {
				v := reflect.New(reflect.TypeOf(m))
				_ = h.Decode(v.Interface())
			}
			if err := r.Discard(); err != nil {
				return
			}
		}
	})
}

// TestFrameSeeds checks that the seed corpus still means what its names
// say, so the fuzz seeds keep covering both accepted and refused frames.
func TestFrameSeeds(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "frames", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed frames in testdata/frames: %v", err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			b, _ := os.ReadFile(name)
			_, err := NewReader(bytes.NewReader(b)).ReadHeader()
			valid := filepath.Ext(name) == ".ok"
			if valid && err != nil {
				t.Fatalf("valid seed refused: %v", err)
			}
			if !valid && err == nil {
				t.Fatal("invalid seed accepted")
			}
		})
	}
}
