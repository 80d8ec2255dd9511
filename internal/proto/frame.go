package proto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
)

// Limits every peer enforces before allocating.
const (
	// MaxHeaderLen bounds the JSON header of one frame.
	MaxHeaderLen = 64 << 10
	// MaxBodyLen bounds the raw body of one frame (1 PiB): far above any
	// real file, far below where int64 arithmetic could overflow.
	MaxBodyLen = 1 << 50
	// Preamble is what a client sends first, inside TLS when TLS is on:
	// "NETDISK" and the protocol version's digit.
	Preamble = "NETDISK2"
	// Version is the protocol version this package speaks. Version 2
	// replaced version 1's SHA-256 digests with BLAKE3-256; the two do not
	// interoperate.
	Version = 2
	// MaxRefusedBody is the largest body a server reads and drops to stay
	// at a frame boundary after refusing its request (a file sent whole
	// without put_open is at most 1 MiB); past it the connection closes.
	MaxRefusedBody = 1<<20 + DigestLen
)

// Frame decoding errors. A peer that sends one of these is not speaking the
// protocol; the connection cannot be trusted to be at a frame boundary any
// more and should be closed after a best-effort error reply.
var (
	ErrHeaderTooLarge = errors.New("frame header larger than the 64 KiB limit")
	ErrEmptyHeader    = errors.New("frame header is empty")
	ErrBadHeader      = errors.New("frame header is not a valid JSON object")
	ErrBadBodyLen     = errors.New("frame body_len is negative or over the limit")
	ErrNoType         = errors.New("frame header has no type")
	ErrBodyPending    = errors.New("the previous frame's body was not read")
)

// Header is a decoded frame header. Raw holds the whole JSON object so the
// message-specific fields can be decoded with Decode.
type Header struct {
	Type    string `json:"type"`
	ID      uint64 `json:"id,omitempty"`
	BodyLen int64  `json:"body_len,omitempty"`
	Raw     []byte `json:"-"`
}

// Decode unmarshals the message-specific fields of the header into msg.
func (h *Header) Decode(msg any) error {
	if err := json.Unmarshal(h.Raw, msg); err != nil {
		return fmt.Errorf("decoding %s message: %w", h.Type, err)
	}
	return nil
}

// Reader reads frames from a stream. Reads of a body larger than what is
// buffered go straight to the stream, into the caller's buffer.
//
// Its 64 KiB buffer is borrowed from a pool while a frame is being read
// and given back when the connection waits for the next one with nothing
// buffered (see Wait): an idle connection holds only the few bytes of
// pre, so a server can hold many idle connections cheaply.
type Reader struct {
	br      *bufio.Reader // nil while idle
	raw     io.Reader
	pre     prefixReader // bytes read while idle, then raw
	pending int64        // unread bytes of the current frame's body
	lenBuf  [4]byte
}

// readBufSize is the size of a Reader's buffer.
const readBufSize = 64 << 10

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufSize) }}

// prefixReader reads its buffered bytes first, then from src.
type prefixReader struct {
	buf        [32]byte
	start, end int
	src        io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if p.start < p.end {
		n := copy(b, p.buf[p.start:p.end])
		p.start += n
		return n, nil
	}
	return p.src.Read(b)
}

func (p *prefixReader) buffered() int { return p.end - p.start }

// NewReader returns a Reader on r. Its buffer only ever holds headers and
// the first bytes of a body.
func NewReader(r io.Reader) *Reader {
	rd := &Reader{raw: r}
	rd.pre.src = r
	return rd
}

// buffer makes sure the Reader has its buffer, borrowing one if not.
func (r *Reader) buffer() *bufio.Reader {
	if r.br == nil {
		r.br = readerPool.Get().(*bufio.Reader)
		r.br.Reset(&r.pre)
	}
	return r.br
}

// Release gives the buffer back to the pool when it holds nothing; the
// next read borrows one again.
func (r *Reader) Release() {
	if r.br != nil && r.br.Buffered() == 0 {
		r.br.Reset(nil)
		readerPool.Put(r.br)
		r.br = nil
	}
}

// Buffered is how many bytes have been read from the stream and not yet
// consumed.
func (r *Reader) Buffered() int {
	n := r.pre.buffered()
	if r.br != nil {
		n += r.br.Buffered()
	}
	return n
}

