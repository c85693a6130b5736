package server

import (
	"context"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/cartback/cartback/workflows"
)

// Meta redelivers what it did not see answered 200: the same signed webhook five times adds one
// signal event per item to the run, not five (the request id is Meta's message id, or the
// status's id and value, and Temporal drops a request id the run has seen).
func testRedeliveredSignalsOnce(t *testing.T, e *flowEnv) {
	const phone, waID = "+52 55 3000 0002", "5215530000002"
	started := e.start(t, "once", phone)
	template := e.sent(t, phone, 1)[0]

	body := payload(t, change(testPhoneNumberID, map[string]any{
		// Neither decides the flow: it keeps waiting, and takes every signal that comes.
		"messages": []any{textMessage(waID, "wamid.once.1", "which size?"), textMessage(waID, "wamid.once.2", "and colour?")},
		"statuses": []any{
			map[string]any{"id": template.ID, "status": "sent", "timestamp": "1749416305", "recipient_id": waID},
			map[string]any{"id": template.ID, "status": "delivered", "timestamp": "1749416306", "recipient_id": waID},
		},
	}))
	for range 5 {
		e.hook(t, body)
	}
	got := signalCounts(t, e, started.WorkflowID, started.RunID)
	if got[workflows.ReplySignal] != 2 || got[workflows.StatusSignal] != 2 {
		t.Errorf("signal events %v, want 2 replies and 2 statuses (one per item)", got)
	}
}

// signalCounts counts the run's signal events by signal name.
func signalCounts(t *testing.T, e *flowEnv, workflowID, runID string) map[string]int {
	t.Helper()
	it := e.client.GetWorkflowHistory(context.Background(), workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	counts := map[string]int{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
			counts[a.GetSignalName()]++
		}
	}
	return counts
}

// TestWebhookOnTemporal runs the webhook's tests that need a real Temporal server and worker on
// one of each (customers kept apart by number), to spare the shared machine a server per test.
func TestWebhookOnTemporal(t *testing.T) {
	e := startFlowEnv(t)
	for name, test := range map[string]func(*testing.T, *flowEnv){
		"a malformed item loses only itself": testBatchWithMalformedItems,
		"10,000 strangers are a summary":     testStrangersLogASummary,
		"at most 20 signals per flow":        testBoundsSignalsPerFlow,
		"a STOP past the bound still stops":  testStopPastTheBound,
		"a redelivered webhook signals once": testRedeliveredSignalsOnce,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, e)
		})
	}
}

// serverWithLog is another Server over the env's Temporal and store, logging to log, with a call
// timeout for big batches on a shared machine under -race (count, do not time).
func (e *flowEnv) serverWithLog(t *testing.T, log logrus.FieldLogger) *Server {
	t.Helper()
	s := newServer(t, e.client, e.ns, e.store, 5*time.Minute)
	s.log = log
	return s
}
