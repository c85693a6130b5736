package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// replyClockChange judges a reply by when the shopper sent it (Meta's timestamp), not by when it
// reached the flow: a reply sent by the reply deadline and delivered within the settings' grace
// after it still decides the branch (the flow waits out the grace before ending no_reply), one
// sent after the deadline is ignored, and so is one sent before the template was scheduled, which
// answers an earlier conversation. Ignored replies are recorded in the state.
const (
	replyClockChange  = "reply-clock"
	replyClockVersion = 1
)

// oldReplyTolerance is how much earlier than the template's scheduled send a reply may be dated
// and still answer it: Meta's timestamps are whole seconds, and clocks differ.
const oldReplyTolerance = time.Minute

// Why a reply was ignored (IgnoredReply.Why).
const (
	WhyBeforeTemplate = "sent before this conversation's template was scheduled"
	WhyAfterDeadline  = "sent after the reply deadline"
	WhyAfterTheEnd    = "reached the flow after the wait for the reply was over"
)

// IgnoredReply is a reply that would have decided the branch but was not counted, and why.
type IgnoredReply struct {
	Reply Reply  `json:"reply"`
	Why   string `json:"why"`
}

// sentAt is when the shopper sent r: Meta's timestamp, or when it reached the flow when the
// webhook carried none.
func sentAt(ctx workflow.Context, r Reply) time.Time {
	if r.At.IsZero() {
		return workflow.Now(ctx)
	}
	return r.At
}

// ignoreReply says why a reply of class (positive or negative) does not decide the branch, under
// replyClockChange; "" when it does. A button whose payload names this cart answers this cart's
// template whenever it is dated.
func (f *flow) ignoreReply(ctx workflow.Context, r Reply, class ReplyClass) string {
	if !f.replyClock {
		return ""
	}
	if f.state.Step == StepDone {
		return WhyAfterTheEnd // the flow ended (no_reply at the grace's end, say) in the same moment
	}
	namesCart := r.Payload != "" && classifyPayload(r.Payload, f.in.Cart.ID) == class
	if !namesCart && !f.state.ScheduledAt.IsZero() && sentAt(ctx, r).Before(f.state.ScheduledAt.Add(-oldReplyTolerance)) {
		return WhyBeforeTemplate
	}
	if !f.state.ReplyDeadline.IsZero() && sentAt(ctx, r).After(f.state.ReplyDeadline) {
		return WhyAfterDeadline
	}
	return ""
}

// recordIgnored keeps an ignored reply in the state, the first few only.
func (f *flow) recordIgnored(r Reply, why string) {
	if len(f.state.IgnoredReplies) < maxUnrecognised {
		f.state.IgnoredReplies = append(f.state.IgnoredReplies, IgnoredReply{Reply: r, Why: why})
	}
}

// awaitReply waits for the reply that decides the branch until the reply deadline, and under
// replyClockChange for the settings' grace after it: Meta retries a webhook we did not take, so a
// reply sent in time may reach the flow late. It reports whether a reply (or an interruption)
// came.
func (f *flow) awaitReply(ctx workflow.Context) (bool, error) {
	decided := func() bool { return f.state.Reply != nil || f.interrupt != nil }
	// The deadline counts from the send, not from the end of the record before this wait.
	replied, err := workflow.AwaitWithTimeout(ctx, f.state.ReplyDeadline.Sub(workflow.Now(ctx)), decided)
	grace := time.Duration(f.in.Settings.ReplyGrace)
	if err != nil || replied || !f.replyClock || grace <= 0 {
		return replied, err
	}
	return workflow.AwaitWithTimeout(ctx, grace, decided)
}
