package proto

import "time"

// Transfers. Every file body on the wire is followed by a 32-byte trailer,
// the BLAKE3-256 of the whole file (not only of the bytes sent), so both
// sides can compare the end result without a second pass or a second
// round trip. Prefix digests (of a file's first bytes, to check a resume)
// are BLAKE3-256 too.

// DigestLen is the length of the digest trailer after every file body.
const DigestLen = 32

// PutOpen asks how much of an interrupted upload of Path the server holds.
// With Restart the server drops what it holds. The server keeps the partial
// reserved for this connection until the matching put.
// Layout: {"type":"put_open","id":N,"path":…,"size":…,"restart":bool} → put_ready
type PutOpen struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	Restart bool   `json:"restart,omitempty"`
}

// PutReady says the server holds Offset bytes of the upload, whose
// BLAKE3-256 is PrefixDigest (absent when Offset is 0). The client
// compares that with its own first Offset bytes and sends put from Offset,
// or from 0 if they differ.
// Layout: {"type":"put_ready","id":N,"offset":…,"prefix_digest":base64}
type PutReady struct {
	Offset       int64  `json:"offset"`
	PrefixDigest []byte `json:"prefix_digest,omitempty"`
}

// Put uploads bytes [Offset, Size) of a file to Path. Offset is 0, or the
// offset of the put_ready this connection received for Path. The body is
// those bytes followed by the file's BLAKE3-256: body_len = Size-Offset+32.
// The new version replaces the old only once it is complete and its digest
// matches. MTime, if set, becomes the file's modification time.
// Layout: {"type":"put","id":N,"body_len":…,"path":…,"size":…,"offset":…,"mtime":RFC3339} + body → put_done
type Put struct {
	Path   string    `json:"path"`
	Size   int64     `json:"size"`
	Offset int64     `json:"offset,omitempty"`
	MTime  time.Time `json:"mtime,omitzero"`
}

// PutDone confirms an upload is stored durably; Digest is its BLAKE3-256.
// Layout: {"type":"put_done","id":N,"size":…,"digest":base64}
type PutDone struct {
	Size   int64  `json:"size"`
	Digest []byte `json:"digest"`
}

// Get downloads Path from Offset. With Offset > 0 the client sends the
// BLAKE3-256 of the first Offset bytes it holds; if the server's bytes
// differ it sends the file from 0 and says why in Restarted.
// Layout: {"type":"get","id":N,"path":…,"offset":…,"prefix_digest":base64} → get_data
type Get struct {
	Path         string `json:"path"`
	Offset       int64  `json:"offset,omitempty"`
	PrefixDigest []byte `json:"prefix_digest,omitempty"`
}

// GetData carries bytes [Offset, Size) of the file then its BLAKE3-256:
// body_len = Size-Offset+32.
// Layout: {"type":"get_data","id":N,"body_len":…,"size":…,"offset":…,"mtime":RFC3339,"restarted":…} + body
type GetData struct {
	Size      int64     `json:"size"`
	Offset    int64     `json:"offset"`
	MTime     time.Time `json:"mtime"`
	Restarted string    `json:"restarted,omitempty"`
}

// UploadsRequest lists the user's unfinished uploads.
// Layout: {"type":"uploads","id":N} → upload_list
type UploadsRequest struct{}

// Upload is one unfinished upload held by the server.
type Upload struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	Updated time.Time `json:"updated"`
}

// UploadList is the reply to uploads; like list, it may span several
// frames, all but the last with More.
// Layout: {"type":"upload_list","id":N,"uploads":[Upload…],"more":bool}
type UploadList struct {
	Uploads []Upload `json:"uploads"`
	More    bool     `json:"more,omitempty"`
}

// DiscardUpload drops the unfinished upload of Path.
// Layout: {"type":"upload_discard","id":N,"path":…} → ok
type DiscardUpload struct {
	Path string `json:"path"`
}

func (PutOpen) MsgType() string        { return "put_open" }
func (PutReady) MsgType() string       { return "put_ready" }
func (Put) MsgType() string            { return "put" }
func (PutDone) MsgType() string        { return "put_done" }
func (Get) MsgType() string            { return "get" }
func (GetData) MsgType() string        { return "get_data" }
func (UploadsRequest) MsgType() string { return "uploads" }
func (UploadList) MsgType() string     { return "upload_list" }
func (DiscardUpload) MsgType() string  { return "upload_discard" }
