package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"

	"netdisk/internal/reqlog"
	"netdisk/internal/service"
)

// A browser's session is the service's, the same as a command-line
// login's: revocable, ended by passwd or by disabling the user, listed and
// expired by the same rules. Its token travels in a cookie the page's
// scripts cannot read (HttpOnly), sent only to this site (SameSite=Strict),
// only over HTTPS when the page is (Secure, and the __Host- prefix, which
// pins it to this host and path /).
const (
	cookieName       = "netdisk_session"
	secureCookieName = "__Host-netdisk_session"
	csrfHeader       = "X-CSRF-Token"
	maxJSONBody      = 64 << 10
)

func (h *Handler) cookieName() string {
	if h.cfg.Secure {
		return secureCookieName
	}
	return cookieName
}

// csrfToken is the token the page must send with every state-changing
// request of a session: derived from the session's token, which the page
// cannot read, so another site cannot know it, and it lasts as long as the
// session, across restarts of the server.
func csrfToken(sessionToken string) string {
	sum := sha256.Sum256([]byte("netdisk csrf\x00" + sessionToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

type ctxKey struct{}

// sessionOf returns the session a loggedIn handler runs with.
func sessionOf(ctx context.Context) *service.Session {
	s, _ := ctx.Value(ctxKey{}).(*service.Session)
	return s
}

// loggedIn wraps a handler that needs a session: the cookie must name a
// live one, and a state-changing request must carry its CSRF token.
func (h *Handler) loggedIn(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := h.resume(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		infoOf(r.Context()).user = sess.User
		if !safeMethod(r.Method) && !validCSRF(r, sess) {
			h.fail(w, r, errCSRF)
			return
		}
		// The handler's lines name the user (the request's own line
		// takes it from the info).
		ctx := reqlog.With(r.Context(), slog.String("user", sess.User))
		next(w, r.WithContext(context.WithValue(ctx, ctxKey{}, sess)))
	}
}

// resume finds the request's session.
func (h *Handler) resume(r *http.Request) (*service.Session, error) {
	c, err := r.Cookie(h.cookieName())
	if err != nil || c.Value == "" {
		return nil, errNotLoggedIn
	}
	return h.svc.Resume(r.Context(), c.Value)
}

func validCSRF(r *http.Request, sess *service.Session) bool {
	got := r.Header.Get(csrfHeader)
	want := csrfToken(sess.Token)
	return len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// setSession gives the browser the session's cookie.
func (h *Handler) setSession(w http.ResponseWriter, sess *service.Session) {
	http.SetCookie(w, &http.Cookie{
		Name: h.cookieName(), Value: sess.Token, Path: "/",
		Expires: sess.Expires, HttpOnly: true, Secure: h.cfg.Secure, SameSite: http.SameSiteStrictMode,
	})
}

func (h *Handler) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: h.cookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.cfg.Secure, SameSite: http.SameSiteStrictMode,
	})
}

// readJSON decodes a request's JSON body (at most maxJSONBody bytes) into
// v. A body that is not JSON is refused: a form posted by another site
// cannot be one.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return refusal(http.StatusUnsupportedMediaType, "bad_request", "the request body must be JSON (Content-Type: application/json)")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxJSONBody)
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		if _, ok := err.(*http.MaxBytesError); ok {
			return errTooLarge
		}
		return refusal(http.StatusBadRequest, "bad_request", "malformed request: "+err.Error())
	}
	return nil
}

type sessionReply struct {
	User string `json:"user"`
	CSRF string `json:"csrf"`
}

func (h *Handler) hello(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"server": h.cfg.Name, "welcome": h.cfg.Welcome})
}

func (h *Handler) session(w http.ResponseWriter, r *http.Request) {
	sess, err := h.resume(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sessionReply{User: sess.User, CSRF: csrfToken(sess.Token)})
}

type credentials struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := readJSON(w, r, &c); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.svc.Register(r.Context(), c.User, c.Password, h.clientAddr(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := readJSON(w, r, &c); err != nil {
		h.fail(w, r, err)
		return
	}
	sess, err := h.svc.Login(r.Context(), c.User, c.Password, h.clientAddr(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	infoOf(r.Context()).user = sess.User
	h.setSession(w, sess)
	writeJSON(w, http.StatusOK, sessionReply{User: sess.User, CSRF: csrfToken(sess.Token)})
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.svc.Logout(r.Context(), sessionOf(r.Context())); err != nil {
		h.fail(w, r, err)
		return
	}
	h.clearSession(w)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) passwd(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Old string `json:"old_password"`
		New string `json:"new_password"`
	}
	if err := readJSON(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	sess, err := h.svc.ChangePassword(r.Context(), sessionOf(r.Context()), req.Old, req.New, h.clientAddr(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.setSession(w, sess)
	writeJSON(w, http.StatusOK, sessionReply{User: sess.User, CSRF: csrfToken(sess.Token)})
}
