package activities

import (
	"context"

	"go.temporal.io/sdk/activity"

	"github.com/cartback/cartback/workflows"
)

// Proofs finds a status Meta sent for a flow's send step, which proves that an earlier attempt's
// message was accepted: a *worker.HistoryProofs.
type Proofs interface {
	SentProof(ctx context.Context, workflowID, runID, step string) (messageID string, err error)
}

// beforeSend returns the message id of an earlier attempt that Meta accepted (nothing is to be
// sent), or why phone may not be messaged.
func (a *Activities) beforeSend(ctx context.Context, callbackData, phone string) (string, error) {
	if id, err := a.proven(ctx, callbackData); id != "" || err != nil {
		return id, err
	}
	return "", a.mayMessage(ctx, phone)
}

// proven returns the message id of an earlier attempt of this send that Meta accepted, or "" when
// the send should go out. Only a retried send looks: after a crash the server retries the send
// once its attempt times out, while the flow may not yet have taken the status that proves the
// message is out (its workflow tasks wait behind every other flow's), so the flow alone cannot
// always cancel the retry in time.
func (a *Activities) proven(ctx context.Context, callbackData string) (string, error) {
	info := activity.GetInfo(ctx)
	if a.Proofs == nil || info.Attempt < 2 {
		return "", nil
	}
	_, step, ok := workflows.ParseCallbackData(callbackData)
	if !ok || step == "" { // a flow from before steps were named: no status names its step
		return "", nil
	}
	id, err := a.Proofs.SentProof(ctx, info.WorkflowExecution.ID, info.WorkflowExecution.RunID, step)
	if err != nil {
		return "", err // retried: better late than twice
	}
	if id != "" {
		activity.GetLogger(ctx).Info("an earlier attempt's message was accepted, as Meta's status says: not sending it again",
			"step", step, "attempt", info.Attempt)
	}
	return id, nil
}
