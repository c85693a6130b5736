package fakegraph

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
)

// graphError is a failure answered in Meta's {"error":{...}} shape.
type graphError struct {
	status  int    // HTTP status
	code    int    // error.code
	subcode int    // error.error_subcode, omitted when 0
	typ     string // error.type
	message string // error.message
	details string // error.error_data.details, omitted when empty
}

// Error lets validation code return a graphError as an error.
func (e *graphError) Error() string { return e.message }

// invalidParam is Meta's generic "(#100) Invalid parameter" with details
// saying which one, the answer to malformed or wrongly valued fields.
func invalidParam(details string) *graphError {
	return &graphError{
		status:  http.StatusBadRequest,
		code:    100,
		typ:     "OAuthException",
		message: "(#100) Invalid parameter",
		details: details,
	}
}

// missingParam is Meta's 131008 "Required parameter is missing".
func missingParam(details string) *graphError {
	return &graphError{
		status:  http.StatusBadRequest,
		code:    131008,
		typ:     "OAuthException",
		message: "(#131008) Required parameter is missing",
		details: details,
	}
}

// badToken is what Graph answers to a missing or wrong access token.
func badToken() *graphError {
	return &graphError{
		status:  http.StatusUnauthorized,
		code:    190,
		typ:     "OAuthException",
		message: "Invalid OAuth access token - Cannot parse access token",
	}
}

// unsupportedRequest is Graph's answer to a path naming an object it does
// not know (or a method the object does not support), e.g. a wrong
// phone-number-id.
func unsupportedRequest(method, object string) *graphError {
	verb := "post"
	if method == http.MethodGet {
		verb = "get"
	}
	return &graphError{
		status:  http.StatusBadRequest,
		code:    100,
		subcode: 33,
		typ:     "GraphMethodException",
		message: "Unsupported " + verb + " request. Object with ID '" + object +
			"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
	}
}

// write sends e as Meta would, with a fresh fbtrace_id.
func (e *graphError) write(w http.ResponseWriter) {
	body := map[string]any{
		"message":    e.message,
		"type":       e.typ,
		"code":       e.code,
		"fbtrace_id": traceID(),
	}
	if e.subcode != 0 {
		body["error_subcode"] = e.subcode
	}
	if e.details != "" {
		body["error_data"] = map[string]string{"messaging_product": "whatsapp", "details": e.details}
	}
	if e.status == http.StatusUnauthorized {
		// Graph names the failing scheme on 401s, as RFC 6750 asks.
		w.Header().Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+e.message+`"`)
	}
	writeJSON(w, e.status, map[string]any{"error": body})
}

// writeJSON writes v with status; encoding a map of plain values cannot fail.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// traceID imitates fbtrace_id: an opaque token that differs per answer.
func traceID() string {
	return rand.Text()[:17]
}
