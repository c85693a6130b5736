package workflows

import (
	"errors"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// DefaultReplyWindow is how long a flow waits for the reply when its input does not say.
const DefaultReplyWindow = 24 * time.Hour

// followUpWindow is how long after the shopper's reply Meta accepts a free-form message: the
// customer service window. A reminder or coupon that cannot be sent within it is pointless.
const followUpWindow = 24 * time.Hour

// maxUnrecognised bounds how many unrecognised replies the state keeps, so that a chatty shopper
// cannot grow the workflow's state without limit.
const maxUnrecognised = 10

// Codes Meta uses for a recipient that cannot or will not receive our messages.
const (
	codeUndeliverable = 131026 // not a WhatsApp user, old app, or did not accept the terms
	codeEcosystem     = 131049 // Meta chose not to deliver, to protect the user experience
)

// consentChange versions the consent rules: the frequency cap's record of each template, a stop
// reply ending the flow at any step (also after the branch was decided), and the stop words and
// button. Flows started before it finish by the rules they started with.
const (
	consentChange  = "consent"
	consentVersion = 1
	// numberChangedChange ends a flow on NumberChangedSignal.
	numberChangedChange = "number-changed"
)

// stepProofChange names each send's step in its callback data, and takes a status for the step
// as proof that Meta accepted its message: a send still being retried is then cancelled and the
// status's message id adopted, rather than the shopper getting the message twice.
const (
	stepProofChange  = "step-proof"
	stepProofVersion = 1
)

// replierChange sends the follow-up to the wa_id that replied (Reply.From), which Meta
// guarantees to reach, rather than to the cart's number, which may be another form of it.
const (
	replierChange  = "follow-up-to-replier"
	replierVersion = 1
)

// reasonStopReply is the outcome reason of a shopper who answered stop.
const reasonStopReply = "shopper replied stop"

// statusRank orders Meta's delivery statuses; a failure outranks them all.
var statusRank = map[string]int{"sent": 1, "delivered": 2, "read": 3, "failed": 4}

// Activity options. Every activity is bounded by ScheduleToClose, so no flow waits forever on a
// dead downstream.
var (
	templateOptions = workflow.ActivityOptions{
		TaskQueue:              SendsTaskQueue,
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	}
	recordOptions = workflow.ActivityOptions{
		TaskQueue:              TaskQueue,
		StartToCloseTimeout:    10 * time.Second,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	}
	reportOptions = workflow.ActivityOptions{
		TaskQueue:              TaskQueue,
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Minute},
	}
)

// CartRecovery is the workflow: one WhatsApp conversation about one abandoned cart. It asks the
// shopper a question with a template, waits for the reply or the reply window, answers a positive
// reply with the cart reminder and a negative one with a coupon, and reports how it ended.
func CartRecovery(ctx workflow.Context, in Input) (Result, error) {
	f := &flow{in: in, seen: map[string]bool{}, state: State{CartID: in.Cart.ID}}
	f.consent = workflow.GetVersion(ctx, consentChange, workflow.DefaultVersion, consentVersion) >= consentVersion
	f.stepProof = workflow.GetVersion(ctx, stepProofChange, workflow.DefaultVersion, stepProofVersion) >= stepProofVersion
	f.toReplier = workflow.GetVersion(ctx, replierChange, workflow.DefaultVersion, replierVersion) >= replierVersion
	f.replyClock = workflow.GetVersion(ctx, replyClockChange, workflow.DefaultVersion, replyClockVersion) >= replyClockVersion
	f.lang = newLanguage(ctx)
	f.coupons = workflow.GetVersion(ctx, couponChange, workflow.DefaultVersion, 1) >= 1
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (State, error) { return f.state, nil }); err != nil {
		return Result{}, err
	}
	if err := f.handleReposts(ctx); err != nil {
		return Result{}, err
	}
	// Signals are taken in by a goroutine of their own, so that a purchase or a failed status
	// reaches the flow whatever step it is in.
	workflow.Go(ctx, f.listen)
	return f.finish(ctx, f.converse(ctx)), nil
}

