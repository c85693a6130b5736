package starter

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSerial: one holder per key at a time, other keys unaffected, a waiter gives up with its
// context, and a key's turn is forgotten once nobody holds or waits for it.
func TestSerial(t *testing.T) {
	s := newSerial()
	ctx := context.Background()
	doneA, err := s.wait(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	doneB, err := s.wait(ctx, "b")
	if err != nil {
		t.Fatalf("another key waited: %v", err)
	}
	doneB()
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := s.wait(short, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second holder of a: %v, want the context's deadline", err)
	}
	next := make(chan struct{})
	go func() {
		done, err := s.wait(ctx, "a")
		if err == nil {
			done()
		}
		close(next)
	}()
	doneA()
	<-next
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.turns) != 0 {
		t.Errorf("%d turns kept after everyone left", len(s.turns))
	}
}
