package starter

import (
	"errors"
	"testing"

	"go.temporal.io/api/serviceerror"
)

func TestTemporalErrorsWorthARetry(t *testing.T) {
	for _, err := range []error{
		serviceerror.NewUnavailable("down"),
		serviceerror.NewResourceExhaustedf(0, "busy"),
		serviceerror.NewFailedPrecondition("no poller seen for task queue recently"),
	} {
		if got := temporalError(err); !errors.Is(got, ErrUnavailable) {
			t.Errorf("%T: %v, want ErrUnavailable", err, got)
		}
	}
	if got := temporalError(serviceerror.NewInvalidArgument("bad")); errors.Is(got, ErrUnavailable) {
		t.Errorf("InvalidArgument became %v", got)
	}
}

// The server's refusal of a run's signal past its limit is an InvalidArgument told apart by its
// message (server v1.32.1's consts.ErrSignalsLimitExceeded): no retry can help, so not ErrUnavailable.
func TestTemporalErrorSignalLimit(t *testing.T) {
	got := temporalError(serviceerror.NewInvalidArgument("exceeded workflow execution limit for signal events"))
	if !errors.Is(got, ErrSignalLimit) || errors.Is(got, ErrUnavailable) {
		t.Errorf("signal limit: %v, want ErrSignalLimit", got)
	}
	if got := temporalError(serviceerror.NewInvalidArgument("bad")); errors.Is(got, ErrSignalLimit) {
		t.Errorf("another InvalidArgument became %v", got)
	}
}
