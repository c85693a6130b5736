package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
)

// graphDown makes the harness's reminder sends fail as a Graph API outage does (a 5xx, retried),
// each failure asking for the next attempt after retryEvery, and returns when each attempt came.
func graphDown(h *harness, retryEvery time.Duration) *[]time.Time {
	var attempts []time.Time
	h.env.OnActivity(SendReminderActivity, mock.Anything, mock.Anything).Return(func(context.Context, ReminderRequest) (SendResult, error) {
		attempts = append(attempts, h.env.Now())
		return SendResult{}, temporal.NewApplicationErrorWithOptions("Graph API: 503", SendErrorType, temporal.ApplicationErrorOptions{
			NextRetryDelay: retryEvery, Details: []any{SendFailure{Code: 131000, Message: "Something went wrong"}},
		})
	})
	return &attempts
}

// TestGraphDownFor25HoursAfterTheReply: the shopper answers an hour in and the Graph API is down
// from then on. The follow-up is tried until, and never after, 24 hours after the reply, and the
// flow ends window_expired with nothing sent.
func TestGraphDownFor25HoursAfterTheReply(t *testing.T) {
	h := newHarness(t)
	h.reply(time.Hour, Reply{MessageID: "wamid.r", Kind: "text", Text: "1", At: start.Add(time.Hour)})
	attempts := graphDown(h, 3*time.Hour) // the suite retries 10 times at most: 3 h apart they outlast the window
	res := h.run(testInput())
	h.expect(res, OutcomeWindowExpired, 0, 0)
	windowEnd := start.Add(25 * time.Hour)
	if len(*attempts) < 2 {
		t.Fatalf("%d attempts, want retries", len(*attempts))
	}
	for _, at := range *attempts {
		if at.After(windowEnd) {
			t.Fatalf("an attempt at %v, after the window closed at %v", at, windowEnd)
		}
	}
	if got := h.rec.reports[0].At; got.After(windowEnd) {
		t.Fatalf("ended at %v, after the window closed at %v", got, windowEnd)
	}
	if s := h.state(); s.Outcome != OutcomeWindowExpired || s.FollowUpMessageID != "" {
		t.Fatalf("state %+v", s)
	}
}

// TestMetaSaysTheWindowClosed: Meta answers the follow-up with 131047 (more than 24 hours since the
// shopper's last message, by Meta's clock): the flow ends window_expired at once.
func TestMetaSaysTheWindowClosed(t *testing.T) {
	h := newHarness(t)
	h.reply(time.Hour, Reply{MessageID: "wamid.r", Kind: "text", Text: "2"})
	refused := temporal.NewNonRetryableApplicationError("Re-engagement message", SendErrorType, nil, SendFailure{Code: 131047, Message: "Re-engagement message"})
	h.env.OnActivity(SendCouponActivity, mock.Anything, mock.Anything).Return(SendResult{}, refused).Once()
	res := h.run(testInput())
	h.expect(res, OutcomeWindowExpired, 0, 0)
	if got := h.rec.reports[0].At.Sub(start); got != time.Hour {
		t.Fatalf("ended %v after the start, want at the refusal (1h)", got)
	}
}

// TestALaterMessageKeepsTheWindowOpen: Meta's window counts from the shopper's last message, so a
// message after the deciding reply keeps the follow-up worth trying for longer.
func TestALaterMessageKeepsTheWindowOpen(t *testing.T) {
	h := newHarness(t)
	h.reply(time.Hour, Reply{MessageID: "wamid.r", Kind: "text", Text: "1"})
	h.reply(10*time.Hour, Reply{MessageID: "wamid.thanks", Kind: "text", Text: "thanks, on my way"})
	attempts := graphDown(h, 4*time.Hour)
	res := h.run(testInput())
	h.expect(res, OutcomeWindowExpired, 0, 0)
	last := (*attempts)[len(*attempts)-1]
	if !last.After(start.Add(25*time.Hour)) || last.After(start.Add(34*time.Hour)) {
		t.Fatalf("last attempt at %v: want past 24 h after the reply, within 24 h of the later message", last)
	}
}
