package fitbittest

import (
	"encoding/json"
	"net/http"
)

// canonical maps HTTP statuses to google.rpc.Code names.
var canonical = map[int]string{
	400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
	409: "ABORTED", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
	501: "NOT_IMPLEMENTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}

// rpcStatus is a google.rpc.Status error to send (§7.1).
type rpcStatus struct {
	code     int
	status   string // default from canonical
	message  string
	reason   string // ErrorInfo.reason; none when empty
	domain   string // default health.googleapis.com
	detailed string // ErrorInfo.metadata.detailedReasons
	// violations are BadRequest.fieldViolations descriptions of "filter".
	violations []string
}

// writeStatus writes e as Google's JSON error body.
func writeStatus(w http.ResponseWriter, e rpcStatus) {
	if e.status == "" {
		e.status = canonical[e.code]
		if e.status == "" {
			e.status = "UNKNOWN"
		}
	}
	if e.reason == "ACCOUNT_NOT_LINKED" && e.code == http.StatusBadRequest {
		e.status = "FAILED_PRECONDITION"
	}
	body := map[string]any{"code": e.code, "message": e.message, "status": e.status}
	var details []any
	if e.reason != "" {
		domain := e.domain
		if domain == "" {
			domain = "health.googleapis.com"
		}
		info := map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": e.reason, "domain": domain}
		if e.detailed != "" {
			info["metadata"] = map[string]string{"detailedReasons": e.detailed}
		}
		details = append(details, info)
	}
	if len(e.violations) > 0 {
		var vs []any
		for _, v := range e.violations {
			vs = append(vs, map[string]string{"field": "filter", "description": v})
		}
		details = append(details, map[string]any{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": vs})
	}
	if len(details) > 0 {
		body["details"] = details
	}
	writeJSON(w, e.code, map[string]any{"error": body})
}

// writeJSON writes v with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		code, data = http.StatusInternalServerError, []byte(`{"error":{"code":500,"message":"emulator encoding failure","status":"INTERNAL"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_, _ = w.Write(data)
}

// writeOAuthError writes an RFC 6749 error as Google's token endpoint does.
func writeOAuthError(w http.ResponseWriter, code int, errCode, description string) {
	writeJSON(w, code, map[string]string{"error": errCode, "error_description": description})
}

// notFoundHTML is the Google front end's HTML 404 for unknown routes.
func notFoundHTML(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title><p><b>404.</b> " +
		"<ins>That’s an error.</ins><p>The requested URL was not found on this server. <ins>That’s all we know.</ins>"))
}

// unauthenticated answers 401 as Google does for a missing or bad token.
func unauthenticated(w http.ResponseWriter, missing bool) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	if missing {
		writeStatus(w, rpcStatus{code: http.StatusUnauthorized, reason: "CREDENTIALS_MISSING", domain: "googleapis.com",
			message: "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential."})
		return
	}
	writeStatus(w, rpcStatus{code: http.StatusUnauthorized,
		message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."})
}
