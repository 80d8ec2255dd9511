package web

import (
	"io"
	"net/http"
	"time"
)

// The web port gives a request a fixed time to be read and its reply to
// be written (see the daemon's server limits): right for the API, not for
// a file of gigabytes. Transfers instead move their deadline on as bytes
// move, so a slow client is served as long as it keeps up at least
// minRate, and a stalled one is dropped after transferTimeout.
const (
	transferTimeout = 60 * time.Second
	minProgress     = 64 << 10 // bytes per transferTimeout
)

// progressWriter writes a reply body, giving each minProgress bytes a
// fresh write deadline.
type progressWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	since   int
	written int64 // body bytes written, for the metrics
}

func newProgressWriter(w http.ResponseWriter) *progressWriter {
	p := &progressWriter{w: w, rc: http.NewResponseController(w)}
	p.rc.SetWriteDeadline(time.Now().Add(transferTimeout))
	return p
}

func (p *progressWriter) Header() http.Header { return p.w.Header() }

func (p *progressWriter) WriteHeader(status int) { p.w.WriteHeader(status) }

func (p *progressWriter) Write(b []byte) (int, error) {
	// A large write gets a fresh deadline for each MiB.
	written := 0
	for written < len(b) {
		n, err := p.w.Write(b[written:min(len(b), written+1<<20)])
		written += n
		p.advance(n)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

func (p *progressWriter) advance(n int) {
	p.written += int64(n)
	p.since += n
	if p.since >= minProgress {
		p.since = 0
		p.rc.SetWriteDeadline(time.Now().Add(transferTimeout))
	}
}

// progressBody reads a request body, giving each minProgress bytes a fresh
// read deadline.
type progressBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	since int
}

func newProgressBody(w http.ResponseWriter, r *http.Request) *progressBody {
	p := &progressBody{ReadCloser: r.Body, rc: http.NewResponseController(w)}
	p.rc.SetReadDeadline(time.Now().Add(transferTimeout))
	return p
}

func (p *progressBody) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	p.since += n
	if p.since >= minProgress {
		p.since = 0
		p.rc.SetReadDeadline(time.Now().Add(transferTimeout))
	}
	return n, err
}
