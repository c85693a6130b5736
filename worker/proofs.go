package worker

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/cartback/cartback/workflows"
)

// HistoryProofs finds the statuses of a flow's sends in its history: the signals are there as soon
// as our webhook took them, whether or not the flow has run since. activities.Proofs.
type HistoryProofs struct {
	Client client.Client
	// DataConverter decodes the signals' payloads: the clients' (encryption included); nil for the
	// SDK's default.
	DataConverter converter.DataConverter
}

// SentProof returns the message id of the first status signalled to the run for step, or "".
func (p HistoryProofs) SentProof(ctx context.Context, workflowID, runID, step string) (string, error) {
	dc := p.DataConverter
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	it := p.Client.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return "", err
		}
		sig := ev.GetWorkflowExecutionSignaledEventAttributes()
		if sig == nil || sig.GetSignalName() != workflows.StatusSignal {
			continue
		}
		var s workflows.Status
		if err := dc.FromPayloads(sig.GetInput(), &s); err != nil {
			return "", err
		}
		if s.Step == step && s.MessageID != "" {
			return s.MessageID, nil
		}
	}
	return "", nil
}
