package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// windowChange ends a follow-up that cannot reach Meta within the 24-hour customer service window
// with OutcomeWindowExpired (rather than failed), counts the window from the shopper's last
// message (rather than from the reply that decided the branch), and takes Meta's 131047 as the
// window having closed.
const (
	windowChange  = "window-expired"
	windowVersion = 1
)

// codeReengagement is Meta's answer to a free-form message sent more than 24 hours after the
// shopper's last message: only a template may be sent.
const codeReengagement = 131047

// reasonWindowClosed is the reason of a flow whose follow-up the window's end stopped.
const reasonWindowClosed = "the 24-hour customer service window closed before the follow-up reached Meta"

// noteInbound keeps the time of the shopper's latest message, which opens Meta's window: Meta's
// timestamp where it is not later than our receipt of it (whole seconds, a sender's clock).
func (f *flow) noteInbound(ctx workflow.Context, r Reply) {
	at := workflow.Now(ctx)
	if !r.At.IsZero() && r.At.Before(at) {
		at = r.At
	}
	if at.After(f.lastInbound) {
		f.lastInbound = at
	}
}

// windowEnd is when Meta stops accepting a free-form message: 24 hours after the shopper's last
// message under windowChange, else after the reply that decided the branch (as flows started
// before it count).
func (f *flow) windowEnd(ctx workflow.Context) time.Time {
	repliedAt := f.replyReceived
	if at := f.state.Reply.At; !at.IsZero() && at.Before(repliedAt) {
		repliedAt = at
	}
	if f.window && f.lastInbound.After(repliedAt) {
		repliedAt = f.lastInbound
	}
	return repliedAt.Add(followUpWindow)
}

// sendInWindow sends the follow-up while Meta accepts it: the send is retried until the window's
// end and no later. Under windowChange a send that the window's end stopped ends the flow
// window_expired, and a message from the shopper meanwhile, which moved the end, is tried again
// until the new end; before it the flow ends failed.
func (f *flow) sendInWindow(ctx workflow.Context, activity string, req any, out *SendResult) *Result {
	f.window = workflow.GetVersion(ctx, windowChange, workflow.DefaultVersion, windowVersion) >= windowVersion
	for {
		end := f.windowEnd(ctx)
		left := end.Sub(workflow.Now(ctx))
		switch {
		case left <= 0 && f.window:
			return &Result{Outcome: OutcomeWindowExpired, Reason: reasonWindowClosed}
		case left <= 0:
			return &Result{Outcome: OutcomeFailed, Reason: "the 24-hour customer service window closed before the follow-up"}
		}
		opts := templateOptions
		opts.ScheduleToCloseTimeout = left
		opts.StartToCloseTimeout = min(opts.StartToCloseTimeout, left)
		r := f.call(ctx, opts, StepFollowUp, activity, req, out)
		if r == nil || !f.window || f.sendErr == nil {
			return r
		}
		switch {
		case isReengagement(f.sendErr):
			return &Result{Outcome: OutcomeWindowExpired, Reason: reasonWindowClosed}
		case !retriesRanOut(f.sendErr):
			return r
		case !f.windowEnd(ctx).After(end):
			return &Result{Outcome: OutcomeWindowExpired, Reason: reasonWindowClosed}
		}
	}
}

// isReengagement reports whether Meta refused a send with 131047: the window has closed.
func isReengagement(err error) bool {
	var appErr *temporal.ApplicationError
	var failure SendFailure
	return errors.As(err, &appErr) && appErr.Type() == SendErrorType && appErr.Details(&failure) == nil && failure.Code == codeReengagement
}

// retriesRanOut reports whether a send failed only because its retries ran out, which for a
// follow-up only the window's end (its ScheduleToClose) bounds: a timeout, or a retryable error.
// A refusal Meta will not take back (a non-retryable error) is not the window's doing.
func retriesRanOut(err error) bool {
	var appErr *temporal.ApplicationError
	return !errors.As(err, &appErr) || !appErr.NonRetryable()
}