// ReadHeader reads the next frame's header; its body (h.BodyLen bytes) is
// then read through Read or Discard, and must be consumed before
// the next ReadHeader. Errors other than io.EOF (clean end
// between frames) mean the stream is unusable.
func (r *Reader) ReadHeader() (*Header, error) {
	if r.pending != 0 {
		return nil, ErrBodyPending
	}
	br := r.buffer()
	if _, err := io.ReadFull(br, r.lenBuf[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("reading frame length: %w", err)
		}
		return nil, err // io.EOF at a frame boundary is a clean close
	}
	n := binary.BigEndian.Uint32(r.lenBuf[:])
	if n > MaxHeaderLen {
		return nil, fmt.Errorf("%w (peer announced %d bytes)", ErrHeaderTooLarge, n)
	}
	if n == 0 {
		return nil, ErrEmptyHeader
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(br, raw); err != nil {
		return nil, fmt.Errorf("reading frame header: %w", noEOF(err))
	}
	h, err := ParseHeader(raw)
	if err != nil {
		return nil, err
	}
	r.pending = h.BodyLen
	return h, nil
}

// Wait blocks until the next frame has begun to arrive (or the stream
// ends), without consuming anything; servers use it to tell an idle
// connection from one in the middle of a request. With nothing buffered
// the Reader gives its buffer back first and waits with a few bytes of its
// own.
func (r *Reader) Wait() error {
	if r.pending != 0 || r.Buffered() > 0 {
		return nil
	}
	r.Release()
	n, err := r.raw.Read(r.pre.buf[:])
	r.pre.start, r.pre.end = 0, n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// HeaderBuffered reports whether the next frame's whole header has arrived
// already (without reading anything from the stream); a server uses it to
// see that more pipelined requests are waiting.
func (r *Reader) HeaderBuffered() bool {
	if r.pending != 0 || r.br == nil || r.br.Buffered() < 4 {
		return false // (Peek would wait for the network)
	}
	b, err := r.br.Peek(4)
	if err != nil {
		return false
	}
	n := int(binary.BigEndian.Uint32(b))
	return n <= MaxHeaderLen && r.br.Buffered() >= 4+n
}

// WaitHeader blocks until the next frame's whole header has arrived, or
// the stream fails (a read deadline passing, say); nothing is consumed.
// After a failure the Reader is still usable: a deadline that passes here
// does not poison the next ReadHeader.
func (r *Reader) WaitHeader() error {
	if r.pending != 0 {
		return ErrBodyPending
	}
	br := r.buffer()
	b, err := br.Peek(4)
	if err == nil {
		n := int(binary.BigEndian.Uint32(b))
		if n <= MaxHeaderLen && 4+n <= br.Size() {
			_, err = br.Peek(4 + n)
		}
	}
	return err // (Peek hands its error over; bufio keeps none for the next read)
}

// ParseHeader decodes and validates one JSON header. It is the part of the
// decoder that sees untrusted bytes, and the target of the fuzz test.
func ParseHeader(raw []byte) (*Header, error) {
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, ErrBadHeader
	}
	h := &Header{Raw: raw}
	if err := json.Unmarshal(raw, h); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHeader, err)
	}
	if h.Type == "" {
		return nil, ErrNoType
	}
	if h.BodyLen < 0 || h.BodyLen > MaxBodyLen {
		return nil, fmt.Errorf("%w (%d)", ErrBadBodyLen, h.BodyLen)
	}
	return h, nil
}

// Pending reports how many body bytes of the current frame are unread.
func (r *Reader) Pending() int64 { return r.pending }

// Read reads from the current frame's body, returning io.EOF at its end.
func (r *Reader) Read(p []byte) (int, error) {
	if r.pending <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.pending {
		p = p[:r.pending]
	}
	var n int
	var err error
	switch {
	case r.br != nil && r.br.Buffered() > 0:
		n, err = r.br.Read(p)
	case r.pre.buffered() > 0:
		n, err = r.pre.Read(p)
	default:
		n, err = r.raw.Read(p)
	}
	r.pending -= int64(n)
	if err == io.EOF && r.pending > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// BodyTo moves up to n bytes of the current body into w: those already
// buffered through w.Write, the rest straight from the stream through
// w's ReadFrom when w has one, so that a file (w) reads a socket (the
// stream) with splice(2), without copying the bytes through user space.
// It returns how many bytes it moved, and io.EOF at the body's end.
func (r *Reader) BodyTo(w io.Writer, n int64) (int64, error) {
	if r.pending <= 0 {
		return 0, io.EOF
	}
	n = min(n, r.pending)
	var done int64
	if r.br != nil {
		if k := min(int64(r.br.Buffered()), n); k > 0 {
			b, _ := r.br.Peek(int(k))
			m, err := w.Write(b)
			r.br.Discard(m)
			r.pending -= int64(m)
			done += int64(m)
			if err != nil {
				return done, err
			}
		}
	}
	if k := min(int64(r.pre.buffered()), n-done); k > 0 {
		m, err := w.Write(r.pre.buf[r.pre.start : r.pre.start+int(k)])
		r.pre.start += m
		r.pending -= int64(m)
		done += int64(m)
		if err != nil {
			return done, err
		}
	}
	if done == n {
		return done, nil
	}
	lr := &io.LimitedReader{R: r.raw, N: n - done}
	var m int64
	var err error
	if rf, ok := w.(io.ReaderFrom); ok {
		m, err = rf.ReadFrom(lr)
	} else {
		m, err = io.Copy(w, lr)
	}
	r.pending -= m
	done += m
	if err == nil && lr.N > 0 {
		err = io.ErrUnexpectedEOF // the stream ended inside the body
	}
	return done, err
}

// Discard skips the rest of the current body.
func (r *Reader) Discard() error {
	_, err := io.Copy(io.Discard, r)
	return err
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Message is implemented by every message type: MsgType is the value of the
// "type" member on the wire.
type Message interface {
	MsgType() string
}

// Writer writes frames. It is not safe for concurrent use; a connection that
// writes from several goroutines serialises them itself.
type Writer struct {
	bw  *bufio.Writer // nil while nothing is buffered
	raw io.Writer
	buf []byte
}

// writeBufSize is the size of a Writer's buffer; like a Reader's, it is
// borrowed from a pool while frames are being written and given back
// when a Flush leaves nothing buffered.
const writeBufSize = 64 << 10

var writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufSize) }}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{raw: w}
}

