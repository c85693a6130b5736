package worker_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/cartback/cartback/whatsapp/fakegraph"
	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

// TestRetriedSendAdoptsTheStatusProof: the race behind the kill test's last duplicates. The Graph
// API accepted a template but its answer never reached the worker, which then stopped; Meta's
// status for the template reached the flow's history, but no worker ran the flow before the
// server retried the send (after a crash, every flow's workflow task waits behind the others').
// The retried send finds the status in the history and adopts its message id: the shopper gets
// the template once. Without HistoryProofs it went out twice.
func TestRetriedSendAdoptsTheStatusProof(t *testing.T) {
	var (
		sent    atomic.Int64
		arrived = make(chan fakegraph.Message, 1)
		release = make(chan struct{})
	)
	s := newStackWithoutWorker(t, stackOptions{onSend: func(m fakegraph.Message) {
		if sent.Add(1) == 1 {
			arrived <- m
			<-release // the first send's answer never comes: the client gives up (25 s)
		}
	}})
	t.Cleanup(func() { close(release) }) // before the fake closes, which waits for its handlers
	first := worker.New(s.client, s.acts, 100)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	const phone = "+525533040001"
	run := s.start(t, "cart-proof-retry", phone, time.Hour)
	accepted := <-arrived
	first.Stop() // returns once the first attempt has failed on the client's timeout

	// Meta's status for the template reaches the flow's history, but no worker runs the flow yet.
	s.signal(t, run, workflows.StatusSignal, workflows.Status{MessageID: accepted.ID, Status: "sent", Step: workflows.StepTemplate})
	// The retried send, on a worker that runs only sends.
	sends := sdkworker.New(s.client, workflows.SendsTaskQueue, sdkworker.Options{})
	sends.RegisterActivityWithOptions(s.acts.SendTemplate, activity.RegisterOptions{Name: workflows.SendTemplateActivity})
	if err := sends.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := s.client.DescribeWorkflowExecution(context.Background(), run.GetID(), run.GetRunID())
		if err != nil {
			t.Fatal(err)
		}
		if len(d.GetPendingActivities()) == 0 {
			break // the retry has ended
		}
		if time.Now().After(deadline) {
			t.Fatalf("the send is still pending: %v", d.GetPendingActivities())
		}
		time.Sleep(100 * time.Millisecond)
	}
	sends.Stop()

	next := worker.New(s.client, s.acts, 100)
	if err := next.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(next.Stop)
	s.awaitTemplateRecorded(t, run)
	if got := s.state(t, run).TemplateMessageID; got != accepted.ID {
		t.Errorf("the flow's template message id is %q, want the accepted send's %q", got, accepted.ID)
	}
	if got := len(s.graph.MessagesTo(phone)); got != 1 {
		t.Errorf("%s received %d templates, want 1", phone, got)
	}
}
