package starter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/cartback/cartback/store"
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
	// Purchase is how the ledger attributed a purchase; "" for a cancellation, or a flow the
	// ledger does not know.
	Purchase store.Attribution `json:"purchase,omitempty"`
}

// Purchase tells a cart's flow that the cart was bought; the flow ends with "purchased". A flow
// that already ended is left as it is (Ended). Either way the purchase is written on the flow's
// ledger row (Purchase says how it counts). Errors: ErrNotFound, ErrUnavailable.
func (s *Starter) Purchase(ctx context.Context, cartID string, p workflows.Purchase) (Delivered, error) {
	d, err := s.toRun(ctx, cartID, func(f found) error {
		return s.c.SignalWorkflow(ctx, f.WorkflowID, f.RunID, workflows.PurchasedSignal, p)
	})
	if err != nil {
		return Delivered{}, err
	}
	if d.Purchase, err = s.recordPurchase(ctx, d, p); err != nil {
		return Delivered{}, err
	}
	return d, nil
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
// takes (see phone.Canonical). Meta's message id makes the signal exactly-once: a redelivered
// webhook adds nothing to the run. Errors: ErrNotFound (no open flow), ErrUnavailable.
func (s *Starter) Reply(ctx context.Context, from string, r workflows.Reply) error {
	return s.signal(ctx, workflows.WorkflowID(s.idKey, from), workflows.ReplySignal, requestID("reply", r.MessageID), r)
}

// Status delivers a delivery status to the flow that sent the message. callbackData is Meta's echo
// of biz_opaque_callback_data, which our sends set to workflows.CallbackData (the workflow ID and
// the step; the bare ID before steps were named); anything else there (another system's sends
// from the same number) is not trusted, and the recipient's flow is used instead. A status naming
// both the recipient's number and BSUID pairs them; a failed status with Meta's 131050 also
// suppresses the customer. The status's message id and value make the signal exactly-once.
// Errors: ErrNotFound (no open flow), ErrUnknownUser, ErrNoSender, ErrUnavailable.
func (s *Starter) Status(ctx context.Context, callbackData string, recipient Sender, st workflows.Status) error {
	c, err := s.identify(ctx, recipient)
	id, step, ours := workflows.ParseCallbackData(callbackData)
	switch {
	case err == nil:
		if err := s.rememberRefusal(ctx, c, st); err != nil {
			return err
		}
	case !ours || !(errors.Is(err, ErrUnknownUser) || errors.Is(err, ErrNoSender)):
		return err
	}
	if !ours {
		id = workflows.WorkflowIDOf(c.key)
	}
	st.Step = step
	return s.signal(ctx, id, workflows.StatusSignal, requestID("status", st.MessageID, st.Status), st)
}

// requestID derives a signal's request id from what identifies the event at Meta, shaped as a
// UUID (a version 8, "custom", UUID of SHA-256): the same event always gets the same id, and
// Temporal drops a signal whose request id the run has already seen. Nothing to identify the
// event by (an empty id) gives "", a signal sent as the SDK sends it, with a random id.
func requestID(kind string, ids ...string) string {
	for _, id := range ids {
		if id == "" {
			return ""
		}
	}
	h := sha256.Sum256([]byte(kind + "\x00" + strings.Join(ids, "\x00")))
	h[6] = h[6]&0x0f | 0x80 // version 8
	h[8] = h[8]&0x3f | 0x80 // RFC 9562 variant
	b := hex.EncodeToString(h[:16])
	return b[0:8] + "-" + b[8:12] + "-" + b[12:16] + "-" + b[16:20] + "-" + b[20:32]
}

// signal signals the open run of a workflow ID. With a requestID it goes through the workflow
// service's SignalWorkflowExecution, since the SDK's SignalWorkflow always sends a random one
// (internal_workflow_client.go, workflowClientInterceptor.SignalWorkflow, in SDK v1.50.0). The
// server checks the id first: history's signalworkflow API (service/history/api/signalworkflow,
// server v1.32.1) returns a no-op when mutableState.IsSignalRequested(request id), before
// api.ValidateSignal, which is where MaximumSignalsPerExecution refuses with "exceeded workflow
// execution limit for signal events". So a webhook Meta redelivers adds no event, and never
// counts towards that limit again.
func (s *Starter) signal(ctx context.Context, workflowID, name, requestID string, arg any) error {
	var err error
	if requestID == "" {
		err = s.c.SignalWorkflow(ctx, workflowID, "", name, arg)
	} else {
		err = s.signalOnce(ctx, workflowID, name, requestID, arg)
	}
	if isNotFound(err) {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return temporalError(err)
}

// signalOnce builds the request as the SDK does (the client's data converter, told the workflow
// it serialises for), with our request id.
func (s *Starter) signalOnce(ctx context.Context, workflowID, name, requestID string, arg any) error {
	dc := s.dc
	if ca, ok := dc.(converter.ContextAware); ok {
		dc = ca.WithContext(ctx)
	}
	dc = converter.WithDataConverterSerializationContext(dc, converter.WorkflowSerializationContext{Namespace: s.namespace, WorkflowID: workflowID})
	input, err := dc.ToPayloads(arg)
	if err != nil {
		return fmt.Errorf("encoding the %s signal: %w", name, err)
	}
	_, err = s.c.WorkflowService().SignalWorkflowExecution(ctx, &workflowservice.SignalWorkflowExecutionRequest{
		Namespace:         s.namespace,
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: workflowID},
		SignalName:        name,
		Input:             input,
		Identity:          s.identity,
		RequestId:         requestID,
	})
	return err
}
