package client

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// DefaultTimeout is how long a request may wait on a silent server: no
// byte from it while the client waits for a reply, and no byte taken by
// it (acknowledged, where the OS tells) while the client sends or its
// request still sits in the socket's buffers. Past it the connection is
// given up, so a server that accepts and then hangs cannot hang a command
// forever. A slow transfer is not cut: the clock restarts as bytes move.
const DefaultTimeout = 60 * time.Second

// ErrTimeout wraps the error of a connection given up because the server
// stayed silent for the timeout (see DefaultTimeout).
var ErrTimeout = errors.New("the server stopped answering")

// watchedConn gives every read and write on the connection the client's
// timeout, but only while a request is waiting for its reply: an idle
// connection may stay quiet forever. The deadline is set at the start of
// each Read and Write, so it only passes when one call blocks for the
// whole timeout, not when the caller itself pauses between reads.
type watchedConn struct {
	net.Conn
	c       *Client
	timeout time.Duration
	// Guarded by c.mu:
	on       bool      // set once the handshake is done (Dial's deadline rules until then)
	sending  bool      // a request body is being written: see sendingBody
	acked    int64     // the server's acknowledged bytes when the read deadline was last set
	readSet  time.Time // when the read deadline was last pushed back; zero: none set
	writeSet time.Time
	cut      bool // the request being written was given up: see cutWrites
}

// Deadlines are pushed back at most every timeout/8 rather than on every
// call (a large download over TLS makes tens of thousands of small reads),
// so a silent server is given up on after between 7/8 of the timeout and
// the whole of it.

func (w *watchedConn) Read(p []byte) (int, error) {
	w.c.mu.Lock()
	if w.on && !w.sending {
		if len(w.c.pending) > 0 || w.c.bodyOpen {
			if now := time.Now(); now.Sub(w.readSet) > w.timeout/8 {
				w.pushRead(now)
			}
		} else if !w.readSet.IsZero() {
			w.Conn.SetReadDeadline(time.Time{})
			w.readSet = time.Time{}
		}
	}
	w.c.mu.Unlock()
	for {
		n, err := w.Conn.Read(p)
		if n == 0 && isTimeout(err) && w.stillTaking() {
			continue
		}
		return n, err
	}
}

// pushRead sets the read deadline a timeout from now; called with c.mu
// held.
func (w *watchedConn) pushRead(now time.Time) {
	w.Conn.SetReadDeadline(now.Add(w.timeout))
	w.readSet = now
	w.acked = ackedBytes(w.Conn)
}

// stillTaking reports, after a read timed out, whether the server has
// acknowledged more of what the client sent since the deadline was set:
// then it is not silent, only busy taking a request that sat in the
// socket's buffers (megabytes, on a fast link) after the client had
// written it, and the read goes on with a fresh deadline.
func (w *watchedConn) stillTaking() bool {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	before := w.acked
	if a := ackedBytes(w.Conn); before >= 0 && a > before {
		w.pushRead(time.Now())
		return true
	}
	return false
}

func (w *watchedConn) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	w.pushWrite()
	w.c.mu.Unlock()
	return w.Conn.Write(p)
}

// pushWrite pushes the write deadline back if it is getting stale; called
// with c.mu held.
func (w *watchedConn) pushWrite() {
	if now := time.Now(); w.on && !w.cut && now.Sub(w.writeSet) > w.timeout/8 {
		w.Conn.SetWriteDeadline(now.Add(w.timeout))
		w.writeSet = now
	}
}

// cutWrites makes the write in progress, and any before uncutWrites,
// fail at once: the caller gave up the request being written. Called with
// c.mu held.
func (w *watchedConn) cutWrites() {
	w.cut = true
	w.Conn.SetWriteDeadline(time.Now())
}

// uncutWrites lifts cutWrites once the given-up request's writing has
// stopped. If it had been written whole, the connection goes on, and the
// next write sets a fresh deadline. Called with c.mu held.
func (w *watchedConn) uncutWrites() {
	w.cut = false
	w.writeSet = time.Time{}
	w.Conn.SetWriteDeadline(time.Time{})
}

// start hands the deadlines over from Dial to the timeout.
func (w *watchedConn) start() {
	w.c.mu.Lock()
	w.on = true
	w.Conn.SetDeadline(time.Time{})
	w.c.mu.Unlock()
}

// armed makes a read already blocked on an idle connection honour the
// timeout now that a request waits; called with c.mu held, after the
// request was registered.
func (w *watchedConn) armed() {
	if w.on {
		w.pushRead(time.Now())
	}
}

// sendingBody marks the writing of a request body, which may take far
// longer than the timeout: the server says nothing meanwhile, and that is
// no sign of trouble. So reads wait without a deadline while it lasts (the
// write deadline gives up on a server that stops taking bytes), and the
// timeout applies to reads again once the body is sent. Called with c.mu
// held.
func (w *watchedConn) sendingBody(on bool) {
	if !w.on {
		return
	}
	w.sending = on
	if on {
		w.Conn.SetReadDeadline(time.Time{})
		w.readSet = time.Time{}
	} else {
		w.armed()
	}
}

// timeoutError says a silent server was given up on.
func timeoutError(addr string, timeout time.Duration, err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: %w: %s sent nothing for %v (is it overloaded? --timeout sets how long to wait)", ErrConnLost, ErrTimeout, addr, timeout)
	}
	return nil
}

// ReadFrom passes a file on to the TCP connection, which sends it with
// sendfile(2) (see proto.Writer.SendFile), under the timeout: the
// transfer is given up only when a whole timeout passes without the
// server taking a byte.
func (w *watchedConn) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := w.Conn.(io.ReaderFrom)
	if !ok {
		return io.Copy(writerOnly{w}, r)
	}
	// Going on after a timeout is safe only when no byte can be read from
	// r and then not sent: sendfile(2) from a file, which r's place tracks.
	lr, ok := r.(*io.LimitedReader)
	if ok {
		_, ok = lr.R.(*os.File)
	}
	var done int64
	for {
		w.c.mu.Lock()
		w.pushWrite()
		w.c.mu.Unlock()
		m, err := rf.ReadFrom(r)
		done += m
		if ok && m > 0 && isTimeout(err) {
			continue // slow, not silent
		}
		return done, err
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// SyscallConn exposes the TCP connection, so that a file can read it
// with splice(2) (see body.SpliceTo, which sets the deadline itself).
func (w *watchedConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := w.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.New("not a system connection")
}
