package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/workflows"
)

// Ledger is what the activities write of cartback's ledger (store's "what was won back"): a
// *store.Store.
type Ledger interface {
	RecordTemplateSent(ctx context.Context, runID, workflowID, customerKey string, at time.Time) error
	RecordFlowEnd(ctx context.Context, e store.FlowEnd) error
}

// recordTemplateSent notes the template on the ledger's row of the flow this activity runs in.
// A store that is down fails the attempt, to be retried.
func (a *Activities) recordTemplateSent(ctx context.Context, rec workflows.TemplateRecord) error {
	run := activity.GetInfo(ctx).WorkflowExecution
	err := a.Consent.RecordTemplateSent(ctx, run.RunID, run.ID, workflows.CustomerKey(a.IDKey, rec.Phone), rec.At)
	return ledgerError(ctx, "recording the template on the ledger", err)
}

// recordFlowEnd notes the outcome on the ledger's row of the flow that reports it (its run id is
// the report's event id, whether the report runs in the flow or in its OutcomeReport workflow).
func (a *Activities) recordFlowEnd(ctx context.Context, r workflows.OutcomeReport) error {
	err := a.Consent.RecordFlowEnd(ctx, store.FlowEnd{RunID: r.EventID, CartID: r.CartID, Outcome: string(r.Outcome),
		Reason: r.Reason, CouponCode: r.CouponCode, At: r.At})
	return ledgerError(ctx, "recording the outcome on the ledger", err)
}

// ledgerError fails the attempt when the store could not be written (an outage: the retry
// writes it), and lets the activity go on when the store refused the values: no retry would
// change them, and what the activity does besides (the frequency cap, the storefront's report)
// must not wait for the ledger.
func ledgerError(ctx context.Context, what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrInvalid):
		activity.GetLogger(ctx).Warn(what+": the store refused it", "error", strings.TrimPrefix(err.Error(), "store: "))
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
