package proto

import "time"

// Paths on the wire are relative to the user's top folder, '/'-separated,
// UTF-8: "notes.txt", "photos/2024/a.jpg". "" and "." name the top folder.

// Entry describes one file or folder.
type Entry struct {
	Name  string    `json:"name"`
	Kind  string    `json:"kind"` // "file", "dir" or "other"
	Size  int64     `json:"size"`
	MTime time.Time `json:"mtime"`
}

// Entry kinds.
const (
	KindFile  = "file"
	KindDir   = "dir"
	KindOther = "other"
)

// ListRequest lists one folder (one level).
// Layout: {"type":"ls","id":N,"path":…} → list (one or more frames)
type ListRequest struct {
	Path string `json:"path"`
}

// List carries up to MaxListBatch entries of a listing; More says another
// list frame with the same id follows.
// Layout: {"type":"list","id":N,"entries":[Entry…],"more":bool}
type List struct {
	Entries []Entry `json:"entries"`
	More    bool    `json:"more,omitempty"`
}

// MaxListBatch is the most entries one list frame carries, which keeps every
// frame far below MaxHeaderLen (names are at most 255 bytes).
const MaxListBatch = 128

// StatRequest asks about one path.
// Layout: {"type":"stat","id":N,"path":…} → entry
type StatRequest struct {
	Path string `json:"path"`
}

// EntryReply is the reply to stat. Entry.Name is the full path asked for.
// Layout: {"type":"entry","id":N,"entry":Entry}
type EntryReply struct {
	Entry Entry `json:"entry"`
}

// Mkdir creates a folder; with Parents, missing parents too and no error if
// it exists. Layout: {"type":"mkdir","id":N,"path":…,"parents":bool} → ok
type Mkdir struct {
	Path    string `json:"path"`
	Parents bool   `json:"parents,omitempty"`
}

// Remove deletes a file, or a folder (an empty one, or any with Recursive).
// Layout: {"type":"rm","id":N,"path":…,"recursive":bool} → ok
type Remove struct {
	Path      string `json:"path"`
	Recursive bool   `json:"recursive,omitempty"`
}

// Move renames a file or folder; the destination must not exist.
// Layout: {"type":"mv","id":N,"from":…,"to":…} → ok
type Move struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// UsageRequest asks for the user's space used and quota.
// Layout: {"type":"df","id":N} → usage
type UsageRequest struct{}

// Usage: bytes used (partial uploads included) and the quota (0: none),
// which every file and folder is charged 4 KiB against; the files and
// folders held and how many are allowed.
// Layout: {"type":"usage","id":N,"used":…,"quota":…,"entries":…,"max_entries":…}
type Usage struct {
	Used       int64 `json:"used"`
	Quota      int64 `json:"quota"`
	Entries    int64 `json:"entries"`
	MaxEntries int64 `json:"max_entries"`
}

func (ListRequest) MsgType() string  { return "ls" }
func (List) MsgType() string         { return "list" }
func (StatRequest) MsgType() string  { return "stat" }
func (HashRequest) MsgType() string  { return "hash" }
func (DigestReply) MsgType() string  { return "digest" }
func (EntryReply) MsgType() string   { return "entry" }
func (Mkdir) MsgType() string        { return "mkdir" }
func (Remove) MsgType() string       { return "rm" }
func (Move) MsgType() string         { return "mv" }
func (Copy) MsgType() string         { return "cp" }
func (UsageRequest) MsgType() string { return "df" }
func (Usage) MsgType() string        { return "usage" }

// HashRequest asks for the BLAKE3-256 the server recorded for a stored
// file (when it was uploaded): nothing is read or hashed for it.
// Layout: {"type":"hash","id":N,"path":…} → digest
type HashRequest struct {
	Path string `json:"path"`
}

// DigestReply is a file's recorded digest: 64 hexadecimal digits, or ""
// when the server has none (a file not uploaded through netdisk).
// Layout: {"type":"digest","id":N,"digest":"…","size":N}
type DigestReply struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// Copy asks the server to copy a stored file: the copy counts in the
// quota like an upload and replaces a file at to whole; a folder at to is
// refused (is_dir).
// Layout: {"type":"cp","id":N,"from":…,"to":…} → ok
type Copy struct {
	From string `json:"from"`
	To   string `json:"to"`
}
