package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/whatsapp/webhook"
)

// apiError is the body of every error answer: {"error": {"code", "message", "fields", "cart_id"}}.
type apiError struct {
	status  int
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`   // 400, 422: the bad fields by JSON path
	CartID  string            `json:"cart_id,omitempty"`  // 409: the cart whose flow is running
	RetryAt *time.Time        `json:"retry_at,omitempty"` // 409 frequency_cap: when a template may go again
}

func (e *apiError) Error() string { return e.Message }

// Errors the handlers raise themselves.
var (
	errUnauthorized   = &apiError{status: http.StatusUnauthorized, Code: "unauthorized", Message: "a valid Authorization: Bearer <api key> header is required"}
	errBadWebhookBody = &apiError{status: http.StatusBadRequest, Code: "invalid_payload", Message: "not a WhatsApp webhook payload"}
)

// statusClientClosed answers a request whose client went away (nginx's 499): not a server error.
const statusClientClosed = 499

// retryAfter is what a 503 asks callers (Meta, the storefront) to wait before trying again.
const retryAfter = "5"

// statusOf is the one mapping from errors to answers.
func statusOf(err error) *apiError {
	var (
		api     *apiError
		decode  *starter.DecodeError
		invalid *starter.ValidationError
		busy    *starter.BusyError
		refused *starter.RefusedError
		tooBig  *http.MaxBytesError
		timeout net.Error
	)
	switch {
	case errors.As(err, &api):
		return api
	case errors.As(err, &tooBig):
		return &apiError{status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: fmt.Sprintf("the body is over %d bytes", tooBig.Limit)}
	case errors.As(err, &decode):
		e := &apiError{status: http.StatusBadRequest, Code: "invalid_json", Message: decode.Error()}
		if decode.Field != "" { // as a 422 lists its fields; a body broken as a whole has none
			e.Fields = map[string]string{decode.Field: decode.Message}
		}
		return e
	case errors.As(err, &invalid):
		return &apiError{status: http.StatusUnprocessableEntity, Code: "invalid_" + invalid.Subject(), Message: "some fields are invalid", Fields: invalid.Fields}
	case errors.As(err, &busy):
		return &apiError{status: http.StatusConflict, Code: "customer_busy", Message: busy.Error() + ": one conversation per customer at a time", CartID: busy.CartID}
	case errors.As(err, &refused):
		e := &apiError{status: http.StatusUnprocessableEntity, Code: refused.Code, Message: refused.Message}
		if refused.Code == starter.RefusedFrequency {
			e.status, e.RetryAt = http.StatusConflict, &refused.RetryAt
		}
		return e
	case errors.Is(err, store.ErrBadCursor):
		return &apiError{status: http.StatusBadRequest, Code: "invalid_query", Message: "cursor is not one a page of this list gave out"}
	case errors.Is(err, store.ErrInvalid):
		return &apiError{status: http.StatusBadRequest, Code: "invalid_customer_key", Message: "a customer key is 32 lower-case hex digits, as GET /v1/suppressions lists them"}
	case errors.Is(err, starter.ErrSignalLimit):
		return &apiError{status: http.StatusConflict, Code: "signal_limit", Message: "the flow takes no more signals: its run reached Temporal's signal limit"}
	case errors.Is(err, starter.ErrNotFound):
		return &apiError{status: http.StatusNotFound, Code: "not_found", Message: "no flow for this cart"}
	case errors.Is(err, webhook.ErrMissingSignature), errors.Is(err, webhook.ErrMalformedSignature), errors.Is(err, webhook.ErrBadSignature):
		return &apiError{status: http.StatusUnauthorized, Code: "bad_signature", Message: "X-Hub-Signature-256 is missing or does not match the body"}
	case errors.Is(err, webhook.ErrMalformedPayload):
		return errBadWebhookBody
	case errors.Is(err, starter.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return &apiError{status: http.StatusServiceUnavailable, Code: "unavailable", Message: "Temporal or cartback's store is unavailable; retry later"}
	case errors.Is(err, context.Canceled):
		// The client went away: nobody reads the answer, and it is not our fault.
		return &apiError{status: statusClientClosed, Code: "client_closed_request", Message: "the client closed the request"}
	case errors.As(err, &timeout) && timeout.Timeout():
		return &apiError{status: http.StatusRequestTimeout, Code: "request_timeout", Message: "the request's body did not arrive in time"}
	}
	return &apiError{status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
}

// fail answers err, logging it when it is ours (5xx): 4xx are the caller's and would only let
// callers fill our logs. Errors never hold a phone number or a name (the starter's errors do not).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	e := statusOf(err)
	if e.status >= 500 {
		s.log.WithFields(logrus.Fields{"method": r.Method, "route": routeOf(r), "status": e.status}).WithError(err).Error("request failed")
	}
	writeError(w, e)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfter)
	}
	writeJSON(w, e.status, struct {
		Error *apiError `json:"error"`
	}{e})
}

// writeJSON is every JSON answer of the server. HTML escaping is off: nothing we answer is
// embedded in a page, and "<api key>" must read as written, not as \u003capi key\u003e.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away: nothing to do
}
