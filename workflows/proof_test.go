package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
)

// TestStatusProvesASendBeingRetried: Meta accepted the template and the reminder, but their
// activities keep failing (the worker died after Meta's answer, or the answer came too late).
// A status naming the step proves the message is out: the flow adopts its id and cancels the
// retries instead of sending the message again.
func TestStatusProvesASendBeingRetried(t *testing.T) {
	h := newHarness(t)
	var (
		mu       sync.Mutex
		attempts = map[string][]time.Time{}
	)
	failed := func(activity string) (SendResult, error) {
		mu.Lock()
		defer mu.Unlock()
		attempts[activity] = append(attempts[activity], h.env.Now())
		return SendResult{}, errors.New("Post https://graph.facebook.com/...: context deadline exceeded")
	}
	h.env.OnActivity(SendTemplateActivity, mock.Anything, mock.Anything).Return(func(context.Context, TemplateRequest) (SendResult, error) {
		return failed(SendTemplateActivity)
	})
	h.env.OnActivity(SendReminderActivity, mock.Anything, mock.Anything).Return(func(context.Context, ReminderRequest) (SendResult, error) {
		return failed(SendReminderActivity)
	})

	templateProof := Status{MessageID: "wamid.template-proved", Status: "sent", Step: StepTemplate}
	h.signal(10*time.Second, StatusSignal, templateProof)
	h.reply(time.Hour, Reply{MessageID: "wamid.r1", Kind: "text", Text: "1"})
	h.signal(time.Hour+10*time.Second, StatusSignal, Status{MessageID: "wamid.reminder-proved", Status: "delivered", Step: StepFollowUp})
	// A status of the template's step once it is decided proves nothing more.
	h.signal(time.Hour+20*time.Second, StatusSignal, Status{MessageID: "wamid.other", Status: "sent", Step: StepTemplate})
	res := h.run(testInput())

	if res.Outcome != OutcomeReminderSent {
		t.Fatalf("outcome %+v, want %s", res, OutcomeReminderSent)
	}
	s := h.state()
	if s.TemplateMessageID != "wamid.template-proved" || s.FollowUpMessageID != "wamid.reminder-proved" || s.TemplateStatus != "sent" {
		t.Errorf("state %+v: the statuses' message ids were not adopted", s)
	}
	mu.Lock()
	defer mu.Unlock()
	for activity, proved := range map[string]time.Time{SendTemplateActivity: start.Add(10 * time.Second), SendReminderActivity: start.Add(time.Hour + 10*time.Second)} {
		if len(attempts[activity]) == 0 {
			t.Errorf("%s never ran", activity)
		}
		for _, at := range attempts[activity] {
			if at.After(proved) {
				t.Errorf("%s was tried again at %v, after the status proved it at %v", activity, at, proved)
			}
		}
	}
}

// TestFollowUpGoesToTheReplier: the reminder goes to the wa_id that replied, which Meta guarantees
// to reach (another form of the number than the cart gave); a reply without one (a BSUID only)
// is answered at the cart's number.
func TestFollowUpGoesToTheReplier(t *testing.T) {
	for _, tc := range []struct{ from, want string }{
		{"15550001234", "+15550001234"},
		{"", "+16505551234"},
	} {
		h := newHarness(t)
		h.reply(time.Minute, Reply{MessageID: "wamid.r1", Kind: "text", Text: "1", From: tc.from})
		h.expect(h.run(testInput()), OutcomeReminderSent, 1, 0)
		if got := h.rec.reminders[0].Phone; got != tc.want {
			t.Errorf("a reply from %q: the reminder went to %s, want %s", tc.from, got, tc.want)
		}
	}
}
