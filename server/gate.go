package server

import (
	"context"
	"net/http"
	"sync"
)

// Gate stands in front of the API while a process starts and stops: until Open it answers 503
// (starting), after Close 503 (stopping), and Close waits for the requests it let through. So a
// caller never meets a 404 before the routes exist, nor a 500 from a client closed under it.
// The zero Gate is ready to use.
type Gate struct {
	mu       sync.Mutex
	h        http.Handler
	closed   bool
	inFlight sync.WaitGroup
}

// Open lets requests through to h.
func (g *Gate) Open(h http.Handler) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.h = h
}

// Close answers every new request 503 and waits, until ctx ends, for those in flight.
func (g *Gate) Close(ctx context.Context) error {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	drained := make(chan struct{})
	go func() { g.inFlight.Wait(); close(drained) }()
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ServeHTTP passes the request on while the gate is open.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, why := g.enter()
	if h == nil {
		writeError(w, &apiError{status: http.StatusServiceUnavailable, Code: "unavailable", Message: why})
		return
	}
	defer g.inFlight.Done()
	h.ServeHTTP(w, r)
}

// enter counts a request in, under the lock Close takes, so that Close never misses one.
func (g *Gate) enter() (http.Handler, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.closed:
		return nil, "cartback is stopping; retry later"
	case g.h == nil:
		return nil, "cartback is starting; retry later"
	}
	g.inFlight.Add(1)
	return g.h, ""
}
