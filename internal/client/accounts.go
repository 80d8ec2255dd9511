package client

import (
	"context"

	"netdisk/internal/proto"
)

// Register creates an account.
func (c *Client) Register(ctx context.Context, user, password string) error {
	return c.do(ctx, proto.Register{User: user, Password: password}, nil)
}

// Login checks the password and binds a new session to this connection.
func (c *Client) Login(ctx context.Context, user, password string) (proto.Session, error) {
	var s proto.Session
	err := c.do(ctx, proto.Login{User: user, Password: password}, &s)
	return s, err
}

// AuthToken binds an existing session (from an earlier Login) to this
// connection.
func (c *Client) AuthToken(ctx context.Context, token string) (proto.Session, error) {
	var s proto.Session
	err := c.do(ctx, proto.AuthToken{Token: token}, &s)
	return s, err
}

// Logout ends the session on the server.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, proto.Logout{}, nil)
}

// Passwd changes the password; the returned session replaces the old one,
// which (with every other session of the user) no longer works.
func (c *Client) Passwd(ctx context.Context, oldPassword, newPassword string) (proto.Session, error) {
	var s proto.Session
	err := c.do(ctx, proto.Passwd{OldPassword: oldPassword, NewPassword: newPassword}, &s)
	return s, err
}
