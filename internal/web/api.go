package web

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"netdisk/internal/service"
)

// entry is one file or folder as the page sees it.
type entry struct {
	Name  string    `json:"name"`
	Kind  string    `json:"kind"` // file, dir or other (a link or device made on the server)
	Size  int64     `json:"size"`
	MTime time.Time `json:"mtime"`
}

func entryOf(info service.Info) entry {
	kind := "other"
	switch {
	case info.IsDir:
		kind = "dir"
	case info.Regular:
		kind = "file"
	}
	return entry{Name: info.Name, Kind: kind, Size: info.Size, MTime: info.ModTime.UTC()}
}

// list streams a folder's listing as the service reads it, page by page,
// so the server's memory does not grow with the folder:
// {"path":P,"entries":[…]} and, if the folder could not be read to the
// end, an "error" member after the entries.
func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Query().Get("path")
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := json.NewEncoder(bw)
	started := false
	start := func() {
		started = true
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		bw.WriteString(`{"path":`)
		enc.Encode(path)
		bw.WriteString(`,"entries":[`)
	}
	n := 0
	err := h.svc.List(r.Context(), sessionOf(r.Context()), path, func(page []service.Info) error {
		if !started {
			start()
		}
		for _, info := range page {
			if n > 0 {
				bw.WriteByte(',')
			}
			enc.Encode(entryOf(info))
			n++
		}
		return nil
	})
	if err != nil && !started {
		h.fail(w, r, err)
		return
	}
	if !started {
		start()
	}
	bw.WriteString("]")
	if err != nil {
		bw.WriteString(`,"error":`)
		enc.Encode(h.toAPI(r, err))
	}
	bw.WriteString("}\n")
	bw.Flush()
}

func (h *Handler) stat(w http.ResponseWriter, r *http.Request) {
	ctx, sess := r.Context(), sessionOf(r.Context())
	path := r.URL.Query().Get("path")
	info, err := h.svc.Stat(ctx, sess, path)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	reply := struct {
		Entry  entry  `json:"entry"`
		Digest string `json:"digest,omitempty"`
	}{Entry: entryOf(info)}
	if info.Regular {
		if sum, err := h.svc.Digest(ctx, sess, path); err == nil && sum != nil {
			reply.Digest = hexOf(sum)
		}
	}
	writeJSON(w, http.StatusOK, reply)
}

func (h *Handler) mkdir(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Path string `json:"path"`
	}
	if err := readJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.Mkdir(r.Context(), sessionOf(r.Context()), req.Path, false); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// maxBatch bounds the items of one rm or mv request.
const maxBatch = 1000

// result is the outcome of one item of a batch: no code means done.
type result struct {
	Path    string `json:"path,omitempty"`
	From    string `json:"from,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

func (h *Handler) outcome(r *http.Request, res result, err error) result {
	if err != nil {
		e := h.toAPI(r, err)
		res.Code, res.Message = e.Code, e.Message
	}
	return res
}

// batch runs do for each of n items of a request (at most maxBatch) and
// writes their results in order.
func (h *Handler) batch(w http.ResponseWriter, r *http.Request, n int, do func(i int) result) {
	if n > maxBatch {
		h.fail(w, r, refusal(http.StatusBadRequest, "bad_request", "too many items in one request"))
		return
	}
	results := make([]result, n)
	for i := range n {
		results[i] = do(i)
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results})
}

func (h *Handler) remove(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Paths []string `json:"paths"`
	}
	if err := readJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	h.batch(w, r, len(req.Paths), func(i int) result {
		err := h.svc.Remove(r.Context(), sessionOf(r.Context()), req.Paths[i], true)
		return h.outcome(r, result{Path: req.Paths[i]}, err)
	})
}

func (h *Handler) move(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Moves []struct {
			From string `json:"from"`
			To   string `json:"to"`
		} `json:"moves"`
	}
	if err := readJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	h.batch(w, r, len(req.Moves), func(i int) result {
		m := req.Moves[i]
		err := h.svc.Rename(r.Context(), sessionOf(r.Context()), m.From, m.To)
		return h.outcome(r, result{From: m.From}, err)
	})
}

func (h *Handler) usage(w http.ResponseWriter, r *http.Request) {
	u, err := h.svc.Usage(r.Context(), sessionOf(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"used": u.Bytes, "quota": u.Quota, "entries": u.Entries, "max_entries": u.MaxEntries})
}

func (h *Handler) listUploads(w http.ResponseWriter, r *http.Request) {
	list, err := h.svc.Uploads(r.Context(), sessionOf(r.Context()))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	type upload struct {
		Path    string    `json:"path"`
		Size    int64     `json:"size"`
		Updated time.Time `json:"updated"`
	}
	out := make([]upload, len(list))
	for i, u := range list {
		out[i] = upload{Path: u.Target, Size: u.Size, Updated: u.Updated.UTC()}
	}
	writeJSON(w, http.StatusOK, map[string]any{"uploads": out})
}

func (h *Handler) discardUpload(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Path string `json:"path"`
	}
	if err := readJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	err := h.svc.DiscardUpload(r.Context(), sessionOf(r.Context()), req.Path)
	if err != nil && !errors.Is(err, service.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
