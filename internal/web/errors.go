package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"netdisk/internal/service"
)

// apiError is the body of every refusal: a stable code (the same names as
// the TCP protocol's), a message for people, and for rate limits how long
// to wait. The page shows its own words for the code, never a status.
type apiError struct {
	Code         string `json:"code"`
	Message      string `json:"message"`
	RetryAfterMS int64  `json:"retry_after_ms,omitempty"`
	status       int
}

func (e *apiError) Error() string { return e.Message }

// refusal makes an apiError of the web door's own.
func refusal(status int, code, msg string) *apiError {
	return &apiError{Code: code, Message: msg, status: status}
}

var (
	errNotLoggedIn = refusal(http.StatusUnauthorized, "not_logged_in", "log in first")
	errCSRF        = refusal(http.StatusForbidden, "csrf", "the request did not come from this server's page (missing or wrong CSRF token); reload the page")
	errTooLarge    = refusal(http.StatusRequestEntityTooLarge, "too_large", "the request is too large")
)

// statuses gives each kind of the service's errors its HTTP status.
var statuses = map[string]int{
	"auth_failed":       http.StatusUnauthorized,
	"session_expired":   http.StatusUnauthorized,
	"account_disabled":  http.StatusForbidden,
	"user_exists":       http.StatusConflict,
	"bad_username":      http.StatusBadRequest,
	"bad_password":      http.StatusBadRequest,
	"bad_path":          http.StatusBadRequest,
	"not_found":         http.StatusNotFound,
	"exists":            http.StatusConflict,
	"not_dir":           http.StatusConflict,
	"is_dir":            http.StatusConflict,
	"not_empty":         http.StatusConflict,
	"name_collision":    http.StatusConflict,
	"quota_exceeded":    http.StatusInsufficientStorage,
	"no_space":          http.StatusInsufficientStorage,
	"busy":              http.StatusLocked,
	"rate_limited":      http.StatusTooManyRequests,
	"checksum_mismatch": http.StatusUnprocessableEntity,
	"bad_request":       http.StatusBadRequest,
	"shutting_down":     http.StatusServiceUnavailable,
}

// toAPI is the one place where an error becomes a reply: the service's
// errors keep their kind and message; anything else is logged and told as
// an internal error, so no server detail reaches the page.
func (h *Handler) toAPI(r *http.Request, err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	if kind := service.Kind(err); kind != "" {
		e := &apiError{Code: kind, Message: err.Error(), status: statuses[kind]}
		var rl *service.RateLimitError
		if errors.As(err, &rl) {
			e.RetryAfterMS = rl.RetryAfter.Milliseconds()
		}
		return e
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return refusal(http.StatusServiceUnavailable, "shutting_down", "the request was cancelled")
	}
	h.logger.ErrorContext(r.Context(), "internal error", "err", err)
	return refusal(http.StatusInternalServerError, "internal", "internal server error (logged on the server)")
}

// fail writes err as a refusal.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := h.toAPI(r, err)
	infoOf(r.Context()).code = e.Code
	if e.status == 0 {
		e.status = http.StatusBadRequest
	}
	if e.status == http.StatusTooManyRequests && e.RetryAfterMS > 0 {
		w.Header().Set("Retry-After", itoa((e.RetryAfterMS+999)/1000))
	}
	writeJSON(w, e.status, e)
}

// writeJSON writes v as the reply.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
