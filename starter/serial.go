package starter

import (
	"context"
	"sync"
)

// serial runs this process's starts for one customer one at a time. Temporal keeps one run per
// customer whatever we do, but many concurrent starts of one workflow ID contend for its lock
// until their deadlines (100 concurrent posts of one cart answered mostly 503): in turn, each
// finds the run the first one started.
type serial struct {
	mu    sync.Mutex
	turns map[string]*turn
}

type turn struct {
	token   chan struct{} // holds one token: whoever takes it runs
	waiters int           // callers holding or waiting for the token; the turn is dropped at 0
}

func newSerial() *serial { return &serial{turns: map[string]*turn{}} }

// wait takes key's turn, or gives up when ctx ends (ctx's error). done gives the turn back.
func (s *serial) wait(ctx context.Context, key string) (done func(), err error) {
	s.mu.Lock()
	t, ok := s.turns[key]
	if !ok {
		t = &turn{token: make(chan struct{}, 1)}
		t.token <- struct{}{}
		s.turns[key] = t
	}
	t.waiters++
	s.mu.Unlock()

	leave := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if t.waiters--; t.waiters == 0 {
			delete(s.turns, key)
		}
	}
	select {
	case <-t.token:
		return func() { t.token <- struct{}{}; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}
