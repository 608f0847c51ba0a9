package httpapi

import (
	"net/http"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/logging"
)

// statusOf is the one map from an error kind to an HTTP status.
func statusOf(k health.ErrorKind) int {
	switch k {
	case health.KindInvalid, health.KindBadProvider:
		return http.StatusBadRequest
	case health.KindUnauthorized:
		return http.StatusUnauthorized
	case health.KindForbidden:
		return http.StatusForbidden
	case health.KindNotFound:
		return http.StatusNotFound
	case health.KindConflict:
		return http.StatusConflict
	case health.KindRateLimited:
		return http.StatusTooManyRequests
	case health.KindTransient, health.KindUnavailable, health.KindAuthRevoked, health.KindRejected:
		return http.StatusBadGateway
	}
	return http.StatusInternalServerError
}

// writeError answers with the error's status and its caller-safe message;
// unclassified errors are logged and shown as "internal error".
func writeError(w http.ResponseWriter, r *http.Request, d Deps, err error) {
	kind := health.KindOf(err)
	code := statusOf(kind)
	if code >= 500 {
		d.Logger.ErrorContext(r.Context(), "request failed", "error_kind", string(kind), "error", err)
	}
	writeJSON(w, code, map[string]any{
		"error":      health.MessageOf(err),
		"code":       string(kind),
		"request_id": logging.RequestID(r.Context()),
	})
}
