package server

import (
	"context"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/cartback/cartback/workflows"
)

// Meta redelivers what it did not see answered 200: the same signed webhook five times adds one
// signal event per item to the run, not five (the request id is Meta's message id, or the
// status's id and value, and Temporal drops a request id the run has seen).
func TestWebhookRedeliveredSignalsOnce(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	const phone, waID = "+52 55 1234 5678", "5215512345678"
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