// flow is one run's memory. Signal handlers write it, the main goroutine reads it: Temporal runs
// workflow goroutines one at a time, so no locking is needed.
type flow struct {
	in              Input
	lang            language
	coupons         bool
	consent         bool   // started under the consent rules (consentChange)
	stepProof       bool   // sends name their step, and a status for it is proof (stepProofChange)
	toReplier       bool   // the follow-up goes to the wa_id that replied (replierChange)
	replyClock      bool   // replies are judged by Meta's timestamp (replyClockChange)
	repostable      bool   // a repost may replace the cart while the send waits (repostChange)
	reposted        bool   // it did: the wait starts again
	sending         string // the step whose send is in flight, under stepProof
	proof           string // the message id a status for that step carried: the send is out
	state           State
	seen            map[string]bool // inbound message ids already taken: Meta delivers at least once
	pendingStatuses []Status        // statuses that arrived before the template's message id was known
	replyReceived   time.Time
	lastInbound     time.Time // the shopper's latest message (noteInbound)
	window          bool      // the follow-up is held to the window by windowChange's rules
	sendErr         error     // why the last send failed
	interrupt       *Result   // set by an event that ends the flow at any step
}

func (f *flow) listen(ctx workflow.Context) {
	replies := workflow.GetSignalChannel(ctx, ReplySignal)
	statuses := workflow.GetSignalChannel(ctx, StatusSignal)
	purchases := workflow.GetSignalChannel(ctx, PurchasedSignal)
	optOuts := workflow.GetSignalChannel(ctx, OptOutSignal)
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(replies, func(c workflow.ReceiveChannel, _ bool) {
		var r Reply
		c.Receive(ctx, &r)
		f.onReply(ctx, r)
	})
	sel.AddReceive(statuses, func(c workflow.ReceiveChannel, _ bool) {
		var s Status
		c.Receive(ctx, &s)
		f.onStatus(s)
	})
	sel.AddReceive(purchases, func(c workflow.ReceiveChannel, _ bool) {
		var p Purchase
		c.Receive(ctx, &p)
		f.end(Result{Outcome: OutcomePurchased, Reason: p.OrderID})
	})
	// Only the consent rules' edge sends it, so flows of any version may take it.
	sel.AddReceive(optOuts, func(c workflow.ReceiveChannel, _ bool) {
		var o OptOut
		c.Receive(ctx, &o)
		f.end(Result{Outcome: OutcomeOptedOut, Reason: o.Reason})
	})
	// numberChangedChange: a number that changed hands ends the flow. Versioned where the signal is
	// taken, so that runs started before the change take it too, and no old history replays it.
	sel.AddReceive(workflow.GetSignalChannel(ctx, NumberChangedSignal), func(c workflow.ReceiveChannel, _ bool) {
		var n NumberChanged
		c.Receive(ctx, &n)
		if workflow.GetVersion(ctx, numberChangedChange, workflow.DefaultVersion, 1) >= 1 {
			f.end(Result{Outcome: OutcomeCancelled, Reason: ReasonNumberChanged})
		}
	})
	// A cancelled flow stops listening; the main goroutine reports the cancellation.
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
	for ctx.Err() == nil {
		sel.Select(ctx)
	}
}

func (f *flow) onReply(ctx workflow.Context, r Reply) {
	if r.MessageID != "" {
		if f.seen[r.MessageID] {
			return
		}
		f.seen[r.MessageID] = true
	}
	f.noteInbound(ctx, r)
	class := f.classify(r)
	if f.consent && class == ReplyStop {
		// A stop ends the flow at any step, also after a "1" or "2" decided the branch: a
		// follow-up still being retried is cancelled.
		f.end(Result{Outcome: OutcomeOptedOut, Reason: reasonStopReply})
	}
	if f.state.Reply != nil {
		return // the branch is decided; later replies change nothing
	}
	if class == ReplyUnrecognised {
		if len(f.state.UnrecognisedReplies) < maxUnrecognised {
			f.state.UnrecognisedReplies = append(f.state.UnrecognisedReplies, r)
		}
		// Only a question asked and still open is clarified: not a message while the template
		// waits for its time, nor one sent after the reply deadline.
		if f.state.TemplateMessageID != "" && f.ignoreReply(ctx, r, class) == "" {
			f.clarifyOnce(ctx, r)
		}
		return
	}
	if why := f.ignoreReply(ctx, r, class); why != "" {
		f.recordIgnored(r, why)
		return
	}
	f.state.Reply, f.state.ReplyClass = &r, class
	f.replyReceived = workflow.Now(ctx)
}

