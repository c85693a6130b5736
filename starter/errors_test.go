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
