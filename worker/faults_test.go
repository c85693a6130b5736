package worker_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

// TestGraphAPIFaults: what the Graph API answers decides what the flow does. Transient faults (5xx,
// throughput 130429, pair rate limit 131056, a refused connection) are retried with backoff until
// the template is out; refusals that no retry changes end the flow at the first attempt, with
// Meta's code as the reason.
func TestGraphAPIFaults(t *testing.T) {
	var dropConnections atomic.Int64 // the next n connections are closed unanswered
	var dropped atomic.Int64
	s := newStackWithoutWorker(t, stackOptions{wrapGraph: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if dropConnections.Add(-1) >= 0 {
				dropped.Add(1)
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			}
			dropConnections.Store(0)
			h.ServeHTTP(w, r)
		})
	}})
	w := worker.New(s.client, s.acts, 100)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	for i, tc := range []struct {
		name     string
		script   func()
		attempts int // requests that reached the fake, or were dropped on the way
		outcome  workflows.Outcome
		reason   string // Meta's code, in the outcome's reason
	}{
		{"server error", func() { s.failNext(2, http.StatusInternalServerError, 131000) }, 3, workflows.OutcomeNoReply, ""},
		{"throughput 130429", func() { s.failNext(2, http.StatusTooManyRequests, 130429) }, 3, workflows.OutcomeNoReply, ""},
		{"pair rate limit 131056", func() { s.failNext(2, http.StatusBadRequest, 131056) }, 3, workflows.OutcomeNoReply, ""},
		{"connection refused", func() { dropConnections.Store(2) }, 3, workflows.OutcomeNoReply, ""},
		{"undeliverable 131026", func() { s.failNext(1, http.StatusBadRequest, 131026) }, 1, workflows.OutcomeUndeliverable, "131026"},
		{"template missing 132001", func() { s.failNext(1, http.StatusNotFound, 132001) }, 1, workflows.OutcomeFailed, "132001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.graph.Requests() + int(dropped.Load())
			tc.script()
			run := s.start(t, "cart-fault-"+strconv.Itoa(i), fmt.Sprintf("+52553304%04d", i), time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var res workflows.Result
			if err := run.Get(ctx, &res); err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.outcome || !strings.Contains(res.Reason, tc.reason) {
				t.Errorf("outcome %+v, want %s %s", res, tc.outcome, tc.reason)
			}
			if got := s.graph.Requests() + int(dropped.Load()) - before; got != tc.attempts {
				t.Errorf("%d attempts at the Graph API, want %d", got, tc.attempts)
			}
		})
	}
}

// failNext scripts the fake's next n answers as Meta's error code, with HTTP status.
func (s *stack) failNext(n, status, code int) {
	body := fmt.Appendf(nil, `{"error":{"message":"(#%d) scripted by the test","type":"OAuthException","code":%d,"error_data":{"messaging_product":"whatsapp","details":"scripted"},"fbtrace_id":"AbCdEf"}}`, code, code)
	for range n {
		s.graph.FailNext(status, body)
	}
}