func (f *flow) onStatus(s Status) {
	if f.stepProof && s.Step != "" && s.Step == f.sending && s.MessageID != "" && f.proof == "" {
		f.proof = s.MessageID // any status, failed too, says Meta accepted the message
	}
	if f.state.TemplateMessageID == "" {
		f.pendingStatuses = append(f.pendingStatuses, s)
		return
	}
	if s.MessageID != f.state.TemplateMessageID {
		return // statuses of the follow-up come after the flow's decision and change nothing
	}
	// Meta may deliver statuses out of order (read before delivered): keep the furthest.
	if statusRank[s.Status] > statusRank[f.state.TemplateStatus] {
		f.state.TemplateStatus = s.Status
	}
	if s.Status != "failed" {
		return
	}
	code := 0
	if len(s.Errors) > 0 {
		code = s.Errors[0].Code
	}
	if code == CodeMarketingOptOut {
		f.end(Result{Outcome: OutcomeOptedOut, Reason: strconv.Itoa(code)})
		return
	}
	f.end(Result{Outcome: OutcomeUndeliverable, Reason: strconv.Itoa(code)})
}

// setStep moves the flow to step and shows it in the Web UI's current details. Details are answered
// to a query, not recorded as a command, so changing them needs no workflow.GetVersion.
func (f *flow) setStep(ctx workflow.Context, step Step) {
	f.state.Step = step
	workflow.SetCurrentDetails(ctx, currentDetails(f.state, f.in.Cart))
}

// end records the first event that ends the flow; later ones change nothing.
func (f *flow) end(r Result) {
	if f.interrupt == nil {
		f.interrupt = &r
	}
}

// converse runs the conversation and returns how it ended.
func (f *flow) converse(ctx workflow.Context) Result {
	if f.in.Customer.OptIn.At.IsZero() {
		return Result{Outcome: OutcomeFailed, Reason: "no opt-in: WhatsApp requires it before any proactive message"}
	}
	if r := f.awaitSchedule(ctx); r != nil {
		return *r
	}
	if f.state.ScheduledAt.IsZero() {
		f.state.ScheduledAt = workflow.Now(ctx)
	}
	f.setStep(ctx, StepSendingTemplate)
	var sent SendResult
	if r := f.call(ctx, templateOptions, StepTemplate, SendTemplateActivity, f.templateRequest(ctx), &sent); r != nil {
		return *r
	}
	f.state.TemplateMessageID = sent.MessageID
	window := f.in.Settings.ReplyWindow
	if window <= 0 { // an input from before the setting existed, or a hand-made one
		window = DefaultReplyWindow
	}
	f.state.TemplateSentAt = workflow.Now(ctx)
	f.state.ReplyDeadline = f.state.TemplateSentAt.Add(window)
	if f.consent {
		f.recordTemplate(ctx, sent.MessageID)
	}
	for _, s := range f.pendingStatuses {
		f.onStatus(s)
	}
	f.pendingStatuses = nil

	f.setStep(ctx, StepAwaitingReply)
	replied, err := f.awaitReply(ctx)
	switch {
	case err != nil:
		return cancelled()
	case f.interrupt != nil:
		return *f.interrupt
	case !replied:
		return Result{Outcome: OutcomeNoReply}
	}

	switch f.state.ReplyClass {
	case ReplyStop:
		return Result{Outcome: OutcomeOptedOut, Reason: reasonStopReply}
	case ReplyPositive:
		return f.followUp(ctx, SendReminderActivity, f.reminderRequest(ctx), OutcomeReminderSent)
	default:
		return f.followUp(ctx, SendCouponActivity, f.couponRequest(ctx), OutcomeCouponSent)
	}
}

// followUpPhone is where the follow-up goes: the wa_id that replied, under replierChange, else the
// cart's number.
func (f *flow) followUpPhone() string {
	if f.toReplier && f.state.Reply != nil && f.state.Reply.From != "" {
		return "+" + f.state.Reply.From
	}
	return f.in.Customer.Phone
}

// callback is a send's callback data: the workflow ID, and the step under stepProof.
func (f *flow) callback(ctx workflow.Context, step string) string {
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	if !f.stepProof {
		return id
	}
	return CallbackData(id, step)
}

// recordTemplate notes that Meta accepted the customer's template, for the frequency cap. A record
// that keeps failing is logged: the conversation goes on, since the template was sent.
func (f *flow) recordTemplate(ctx workflow.Context, messageID string) {
	rec := TemplateRecord{Phone: f.in.Customer.Phone, MessageID: messageID, At: f.state.TemplateSentAt}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, recordOptions), RecordTemplateActivity, rec).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not record the template for the frequency cap", "error", err)
	}
}

