package client

import (
	"context"
	"fmt"
	"strconv"

	"netdisk/internal/proto"
)

// Register creates an account.
func (c *Client) Register(ctx context.Context, user, password string) error {
	return c.do(ctx, proto.Register{User: user, Password: password}, nil)
}

// Login checks the password and binds a new session to this connection.
func (c *Client) Login(ctx context.Context, user, password string) (proto.Session, error) {
	var s proto.Session
	if err := c.do(ctx, proto.Login{User: user, Password: password}, &s); err != nil {
		return s, err
	}
	return s, c.checkSession(s)
}

// AuthToken binds an existing session (from an earlier Login) to this
// connection.
func (c *Client) AuthToken(ctx context.Context, token string) (proto.Session, error) {
	var s proto.Session
	if err := c.do(ctx, proto.AuthToken{Token: token}, &s); err != nil {
		return s, err
	}
	return s, c.checkSession(s)
}

// Logout ends the session on the server.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, proto.Logout{}, nil)
}

// Passwd changes the password; the returned session replaces the old one,
// which (with every other session of the user) no longer works.
func (c *Client) Passwd(ctx context.Context, oldPassword, newPassword string) (proto.Session, error) {
	var s proto.Session
	if err := c.do(ctx, proto.Passwd{OldPassword: oldPassword, NewPassword: newPassword}, &s); err != nil {
		return s, err
	}
	return s, c.checkSession(s)
}

// maxToken bounds a session token from the server (it is kept in a file).
const maxToken = 1024

// checkSession refuses a session whose user name breaks the name rules
// (it is printed and kept) or whose token is not a short printable
// string: a server's text is not trusted.
func (c *Client) checkSession(s proto.Session) error {
	if !validUserName(s.User) {
		return fmt.Errorf("the server %s answered with an invalid user name %s; refusing the session", c.addr, strconv.QuoteToASCII(s.User))
	}
	if len(s.Token) == 0 || len(s.Token) > maxToken {
		return fmt.Errorf("the server %s answered with a session token of %d bytes; refusing the session", c.addr, len(s.Token))
	}
	for i := 0; i < len(s.Token); i++ {
		if s.Token[i] < 0x20 || s.Token[i] > 0x7e {
			return fmt.Errorf("the server %s answered with a session token that is not printable text; refusing the session", c.addr)
		}
	}
	return nil
}

// validUserName reports whether name follows the server's rules for a
// normalized user name: 3–32 of a-z 0-9 _ -, starting with a letter.
func validUserName(name string) bool {
	if len(name) < 3 || len(name) > 32 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '-') {
			return false
		}
	}
	return true
}
