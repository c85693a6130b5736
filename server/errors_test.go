package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.temporal.io/api/serviceerror"

	"github.com/cartback/cartback/starter"
)

// timeoutError is how a slow client's body read fails once the server's read deadline passes.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var _ net.Error = timeoutError{}

func TestClientFaultsAreNotServerErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"the client went away", fmt.Errorf("reading the body: %w", context.Canceled), statusClientClosed},
		{"a body that arrives too slowly", &net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}, http.StatusRequestTimeout},
		{"Temporal's call ran out of time", fmt.Errorf("query: %w", context.DeadlineExceeded), http.StatusServiceUnavailable},
		{"no worker answers the query", fmt.Errorf("%w: %w", starter.ErrUnavailable, serviceerror.NewFailedPrecondition("no poller")), http.StatusServiceUnavailable},
		{"something of ours", errors.New("boom"), http.StatusInternalServerError},
	} {
		if got := statusOf(tc.err).status; got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestUnavailableAsksToRetryLater(t *testing.T) {
	w := httptest.NewRecorder()
	writeError(w, statusOf(starter.ErrUnavailable))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != retryAfter {
		t.Fatalf("%d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	w = httptest.NewRecorder()
	writeError(w, statusOf(errors.New("boom")))
	if w.Header().Get("Retry-After") != "" {
		t.Fatal("a 500 asks to retry")
	}
}