func (w *Writer) buffer() *bufio.Writer {
	if w.bw == nil {
		w.bw = writerPool.Get().(*bufio.Writer)
		w.bw.Reset(w.raw)
	}
	return w.bw
}

// AppendFrameHeader appends the length prefix and JSON header of msg to dst.
// The envelope members come first, in a fixed order, so frames are
// byte-for-byte reproducible.
func AppendFrameHeader(dst []byte, id uint64, msg Message, bodyLen int64) ([]byte, error) {
	fields, err := json.Marshal(msg)
	if err != nil {
		return dst, fmt.Errorf("encoding %s message: %w", msg.MsgType(), err)
	}
	if len(fields) < 2 || fields[0] != '{' {
		return dst, fmt.Errorf("encoding %s message: not a JSON object", msg.MsgType())
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = append(dst, `{"type":`...)
	dst = strconv.AppendQuote(dst, msg.MsgType())
	if id != 0 {
		dst = append(dst, `,"id":`...)
		dst = strconv.AppendUint(dst, id, 10)
	}
	if bodyLen != 0 {
		dst = append(dst, `,"body_len":`...)
		dst = strconv.AppendInt(dst, bodyLen, 10)
	}
	if len(fields) > 2 {
		dst = append(dst, ',')
		dst = append(dst, fields[1:]...)
	} else {
		dst = append(dst, '}')
	}
	n := len(dst) - start - 4
	if n > MaxHeaderLen {
		return dst[:start], fmt.Errorf("encoding %s message: %w", msg.MsgType(), ErrHeaderTooLarge)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	return dst, nil
}

// WriteMsg buffers one frame header; a body of bodyLen bytes must follow
// (Write or SendFile) before the next frame. Call Flush to send.
func (w *Writer) WriteMsg(id uint64, msg Message, bodyLen int64) error {
	var err error
	w.buf, err = AppendFrameHeader(w.buf[:0], id, msg, bodyLen)
	if err != nil {
		return err
	}
	_, err = w.buffer().Write(w.buf)
	if cap(w.buf) > 4<<10 {
		w.buf = nil // a large header's scratch space is not kept
	}
	return err
}

// Write writes body bytes (buffered).
func (w *Writer) Write(p []byte) (int, error) { return w.buffer().Write(p) }

// Flush sends everything buffered, then gives the buffer back.
func (w *Writer) Flush() error {
	if w.bw == nil {
		return nil
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	w.bw.Reset(nil)
	writerPool.Put(w.bw)
	w.bw = nil
	return nil
}

// SendFile sends n body bytes from f, starting at its current offset.
// Buffered frames are flushed first and the file goes straight to the
// underlying stream, so that a *net.TCPConn (or a stream that passes
// ReadFrom on to one) sends it with sendfile(2), without copying it
// through user space. Other streams (TLS) get it through a buffer.
func (w *Writer) SendFile(f *os.File, n int64) (int64, error) {
	if err := w.Flush(); err != nil {
		return 0, err
	}
	lr := &io.LimitedReader{R: f, N: n}
	var m int64
	var err error
	if rf, ok := w.raw.(io.ReaderFrom); ok {
		m, err = rf.ReadFrom(lr)
	} else {
		bp := copyBufs.Get().(*[]byte)
		m, err = io.CopyBuffer(w.raw, lr, *bp)
		copyBufs.Put(bp)
	}
	if err == nil && m < n {
		err = io.ErrUnexpectedEOF
	}
	return m, err
}

// copyBufs serve SendFile when the stream cannot take the file directly
// (TLS): larger than io.Copy's 32 KiB, so fewer reads and writes.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}
