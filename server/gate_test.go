package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestGate: 503 with Retry-After before Open and after Close; Close waits for the requests in
// flight, and gives up when its context ends.
func TestGate(t *testing.T) {
	var g Gate
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	g.Open(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusAccepted)
	}))

	var closing Gate
	assertUnavailable(t, &closing, "cartback is starting; retry later")
	if got := serveGate(&g, "/fast"); got.Code != http.StatusAccepted {
		t.Fatalf("an open gate answered %d", got.Code)
	}

	slow := make(chan *httptest.ResponseRecorder)
	go func() { slow <- serveGate(&g, "/slow") }()
	<-entered
	closed := make(chan error)
	go func() { closed <- g.Close(context.Background()) }()
	time.Sleep(50 * time.Millisecond) // Close is waiting
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a request was in flight", err)
	default:
	}
	assertUnavailable(t, &g, "cartback is stopping; retry later")
	close(release)
	if got := <-slow; got.Code != http.StatusAccepted {
		t.Errorf("the request in flight was answered %d", got.Code)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}

	// A request that never ends: Close gives up with its context.
	var stuck Gate
	stuck.Open(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { entered <- struct{}{}; select {} }))
	go serveGate(&stuck, "/")
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := stuck.Close(ctx); err != context.DeadlineExceeded {
		t.Errorf("Close of a stuck gate: %v, want context.DeadlineExceeded", err)
	}
}

func serveGate(g *Gate, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, nil))
	return rec
}

func assertUnavailable(t *testing.T, g *Gate, message string) {
	t.Helper()
	rec := serveGate(g, "/v1/carts")
	var body struct {
		Error apiError `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" ||
		body.Error.Code != "unavailable" || body.Error.Message != message {
		t.Errorf("got %d Retry-After %q %+v, want 503 with Retry-After and %q", rec.Code, rec.Header().Get("Retry-After"), body.Error, message)
	}
}
