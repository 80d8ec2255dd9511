package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"netdisk/internal/service"
)

// requestTimeout bounds the reading of a request and the writing of its
// reply; the operation itself runs under the server's context.
const requestTimeout = 10 * time.Second

// Server serves the admin socket of a running server.
type Server struct {
	svc    *service.Service
	logger *slog.Logger
	ln     *net.UnixListener
	path   string
	uid    int // the server's own uid: its peers may administer it, and root

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Listen creates the admin socket at path (mode 0600) for svc. Whoever
// holds the data folder's lock owns the socket's name, so a socket file
// already there is a leftover of a server that crashed, and is replaced.
func Listen(path string, svc *service.Service, logger *slog.Logger) (*Server, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("removing the old admin socket: %w", err)
	}
	// Made with the umask's mode, then 0600. (Changing the umask instead
	// would change it for every goroutine of the process; in the moment
	// between, the peer check below refuses strangers all the same.)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("creating the admin socket: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("creating the admin socket: %w", err)
	}
	s := &Server{svc: svc, logger: logger, ln: ln, path: path, uid: os.Getuid()}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Go(s.serve)
	return s, nil
}

// Path is where the socket is.
func (s *Server) Path() string { return s.path }

// Close stops accepting, ends the requests in progress, waits for them
// and removes the socket.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.cancel()
	s.wg.Wait()
	return err
}

func (s *Server) serve() {
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if s.ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				s.logger.Error("admin socket: accept", "err", err)
			}
			return
		}
		s.wg.Go(func() { s.handle(c) })
	}
}

// handle answers one request: the peer is checked first, then one line is
// read, carried out and answered.
func (s *Server) handle(c *net.UnixConn) {
	defer c.Close()
	stop := context.AfterFunc(s.ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	c.SetDeadline(time.Now().Add(requestTimeout))
	cred, err := peerCred(c)
	if err != nil {
		s.logger.Error("admin socket: cannot tell who connected; refused", "err", err)
		return
	}
	if int(cred.Uid) != s.uid && cred.Uid != 0 {
		s.logger.Warn("admin socket: refused a peer that is neither the server's user nor root",
			"peer_uid", cred.Uid, "peer_pid", cred.Pid, "server_uid", s.uid)
		s.reply(c, Response{Code: CodeRefused, Error: fmt.Sprintf(
			"refused: netdisk admin must run as the server's user (uid %d) or root; this is uid %d", s.uid, cred.Uid)})
		return
	}
	r := bufio.NewReaderSize(c, 4096)
	line, err := readLine(r)
	if err != nil {
		s.reply(c, Response{Code: CodeBadRequest, Error: err.Error()})
		return
	}
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		s.reply(c, Response{Code: CodeBadRequest, Error: "the request is not one JSON object: " + err.Error()})
		return
	}
	// The operation is the server's to finish, whatever the deadline of
	// the connection.
	c.SetDeadline(time.Time{})
	resp := Do(s.ctx, s.svc, req)
	s.logger.Info("admin request", "op", req.Op, "user", req.User, "peer_uid", cred.Uid, "ok", resp.OK, "code", resp.Code)
	c.SetDeadline(time.Now().Add(requestTimeout))
	s.reply(c, resp)
}

func (s *Server) reply(c net.Conn, resp Response) {
	data, _ := json.Marshal(resp)
	c.Write(append(data, '\n'))
}

// readLine reads one line of at most MaxRequest bytes.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxRequest {
			return nil, fmt.Errorf("the request is longer than %d bytes", MaxRequest)
		}
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return nil, fmt.Errorf("reading the request: %w", err)
		}
	}
}

// peerCred asks the kernel who is at the other end of c: the credentials
// of the process that connected, as they were when it connected.
func peerCred(c *net.UnixConn) (*unix.Ucred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	return cred, credErr
}
