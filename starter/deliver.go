package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/api/serviceerror"

	"github.com/cartback/cartback/workflows"
)

// CartState is a cart's flow as GET /v1/carts/{cart_id} shows it.
type CartState struct {
	Run
	// Status is Temporal's status of the run: "running", "completed", "canceled", ...
	Status string          `json:"status"`
	State  workflows.State `json:"state"`
}

// State reads a cart's flow: where it is, the reply, the outcome. It works after the flow ended too
// (a worker answers the query by replaying the history). Errors: ErrNotFound, ErrUnavailable.
func (s *Starter) State(ctx context.Context, cartID string) (CartState, error) {
	f, err := s.find(ctx, cartID)
	if err != nil {
		return CartState{}, err
	}
	v, err := s.c.QueryWorkflow(ctx, f.WorkflowID, f.RunID, workflows.StateQuery)
	if err != nil {
		return CartState{}, temporalError(err)
	}
	out := CartState{Run: f.Run, Status: statusName(f)}
	if err := v.Get(&out.State); err != nil {
		return CartState{}, fmt.Errorf("decoding the state of run %s: %w", f.RunID, err)
	}
	return out, nil
}

// statusName turns WORKFLOW_EXECUTION_STATUS_RUNNING into "running".
func statusName(f found) string {
	return strings.ToLower(f.Status.String())
}

// Delivered says what a purchase or a cancellation did.
type Delivered struct {
	Run
	// Ended is true when the flow had already ended: nothing changed.
	Ended bool `json:"ended"`
}

// Purchase tells a cart's flow that the cart was bought; the flow ends with "purchased". A flow
// that already ended is left as it is (Ended). Errors: ErrNotFound, ErrUnavailable.
func (s *Starter) Purchase(ctx context.Context, cartID string, p workflows.Purchase) (Delivered, error) {
	return s.toRun(ctx, cartID, func(f found) error {
		return s.c.SignalWorkflow(ctx, f.WorkflowID, f.RunID, workflows.PurchasedSignal, p)
	})
}

// Cancel cancels a cart's flow (a Temporal cancellation, not a termination: the flow ends with
// "cancelled" and reports it like any other outcome). Errors: ErrNotFound, ErrUnavailable.
func (s *Starter) Cancel(ctx context.Context, cartID string) (Delivered, error) {
	return s.toRun(ctx, cartID, func(f found) error {
		err := s.c.CancelWorkflow(ctx, f.WorkflowID, f.RunID)
		var again *serviceerror.CancellationAlreadyRequested
		if errors.As(err, &again) {
			return nil
		}
		return err
	})
}

// toRun finds a cart's flow and, if it is still open, calls send on that very run: never the
// customer's current run, which may be about another cart.
func (s *Starter) toRun(ctx context.Context, cartID string, send func(found) error) (Delivered, error) {
	f, err := s.find(ctx, cartID)
	if err != nil {
		return Delivered{}, err
	}
	if !f.running() {
		return Delivered{Run: f.Run, Ended: true}, nil
	}
	if err := send(f); err != nil {
		if isNotFound(err) { // it closed in between
			return Delivered{Run: f.Run, Ended: true}, nil
		}
		return Delivered{}, temporalError(err)
	}
	return Delivered{Run: f.Run}, nil
}

// Reply delivers a shopper's message to the customer's open flow. from is the sender as Meta reports
// it (wa_id digits) or E.164: both reach the same workflow ID, whatever form the country's wa_id
// takes (see phone.Canonical). Errors: ErrNotFound (no open flow), ErrUnavailable.
func (s *Starter) Reply(ctx context.Context, from string, r workflows.Reply) error {
	return s.signal(ctx, workflows.WorkflowID(s.idKey, from), workflows.ReplySignal, r)
}

// Status delivers a delivery status to the flow that sent the message. callbackData is Meta's echo
// of biz_opaque_callback_data, which our sends set to workflows.CallbackData (the workflow ID and
// the step; the bare ID before steps were named); anything else there (another system's sends
// from the same number) is not trusted, and the recipient's flow is used instead. A failed status
// with Meta's 131050 also suppresses the customer. Errors: ErrNotFound (no open flow),
// ErrUnavailable.
func (s *Starter) Status(ctx context.Context, callbackData, recipient string, st workflows.Status) error {
	if err := s.rememberRefusal(ctx, recipient, st); err != nil {
		return err
	}
	id, step, ok := workflows.ParseCallbackData(callbackData)
	if !ok {
		id = workflows.WorkflowID(s.idKey, recipient)
	}
	st.Step = step
	return s.signal(ctx, id, workflows.StatusSignal, st)
}

// signal signals the open run of a workflow ID.
func (s *Starter) signal(ctx context.Context, workflowID, name string, arg any) error {
	err := s.c.SignalWorkflow(ctx, workflowID, "", name, arg)
	if isNotFound(err) {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return temporalError(err)
}
