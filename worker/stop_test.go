package worker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/cartback/cartback/whatsapp/fakegraph"
	"github.com/cartback/cartback/worker"
)

// TestStopLetsSendsInFlightFinish: templates at the Graph API when the worker is told to stop get
// their answers recorded, so that the next worker does not send them again. With the SDK's
// default stop timeout (0) the sends were cancelled mid-request and all sent twice.
func TestStopLetsSendsInFlightFinish(t *testing.T) {
	const carts = 5
	var (
		mu      sync.Mutex
		held    = make(chan struct{}) // closed to let the held sends answer
		arrived = make(chan struct{}, carts)
		holding = true
	)
	s := newStackWithoutWorker(t, stackOptions{onSend: func(fakegraph.Message) {
		mu.Lock()
		hold := holding
		mu.Unlock()
		if hold {
			arrived <- struct{}{}
			<-held
		}
	}})
	w := worker.New(s.client, s.acts, 100)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	runs := make([]client.WorkflowRun, carts)
	for i := range carts {
		runs[i] = s.start(t, fmt.Sprintf("cart-stop-%d", i), fmt.Sprintf("+52553301%04d", i), time.Second)
	}
	for range carts {
		<-arrived // every template is at the Graph API, its answer held
	}

	stopped := make(chan struct{})
	go func() { w.Stop(); close(stopped) }()
	time.Sleep(500 * time.Millisecond) // the stop has begun: pollers are shut
	mu.Lock()
	holding = false
	mu.Unlock()
	close(held)
	select {
	case <-stopped:
	case <-time.After(worker.StopTimeout + 10*time.Second):
		t.Fatal("the worker did not stop")
	}

	next := worker.New(s.client, s.acts, 100)
	if err := next.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(next.Stop)
	for i, run := range runs {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := run.Get(ctx, nil)
		cancel()
		if err != nil {
			t.Fatalf("cart %d: %v", i, err)
		}
		phone := fmt.Sprintf("+52553301%04d", i)
		if got := len(s.graph.MessagesTo(phone)); got != 1 {
			t.Errorf("%s received %d templates, want 1 (the send in flight was repeated)", phone, got)
		}
	}
}
