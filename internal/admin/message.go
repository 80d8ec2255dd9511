package admin

import (
	"encoding/json"
	"time"
)

// SocketName is the admin socket in the data folder.
const SocketName = "admin.sock"

// MaxRequest bounds a request line; a longer one is refused unread.
const MaxRequest = 64 << 10

// Operations, the Op of a Request.
const (
	OpUsers    = "users"    // → []User
	OpAdd      = "add"      // User, Password
	OpRemove   = "remove"   // User → Removed
	OpQuota    = "quota"    // User, Value (bytes; 0: none)
	OpLimit    = "limit"    // User, Limit ("entries"), Value (0: the server's)
	OpDisable  = "disable"  // User → Ended
	OpEnable   = "enable"   // User
	OpPasswd   = "passwd"   // User, Password → Ended
	OpSessions = "sessions" // User ("" for all) → []Session
	OpKick     = "kick"     // User → Ended
	OpUploads  = "uploads"  // → []Upload
	OpRecount  = "recount"  // → []Usage
)

// Request is one line sent to the admin socket.
type Request struct {
	Op       string `json:"op"`
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
	Limit    string `json:"limit,omitempty"`
	Value    int64  `json:"value,omitempty"`
}

// Response is the one line that answers a Request: Result on success (its
// form depends on the operation), or Code and Error.
type Response struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Code   string          `json:"code,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// Error codes of a Response.
const (
	CodeNoSuchUser  = "no_such_user"
	CodeUserExists  = "user_exists"
	CodeBadUsername = "bad_username"
	CodeBadPassword = "bad_password"
	CodeBadRequest  = "bad_request"
	CodeRefused     = "permission_denied" // the peer is not the server's user nor root
	CodeInternal    = "internal"
)

// User is one account in OpUsers' result.
type User struct {
	Name       string     `json:"name"`
	Registered time.Time  `json:"registered"`
	LastLogin  *time.Time `json:"last_login,omitempty"` // the newest live session's start
	Bytes      int64      `json:"used_bytes"`
	Entries    int64      `json:"entries"`
	Quota      int64      `json:"quota_bytes"` // 0: none
	MaxEntries int64      `json:"max_entries"` // the user's own limit; 0: the server's
	EntryLimit int64      `json:"entry_limit"` // the limit in force; 0: none
	Disabled   bool       `json:"disabled"`
	Sessions   int        `json:"sessions"`
}

// Session is one session in OpSessions' result.
type Session struct {
	User     string     `json:"user"`
	Created  time.Time  `json:"created"`
	Expires  time.Time  `json:"expires"`
	LastUsed *time.Time `json:"last_used,omitempty"`
	Door     string     `json:"door,omitempty"` // "netdisk" or "web"
	Addr     string     `json:"addr,omitempty"`
}

// Upload is one unfinished upload in OpUploads' result.
type Upload struct {
	User    string    `json:"user"`
	Path    string    `json:"path"`
	Held    int64     `json:"held_bytes"`
	Updated time.Time `json:"updated"`
	Holder  string    `json:"holder"` // the connection holding it, or "none"
}

// Usage is one user's figures in OpRecount's result.
type Usage struct {
	User    string `json:"user"`
	Bytes   int64  `json:"bytes"`
	Entries int64  `json:"entries"`
}

// Removed is OpRemove's result.
type Removed struct {
	MovedTo  string `json:"moved_to,omitempty"` // relative to the data folder
	Sessions int    `json:"sessions_ended"`
}

// Ended is the result of the operations that end sessions.
type Ended struct {
	Sessions int `json:"sessions_ended"`
}