// followUp sends the free-form answer to the shopper's reply, within Meta's 24-hour customer
// service window (sendInWindow).
func (f *flow) followUp(ctx workflow.Context, activity string, req any, success Outcome) Result {
	f.setStep(ctx, StepSendingFollowUp)
	var sent SendResult
	if r := f.sendInWindow(ctx, activity, req, &sent); r != nil {
		return *r
	}
	f.state.FollowUpMessageID = sent.MessageID
	return Result{Outcome: success}
}

// call runs the send activity of step. It returns nil when the send succeeded, or when a status
// for the step proved Meta had accepted the message (its id is adopted, the retrying activity
// cancelled); otherwise how the flow ends: the send failed, or an event (purchase, failed status,
// cancel) ended the flow first, and the activity is cancelled since nothing more may be sent.
func (f *flow) call(ctx workflow.Context, opts workflow.ActivityOptions, step, activity string, req any, out *SendResult) *Result {
	actx, cancel := workflow.WithCancel(workflow.WithActivityOptions(ctx, opts))
	defer cancel()
	f.sending, f.proof, f.sendErr = step, "", nil
	defer func() { f.sending = "" }()
	fut := workflow.ExecuteActivity(actx, activity, req)
	// A cancel also cancels the activity, whose future may then be the first thing ready: look at
	// the flow's context, not only at Await's answer.
	if err := workflow.Await(ctx, func() bool { return fut.IsReady() || f.interrupt != nil || f.proof != "" }); err != nil || ctx.Err() != nil {
		r := cancelled()
		return &r
	}
	if f.interrupt != nil {
		return f.interrupt
	}
	if !fut.IsReady() {
		workflow.GetLogger(ctx).Info("a status proved the send was accepted: not sending it again", "step", step)
		out.MessageID = f.proof
		return nil
	}
	if err := fut.Get(ctx, out); err != nil {
		f.sendErr = err
		r := sendFailed(activity, err)
		return &r
	}
	return nil
}

// sendFailed turns a failed send into an outcome: Meta's code says whether the shopper cannot or
// will not get our messages, or whether we failed.
func sendFailed(activity string, err error) Result {
	var appErr *temporal.ApplicationError
	var failure SendFailure
	var reason string
	if errors.As(err, &appErr) && appErr.Type() == SuppressedErrorType && appErr.Details(&reason) == nil {
		return Result{Outcome: OutcomeOptedOut, Reason: reason}
	}
	if errors.As(err, &appErr) && appErr.Type() == SendErrorType && appErr.Details(&failure) == nil {
		reason := strconv.Itoa(failure.Code)
		switch failure.Code {
		case CodeMarketingOptOut:
			return Result{Outcome: OutcomeOptedOut, Reason: reason}
		case codeUndeliverable, codeEcosystem:
			return Result{Outcome: OutcomeUndeliverable, Reason: reason}
		}
		return Result{Outcome: OutcomeFailed, Reason: activity + ": " + reason + " " + failure.Message}
	}
	return Result{Outcome: OutcomeFailed, Reason: activity + ": " + err.Error()}
}

func cancelled() Result { return Result{Outcome: OutcomeCancelled} }

// finish records the outcome, makes it searchable and reports it to the storefront: under
// reportChange through a workflow of its own, so that the customer is free at once. It runs on a
// disconnected context so that a cancelled flow still reports. A report that keeps failing is
// logged and never changes the outcome.
func (f *flow) finish(ctx workflow.Context, r Result) Result {
	f.state.Outcome, f.state.Reason = r.Outcome, r.Reason
	f.setStep(ctx, StepDone)
	ctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	logger := workflow.GetLogger(ctx)
	if err := workflow.UpsertTypedSearchAttributes(ctx, OutcomeAttribute.ValueSet(string(r.Outcome))); err != nil {
		logger.Warn("could not set the outcome search attribute", "error", err)
	}
	info := workflow.GetInfo(ctx)
	report := OutcomeReport{
		EventID: info.WorkflowExecution.RunID,
		CartID:  f.in.Cart.ID,
		Outcome: r.Outcome,
		Reason:  r.Reason,
		At:      workflow.Now(ctx),

		CouponCode: f.state.CouponCode,
	}
	if workflow.GetVersion(ctx, reportChange, workflow.DefaultVersion, reportVersion) >= reportVersion {
		handOverReport(ctx, report)
	} else if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, reportOptions), StopActivity, report).Get(ctx, nil); err != nil {
		logger.Warn("the outcome report failed", "error", err)
	}
	logger.Info("cart recovery ended", "cart_id", f.in.Cart.ID, "outcome", r.Outcome, "reason", r.Reason)
	return r
}
