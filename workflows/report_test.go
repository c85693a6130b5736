package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
)

// TestAFailingReportDoesNotHoldTheCustomer: the storefront is down for six hours after the flow
// ends. The flow completes at its outcome (so the customer's next cart may start), and its report
// is delivered once the storefront is back, the same report every attempt.
func TestAFailingReportDoesNotHoldTheCustomer(t *testing.T) {
	h := newHarness(t)
	in := testInput()
	in.Settings.ReplyWindow = time.Hour
	var attempts []OutcomeReport
	var attemptTimes []time.Time
	h.env.OnActivity(StopActivity, mock.Anything, mock.Anything).Return(func(_ context.Context, r OutcomeReport) error {
		attempts, attemptTimes = append(attempts, r), append(attemptTimes, h.env.Now())
		if h.env.Now().Before(start.Add(6 * time.Hour)) {
			// The test suite retries an activity 10 times at most: an hour apart, they span hours.
			return temporal.NewApplicationErrorWithOptions("storefront down", "", temporal.ApplicationErrorOptions{NextRetryDelay: time.Hour})
		}
		h.rec.reports = append(h.rec.reports, r)
		return nil
	})
	completedEarly := false
	h.at(time.Hour+time.Minute, func() { completedEarly = h.env.IsWorkflowCompleted() })
	res := h.run(in)
	h.expect(res, OutcomeNoReply, 0, 0)
	if !completedEarly {
		t.Fatal("the flow was still open a minute after its outcome: its report holds the customer")
	}
	if len(attempts) < 3 || attemptTimes[len(attemptTimes)-1].Before(start.Add(6*time.Hour)) {
		t.Fatalf("%d report attempts, the last at %v: want retries until the storefront is back", len(attempts), attemptTimes[len(attemptTimes)-1])
	}
	for _, a := range attempts {
		if a != attempts[0] {
			t.Fatalf("report attempts differ: %+v and %+v", attempts[0], a)
		}
	}
	if attempts[0].EventID == "" || !attempts[0].At.Equal(start.Add(time.Hour)) {
		t.Fatalf("report %+v: want the run's id as event id, dated at the outcome", attempts[0])
	}
}
