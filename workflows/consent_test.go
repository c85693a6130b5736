package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
)

// The consent rules inside the flow: any stop ends it at once, whatever step it is in, and nothing
// more is sent. (That a stop is recorded and refuses later carts is the edge's and the store's.)

func TestStopWordsEndTheFlow(t *testing.T) {
	for _, text := range []string{"STOP", "Baja", "parar", "berhenti", "Stop promotions"} {
		h := newHarness(t)
		h.reply(time.Hour, Reply{MessageID: "wamid.stop", Kind: "text", Text: text})
		res := h.run(testInput())
		h.expect(res, OutcomeOptedOut, 0, 0)
		if res.Reason != reasonStopReply {
			t.Errorf("%q: reason %q", text, res.Reason)
		}
	}
}

func TestStopButtonOfAnyCartEndsTheFlow(t *testing.T) {
	for _, cart := range []string{"c_8f3a", "c_older"} {
		h := newHarness(t)
		h.reply(time.Hour, Reply{MessageID: "wamid.tap", Kind: "button", Text: "Stop promotions", Payload: StopPayload(cart)})
		h.expect(h.run(testInput()), OutcomeOptedOut, 0, 0)
	}
}

// TestStopAfterTheBranchWasDecidedCancelsTheFollowUp: the shopper said "1", the reminder is being
// retried (Meta's throughput limit, say), then the shopper says STOP: the reminder is never sent.
func TestStopAfterTheBranchWasDecidedCancelsTheFollowUp(t *testing.T) {
	h := newHarness(t)
	throttled := temporal.NewApplicationErrorWithOptions("throttled", SendErrorType, temporal.ApplicationErrorOptions{
		NextRetryDelay: 10 * time.Minute, Details: []any{SendFailure{Code: 130429}},
	})
	h.env.OnActivity(SendReminderActivity, mock.Anything, mock.Anything).Return(SendResult{}, throttled)
	h.reply(time.Hour, Reply{MessageID: "wamid.yes", Kind: "text", Text: "1"})
	h.reply(2*time.Hour, Reply{MessageID: "wamid.stop", Kind: "text", Text: "STOP"})
	res := h.run(testInput())
	h.expect(res, OutcomeOptedOut, 0, 0)
	if got := h.rec.reports[0].At.Sub(start); got != 2*time.Hour {
		t.Fatalf("ended %v after the start, want at the stop (2h)", got)
	}
	if s := h.state(); s.ReplyClass != ReplyPositive || s.FollowUpMessageID != "" {
		t.Fatalf("state %+v", s)
	}
}

func TestOptOutSignalEndsTheFlowAtAnyStep(t *testing.T) {
	for _, tc := range []struct {
		name   string
		at     time.Duration
		before []Reply
	}{
		{"while waiting", time.Hour, nil},
		{"after a 2 decided the branch", 2 * time.Hour, []Reply{{MessageID: "wamid.no", Kind: "text", Text: "2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.before != nil {
				slow := temporal.NewApplicationErrorWithOptions("slow", SendErrorType, temporal.ApplicationErrorOptions{
					NextRetryDelay: time.Hour, Details: []any{SendFailure{Code: 131056}},
				})
				h.env.OnActivity(SendCouponActivity, mock.Anything, mock.Anything).Return(SendResult{}, slow)
				h.reply(time.Hour, tc.before[0])
			}
			h.signal(tc.at, OptOutSignal, OptOut{Reason: "user_preferences"})
			res := h.run(testInput())
			h.expect(res, OutcomeOptedOut, 0, 0)
			if res.Reason != "user_preferences" {
				t.Fatalf("reason %q", res.Reason)
			}
		})
	}
}

func TestOptOutDuringTheTemplateSendSendsNothingMore(t *testing.T) {
	h := newHarness(t)
	slow := temporal.NewApplicationErrorWithOptions("slow", SendErrorType, temporal.ApplicationErrorOptions{
		NextRetryDelay: time.Minute, Details: []any{SendFailure{Code: 131056}},
	})
	h.env.OnActivity(SendTemplateActivity, mock.Anything, mock.Anything).Return(SendResult{}, slow)
	h.signal(30*time.Second, OptOutSignal, OptOut{Reason: "keyword"})
	res := h.run(testInput())
	h.expect(res, OutcomeOptedOut, 0, 0)
	if len(h.rec.records) != 0 {
		t.Fatalf("records %+v: no template was accepted", h.rec.records)
	}
}

// TestASuppressedCustomerIsNotMessaged: the check right before a send found the customer suppressed.
func TestASuppressedCustomerIsNotMessaged(t *testing.T) {
	suppressed := temporal.NewNonRetryableApplicationError("suppressed", SuppressedErrorType, nil, "keyword")
	t.Run("template", func(t *testing.T) {
		h := newHarness(t)
		h.env.OnActivity(SendTemplateActivity, mock.Anything, mock.Anything).Return(SendResult{}, suppressed)
		res := h.run(testInput())
		h.expect(res, OutcomeOptedOut, 0, 0)
		if res.Reason != "keyword" {
			t.Fatalf("reason %q", res.Reason)
		}
	})
	t.Run("follow-up", func(t *testing.T) {
		h := newHarness(t)
		h.env.OnActivity(SendCouponActivity, mock.Anything, mock.Anything).Return(SendResult{}, suppressed)
		h.reply(time.Hour, Reply{MessageID: "wamid.no", Kind: "text", Text: "2"})
		h.expect(h.run(testInput()), OutcomeOptedOut, 0, 0)
	})
}

func TestTheAcceptedTemplateIsRecordedForTheFrequencyCap(t *testing.T) {
	h := newHarness(t)
	res := h.run(testInput())
	h.expect(res, OutcomeNoReply, 0, 0)
	want := TemplateRecord{Phone: testInput().Customer.Phone, MessageID: templateWamid, At: start}
	if len(h.rec.records) != 1 || h.rec.records[0] != want {
		t.Fatalf("records %+v, want [%+v]", h.rec.records, want)
	}
}

// TestAFailingRecordDelaysNothing: the store is down; the flow still waits exactly its window from the send.
func TestAFailingRecordDelaysNothing(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(RecordTemplateActivity, mock.Anything, mock.Anything).Return(temporal.NewApplicationError("store down", "StoreError"))
	res := h.run(testInput())
	h.expect(res, OutcomeNoReply, 0, 0)
	if got := h.rec.reports[0].At.Sub(start); got != 24*time.Hour {
		t.Fatalf("ended %v after the start, want the window (24h) counted from the send", got)
	}
}

// Meta reported the customer's number changed: the flow ends cancelled, number_changed, rather
// than message a number that changed hands.
func TestNumberChangedEndsTheFlow(t *testing.T) {
	h := newHarness(t)
	h.signal(time.Hour, NumberChangedSignal, NumberChanged{MessageID: "wamid.system.1"})
	res := h.run(testInput())
	h.expect(res, OutcomeCancelled, 0, 0)
	if res.Reason != ReasonNumberChanged {
		t.Fatalf("reason %q, want %q", res.Reason, ReasonNumberChanged)
	}
}
