package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"time"

	"netdisk/internal/proto"
	"netdisk/internal/service"
)

// handleClientKey checks the proof of the shared client key: HMAC-SHA256
// over this connection's challenge. A wrong proof ends the connection
// before any login can be tried.
func (c *conn) handleClientKey(h *proto.Header) (proto.Message, error) {
	var req proto.ClientKey
	if err := decode(h, &req); err != nil {
		return nil, fatal{err}
	}
	key := c.srv.cfg.ClientKey
	if key == nil {
		return proto.OK{}, nil // nothing to prove; harmless
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(c.challenge)
	if !hmac.Equal(mac.Sum(nil), req.Proof) {
		c.logger.WarnContext(c.req, "client key rejected")
		return nil, fatal{proto.Errorf(proto.CodeClientKeyRejected,
			"the client key is wrong; get the server's key file from its administrator")}
	}
	c.keyOK = true
	return proto.OK{}, nil
}

func (c *conn) handleRegister(h *proto.Header) (proto.Message, error) {
	var req proto.Register
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	err := c.whileWatching(func(ctx context.Context) error {
		return c.srv.svc.Register(ctx, req.User, req.Password, c.remote)
	})
	if err != nil {
		return nil, err
	}
	return proto.OK{}, nil
}

func (c *conn) handleLogin(h *proto.Header) (proto.Message, error) {
	if c.sess != nil {
		return nil, proto.Errorf(proto.CodeAlreadyLoggedIn, "already logged in as %s; log out first", c.sess.User)
	}
	var req proto.Login
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	var sess *service.Session
	err := c.whileWatching(func(ctx context.Context) error {
		var err error
		sess, err = c.srv.svc.Login(ctx, req.User, req.Password, c.remote)
		return err
	})
	if err != nil {
		return nil, err
	}
	reply, err := c.bind(sess)
	if err != nil {
		c.srv.svc.Logout(c.req, sess) // nobody will ever have its token
	}
	return reply, err
}

func (c *conn) handleAuthToken(h *proto.Header) (proto.Message, error) {
	if c.sess != nil {
		return nil, proto.Errorf(proto.CodeAlreadyLoggedIn, "already logged in as %s; log out first", c.sess.User)
	}
	var req proto.AuthToken
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	sess, err := c.srv.svc.Resume(c.req, req.Token)
	if err != nil {
		return nil, err
	}
	return c.bind(sess)
}

// bind makes sess the connection's session, unless its user holds too many
// connections already.
func (c *conn) bind(sess *service.Session) (proto.Message, error) {
	if !c.enterUser(sess.User) {
		c.srv.metrics.RateLimited("connections")
		c.logger.WarnContext(c.req, "login refused: too many connections for the user", "user", sess.User, "max", c.srv.cfg.MaxConnsPerUser)
		return nil, proto.Errorf(proto.CodeBusy, "%s has %d connections to this server already; close some and try again", sess.User, c.srv.cfg.MaxConnsPerUser)
	}
	c.leavePreLogin()
	c.sess = sess
	c.logger = c.logger.With("user", sess.User)
	return proto.Session{User: sess.User, Token: sess.Token, Expires: sess.Expires}, nil
}

func (c *conn) handleLogout(h *proto.Header) (proto.Message, error) {
	if err := c.srv.svc.Logout(c.req, c.sess); err != nil {
		return nil, err
	}
	c.reserved.closeAll()
	c.sess = nil
	c.leaveUser()
	c.loginBy = time.Now().Add(c.srv.cfg.LoginTimeout)
	return proto.OK{}, nil
}

func (c *conn) handlePasswd(h *proto.Header) (proto.Message, error) {
	var req proto.Passwd
	if err := decode(h, &req); err != nil {
		return nil, err
	}
	var sess *service.Session
	err := c.whileWatching(func(ctx context.Context) error {
		var err error
		sess, err = c.srv.svc.ChangePassword(ctx, c.sess, req.OldPassword, req.NewPassword, c.remote)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.sess = sess
	return proto.Session{User: sess.User, Token: sess.Token, Expires: sess.Expires}, nil
}
