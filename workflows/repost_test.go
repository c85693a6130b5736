package workflows

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
)

// repost sends RepostUpdate with c after d and records the answer, or the refusal, in *answer.
func (h *harness) repost(d time.Duration, c Cart, answer *string) {
	h.at(d, func() {
		h.env.UpdateWorkflow(RepostUpdate, "", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { *answer = "rejected: " + err.Error() },
			OnComplete: func(v any, err error) {
				if err != nil {
					*answer = "failed: " + err.Error()
					return
				}
				*answer = string(v.(RepostAnswer))
			},
		}, c)
	})
}

func withSocks(c Cart) Cart {
	c.Items = append(append([]Item(nil), c.Items...), Item{SKU: "socks", Name: "Socks", Quantity: 1, UnitPriceMinor: 500})
	c.TotalMinor += 500
	return c
}

// TestARepostDuringTheDelayUpdatesTheCart: the storefront reposts the cart with socks added 40
// minutes into the hour's delay: the flow answers updated, the delay counts again from the
// repost, and the reminder carries the socks.
func TestARepostDuringTheDelayUpdatesTheCart(t *testing.T) {
	h := newHarness(t)
	sent := timedTemplates(h)
	in := scheduledInput(time.Hour, "off")
	var answer string
	h.repost(40*time.Minute, withSocks(in.Cart), &answer)
	h.reply(2*time.Hour, Reply{MessageID: "wamid.r", Kind: "text", Text: "1"})
	res := h.run(in)
	h.expect(res, OutcomeReminderSent, 1, 0)
	if answer != string(RepostUpdated) {
		t.Fatalf("repost answered %q, want updated", answer)
	}
	if want := start.Add(40*time.Minute + time.Hour); len(*sent) != 1 || !(*sent)[0].Equal(want) {
		t.Fatalf("templates at %v, want one at %v: the delay counts from the repost", *sent, want)
	}
	if rem := h.rec.reminders[0]; len(rem.Cart.Items) != 2 || rem.Cart.Items[1].Name != "Socks" || rem.Cart.TotalMinor != in.Cart.TotalMinor+500 {
		t.Fatalf("reminder carries %+v, want the reposted cart", rem.Cart)
	}
}

// TestARepostAfterTheTemplateIsFixed: once the template is out the cart stays as it was.
func TestARepostAfterTheTemplateIsFixed(t *testing.T) {
	h := newHarness(t)
	in := scheduledInput(0, "off")
	var answer string
	h.repost(10*time.Minute, withSocks(in.Cart), &answer)
	h.reply(20*time.Minute, Reply{MessageID: "wamid.r", Kind: "text", Text: "1"})
	res := h.run(in)
	h.expect(res, OutcomeReminderSent, 1, 0)
	if answer != string(RepostFixed) {
		t.Fatalf("repost answered %q, want fixed", answer)
	}
	if rem := h.rec.reminders[0]; len(rem.Cart.Items) != 1 {
		t.Fatalf("reminder carries %+v, want the cart as first posted", rem.Cart)
	}
}

// TestARepostOfAnotherCartIsRejected: the validator refuses it, and nothing changes.
func TestARepostOfAnotherCartIsRejected(t *testing.T) {
	h := newHarness(t)
	sent := timedTemplates(h)
	in := scheduledInput(time.Hour, "off")
	other := withSocks(in.Cart)
	other.ID = "c_other"
	var answer string
	h.repost(10*time.Minute, other, &answer)
	res := h.run(in)
	h.expect(res, OutcomeNoReply, 0, 0)
	if !strings.HasPrefix(answer, "rejected:") {
		t.Fatalf("repost of another cart answered %q, want a rejection", answer)
	}
	if len(*sent) != 1 || !(*sent)[0].Equal(start.Add(time.Hour)) {
		t.Fatalf("templates at %v, want one an hour after the start", *sent)
	}
}
