package starter

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.temporal.io/api/serviceerror"
)

// ErrNotFound means there is no flow for the cart, or no active flow for the customer.
var ErrNotFound = errors.New("no such flow")

// ErrUnavailable wraps every failure to reach Temporal, so that callers can ask the caller's caller
// to retry (the HTTP server answers 503, which Meta retries).
var ErrUnavailable = errors.New("temporal is unavailable")

// ErrSignalLimit means the flow's run refused a signal because its history holds as many as
// Temporal allows one run (history.maximumSignalsPerExecution, 10,000 by default). Retrying
// cannot help: the run takes no more signals until it ends.
var ErrSignalLimit = errors.New("the flow takes no more signals: its run reached Temporal's signal limit")

// signalLimitMessage is how the server words that refusal (an InvalidArgument: consts.ErrSignalsLimitExceeded
// in server v1.32.1), the only way to tell it from the other InvalidArguments.
const signalLimitMessage = "exceeded workflow execution limit for signal events"

// ValidationError lists the fields of a request body whose values are wrong, by JSON path
// ("customer.phone", "items[2].quantity"), each with what is expected.
type ValidationError struct {
	Of     string // what the body is: "cart" when empty, "suppression"
	Fields map[string]string
}

// Subject is what the invalid body is: a cart unless Of says otherwise.
func (e *ValidationError) Subject() string {
	if e.Of == "" {
		return "cart"
	}
	return e.Of
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid " + e.Subject() + ":")
	for _, f := range slices.Sorted(maps.Keys(e.Fields)) {
		fmt.Fprintf(&b, " %s %s;", f, e.Fields[f])
	}
	return strings.TrimSuffix(b.String(), ";")
}

// add records the first problem of a field; later ones would only repeat it.
func (e *ValidationError) add(field, why string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, seen := e.Fields[field]; !seen {
		e.Fields[field] = why
	}
}

// BusyError refuses a cart because the customer's flow for another cart is still running: one
// conversation per customer at a time.
type BusyError struct {
	CartID     string // the cart whose flow is running
	WorkflowID string
	RunID      string
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("the customer's flow for cart %q is still running", e.CartID)
}

// temporalError classifies a Temporal client error: unreachable, overloaded or without a worker
// to answer becomes ErrUnavailable (still wrapping the cause), a run's full signal count
// ErrSignalLimit, anything else is returned as is.
func temporalError(err error) error {
	if err == nil {
		return nil
	}
	var (
		unavailable *serviceerror.Unavailable
		deadline    *serviceerror.DeadlineExceeded
		exhausted   *serviceerror.ResourceExhausted
		noPoller    *serviceerror.FailedPrecondition // a query with no worker polling to answer it
	)
	var invalid *serviceerror.InvalidArgument
	if errors.As(err, &invalid) && strings.Contains(invalid.Message, signalLimitMessage) {
		return fmt.Errorf("%w: %w", ErrSignalLimit, err)
	}
	if errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.As(err, &exhausted) ||
		errors.As(err, &noPoller) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// isNotFound reports Temporal's answer for an unknown or already closed workflow.
func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
