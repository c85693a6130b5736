package workflows

import (
	"testing"
	"time"
)

func graceInput(grace time.Duration) Input {
	in := testInput()
	in.Settings.ReplyGrace = Duration(grace)
	return in
}

// TestAReplySentInTimeDeliveredLateCounts: a reply Meta dates a minute before the deadline reaches
// the flow five minutes after it (Meta retried the webhook): it decides the branch.
func TestAReplySentInTimeDeliveredLateCounts(t *testing.T) {
	h := newHarness(t)
	deadline := 24 * time.Hour
	h.reply(deadline+5*time.Minute, Reply{MessageID: "wamid.late", Kind: "text", Text: "1", At: start.Add(deadline - time.Minute)})
	res := h.run(graceInput(15 * time.Minute))
	h.expect(res, OutcomeReminderSent, 1, 0)
	if s := h.state(); s.Reply == nil || s.Reply.MessageID != "wamid.late" || len(s.IgnoredReplies) != 0 {
		t.Fatalf("state %+v", s)
	}
}

// TestSilenceWaitsOutTheGrace: with no reply the flow ends no_reply at the deadline plus the grace.
func TestSilenceWaitsOutTheGrace(t *testing.T) {
	h := newHarness(t)
	res := h.run(graceInput(15 * time.Minute))
	h.expect(res, OutcomeNoReply, 0, 0)
	if got := h.rec.reports[0].At.Sub(start); got != 24*time.Hour+15*time.Minute {
		t.Fatalf("ended %v after the start, want 24h15m", got)
	}
}

// TestAReplySentAfterTheDeadlineIsIgnored: delivered within the grace but dated after the
// deadline, a reply does not count, and the state says why.
func TestAReplySentAfterTheDeadlineIsIgnored(t *testing.T) {
	h := newHarness(t)
	h.reply(24*time.Hour+3*time.Minute, Reply{MessageID: "wamid.after", Kind: "text", Text: "2", At: start.Add(24*time.Hour + 2*time.Minute)})
	res := h.run(graceInput(15 * time.Minute))
	h.expect(res, OutcomeNoReply, 0, 0)
	s := h.state()
	if s.Reply != nil || len(s.IgnoredReplies) != 1 || s.IgnoredReplies[0].Why != WhyAfterDeadline || s.IgnoredReplies[0].Reply.MessageID != "wamid.after" {
		t.Fatalf("state %+v", s)
	}
}

// TestAReplyDatedBeforeTheTemplate: a "1" Meta dates an hour before this conversation's template
// was scheduled answers an earlier one: ignored and recorded. The shopper's answer to this one,
// a minute later, decides.
func TestAReplyDatedBeforeTheTemplate(t *testing.T) {
	h := newHarness(t)
	h.reply(time.Minute, Reply{MessageID: "wamid.old", Kind: "text", Text: "1", At: start.Add(-time.Hour)})
	h.reply(2*time.Minute, Reply{MessageID: "wamid.now", Kind: "text", Text: "2", At: start.Add(2 * time.Minute)})
	res := h.run(graceInput(15 * time.Minute))
	h.expect(res, OutcomeCouponSent, 0, 1)
	s := h.state()
	if s.Reply == nil || s.Reply.MessageID != "wamid.now" || len(s.IgnoredReplies) != 1 || s.IgnoredReplies[0].Why != WhyBeforeTemplate {
		t.Fatalf("state %+v", s)
	}
	if !s.ScheduledAt.Equal(start) {
		t.Fatalf("scheduled at %v, want %v", s.ScheduledAt, start)
	}
}

// TestThisCartsButtonIsNeverTooOld: Meta's timestamps are whole seconds and clocks differ. A
// button of this cart's template tapped at once, dated before the scheduled send, decides; so does
// a typed reply dated within the tolerance, and a button of this cart however it is dated.
func TestThisCartsButtonIsNeverTooOld(t *testing.T) {
	for name, r := range map[string]Reply{
		"button tapped at once":      {MessageID: "wamid.b", Kind: "button", Text: "1 - Yes", Payload: PositivePayload("c_8f3a"), At: start.Add(-30 * time.Second)},
		"button dated an hour early": {MessageID: "wamid.b", Kind: "button", Text: "1 - Yes", Payload: PositivePayload("c_8f3a"), At: start.Add(-time.Hour)},
		"typed within the tolerance": {MessageID: "wamid.t", Kind: "text", Text: "1", At: start.Add(-59 * time.Second)},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			h.reply(time.Second, r)
			res := h.run(graceInput(15 * time.Minute))
			h.expect(res, OutcomeReminderSent, 1, 0)
			if s := h.state(); len(s.IgnoredReplies) != 0 {
				t.Fatalf("ignored %+v", s.IgnoredReplies)
			}
		})
	}
}

// TestAReplyDuringTheDelayIsIgnored: while the template waits for its hour, the shopper's "1" (to
// an earlier conversation: nothing of this one has reached them) is ignored and recorded; the
// template goes at its time and the flow waits for this conversation's answer.
func TestAReplyDuringTheDelayIsIgnored(t *testing.T) {
	h := newHarness(t)
	h.reply(10*time.Minute, Reply{MessageID: "wamid.early", Kind: "text", Text: "1"}) // undated: as received
	h.reply(90*time.Minute, Reply{MessageID: "wamid.answer", Kind: "text", Text: "2", At: start.Add(90 * time.Minute)})
	in := scheduledInput(time.Hour, "off")
	in.Settings.ReplyGrace = Duration(15 * time.Minute)
	res := h.run(in)
	h.expect(res, OutcomeCouponSent, 0, 1)
	s := h.state()
	if len(s.IgnoredReplies) != 1 || s.IgnoredReplies[0].Reply.MessageID != "wamid.early" || s.IgnoredReplies[0].Why != WhyBeforeTemplate || s.Reply.MessageID != "wamid.answer" {
		t.Fatalf("state %+v", s)
	}
}
