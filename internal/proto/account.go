package proto

import "time"

// Register creates an account and its folder.
// Layout: {"type":"register","id":N,"user":…,"password":…} → ok
type Register struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// Login checks a password and opens a session on this connection.
// Layout: {"type":"login","id":N,"user":…,"password":…} → session
type Login struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// AuthToken attaches an existing session (from an earlier login) to this
// connection. Layout: {"type":"auth_token","id":N,"token":…} → session
type AuthToken struct {
	Token string `json:"token"`
}

// Session is the reply to login, auth_token and passwd: the session now
// bound to this connection.
// Layout: {"type":"session","id":N,"user":…,"token":…,"expires":RFC3339}
type Session struct {
	User    string    `json:"user"`
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// Logout ends the connection's session everywhere (the token stops working).
// Layout: {"type":"logout","id":N} → ok
type Logout struct{}

// Passwd changes the logged-in user's password. Every other session of the
// user ends; the reply carries a fresh session for this connection.
// Layout: {"type":"passwd","id":N,"old_password":…,"new_password":…} → session
type Passwd struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

func (Register) MsgType() string  { return "register" }
func (Login) MsgType() string     { return "login" }
func (AuthToken) MsgType() string { return "auth_token" }
func (Session) MsgType() string   { return "session" }
func (Logout) MsgType() string    { return "logout" }
func (Passwd) MsgType() string    { return "passwd" }
