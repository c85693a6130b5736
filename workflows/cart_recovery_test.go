package workflows

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// recorder stands in for the activities: it records what the workflow asked for. Its methods have
// the activities' names, so registering it also checks the names of the contract.
type recorder struct {
	mu        sync.Mutex
	templates []TemplateRequest
	reminders []ReminderRequest
	coupons   []CouponRequest
	clarified []ClarificationRequest
	issued    []CouponIssueRequest
	issue     func(CouponIssueRequest) (CouponIssued, error) // IssueCoupon's answer; nil: an error
	reports   []OutcomeReport
	records   []TemplateRecord
}

func (r *recorder) SendTemplate(_ context.Context, req TemplateRequest) (SendResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.templates = append(r.templates, req)
	return SendResult{MessageID: templateWamid}, nil
}

func (r *recorder) SendReminder(_ context.Context, req ReminderRequest) (SendResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reminders = append(r.reminders, req)
	return SendResult{MessageID: "wamid.reminder"}, nil
}

func (r *recorder) SendCoupon(_ context.Context, req CouponRequest) (SendResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.coupons = append(r.coupons, req)
	return SendResult{MessageID: "wamid.coupon"}, nil
}

func (r *recorder) SendClarification(_ context.Context, req ClarificationRequest) (SendResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clarified = append(r.clarified, req)
	return SendResult{MessageID: "wamid.clarification"}, nil
}

func (r *recorder) IssueCoupon(_ context.Context, req CouponIssueRequest) (CouponIssued, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.issued = append(r.issued, req)
	if r.issue == nil {
		return CouponIssued{}, temporal.NewNonRetryableApplicationError("no coupon here", "CouponUnavailable", nil)
	}
	return r.issue(req)
}

func (r *recorder) RecordTemplate(_ context.Context, rec TemplateRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec)
	return nil
}

func (r *recorder) Stop(_ context.Context, rep OutcomeReport) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, rep)
	return nil
}

const (
	templateWamid  = "wamid.template"
	testWorkflowID = WorkflowIDPrefix + "0123456789abcdef0123456789abcdef"
)

var start = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func testInput() Input {
	return Input{
		Cart: Cart{
			ID: "c_8f3a", Currency: "USD", TotalMinor: 12998, URL: "https://shop.example.com/cart/c_8f3a",
			Items: []Item{{SKU: "shoe-42", Name: "Blue Trail Running Shoes", Quantity: 2, UnitPriceMinor: 6499}},
		},
		Customer: Customer{
			Phone: "+16505551234", Name: "Sheena Nelson", Locale: "en_US",
			OptIn: OptIn{At: start.Add(-48 * time.Hour), Source: "checkout"},
		},
		Settings: Settings{ReplyWindow: 24 * time.Hour, CouponCode: "SAVE10"},
	}
}

// harness runs one workflow in the test suite's environment, whose clock skips ahead when the
// workflow only waits: a 24-hour wait takes milliseconds.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	rec *recorder
}

func newHarness(t *testing.T) *harness {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: testWorkflowID, TaskQueue: TaskQueue})
	rec := &recorder{}
	env.RegisterWorkflow(CartRecovery)
	env.RegisterWorkflowWithOptions(ReportOutcome, workflow.RegisterOptions{Name: ReportWorkflowName})
	env.RegisterActivity(rec)
	return &harness{t: t, env: env, rec: rec}
}

// at runs fn once the workflow has run for d (virtual time).
func (h *harness) at(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

func (h *harness) signal(d time.Duration, name string, payload any) {
	h.at(d, func() { h.env.SignalWorkflow(name, payload) })
}

func (h *harness) reply(d time.Duration, r Reply) { h.signal(d, ReplySignal, r) }

func (h *harness) run(in Input) Result {
	h.t.Helper()
	h.env.ExecuteWorkflow(CartRecovery, in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow failed: %v", err)
	}
	var res Result
	if err := h.env.GetWorkflowResult(&res); err != nil {
		h.t.Fatal(err)
	}
	return res
}

func (h *harness) state() State {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(StateQuery)
	if err != nil {
		h.t.Fatal(err)
	}
	var s State
	if err := v.Get(&s); err != nil {
		h.t.Fatal(err)
	}
	return s
}

// sent checks how many of each follow-up were sent and that exactly one report was made, for want.
func (h *harness) expect(res Result, want Outcome, reminders, coupons int) {
	h.t.Helper()
	if res.Outcome != want {
		h.t.Fatalf("outcome %q (reason %q), want %q", res.Outcome, res.Reason, want)
	}
	if len(h.rec.reminders) != reminders || len(h.rec.coupons) != coupons {
		h.t.Fatalf("sent %d reminders and %d coupons, want %d and %d", len(h.rec.reminders), len(h.rec.coupons), reminders, coupons)
	}
	if len(h.rec.reports) != 1 || h.rec.reports[0].Outcome != want || h.rec.reports[0].Reason != res.Reason {
		h.t.Fatalf("reports %+v, want one with outcome %q", h.rec.reports, want)
	}
}

func TestPositiveReplyJustInsideTheWindowSendsTheReminder(t *testing.T) {
	h := newHarness(t)
	h.reply(23*time.Hour+59*time.Minute, Reply{MessageID: "wamid.r1", Kind: "text", Text: "1"})
	res := h.run(testInput())
	h.expect(res, OutcomeReminderSent, 1, 0)

	if len(h.rec.templates) != 1 {
		t.Fatalf("templates sent: %d", len(h.rec.templates))
	}
	tpl := h.rec.templates[0]
	if tpl.CartID != "c_8f3a" || tpl.Customer.Name != "Sheena Nelson" || tpl.CallbackData != CallbackData(testWorkflowID, StepTemplate) {
		t.Fatalf("template request %+v", tpl)
	}
	rem := h.rec.reminders[0]
	if rem.Phone != "+16505551234" || rem.CallbackData != CallbackData(testWorkflowID, StepFollowUp) || rem.Cart.URL != "https://shop.example.com/cart/c_8f3a" || len(rem.Cart.Items) != 1 {
		t.Fatalf("reminder request %+v", rem)
	}
	s := h.state()
	if s.Step != StepDone || s.TemplateMessageID != templateWamid || s.ReplyClass != ReplyPositive ||
		s.Reply == nil || s.Reply.Text != "1" || s.FollowUpMessageID != "wamid.reminder" || s.Outcome != OutcomeReminderSent {
		t.Fatalf("state %+v", s)
	}
}

func TestSilenceEndsWithNoReplyExactlyAtTheWindow(t *testing.T) {
	h := newHarness(t)
	in := testInput()
	in.Settings.ReplyWindow = 24 * time.Hour
	res := h.run(in)
	h.expect(res, OutcomeNoReply, 0, 0)
	if got := h.rec.reports[0].At.Sub(start); got != 24*time.Hour {
		t.Fatalf("ended %v after the start, want exactly 24h", got)
	}
	if s := h.state(); s.ReplyDeadline != start.Add(24*time.Hour) {
		t.Fatalf("reply deadline %v", s.ReplyDeadline)
	}
}

func TestReplyWindowComesFromTheInput(t *testing.T) {
	h := newHarness(t)
	in := testInput()
	in.Settings.ReplyWindow = 5 * time.Minute
	h.reply(6*time.Minute, Reply{MessageID: "wamid.late", Kind: "text", Text: "1"})
	res := h.run(in)
	h.expect(res, OutcomeNoReply, 0, 0)
	if got := h.rec.reports[0].At.Sub(start); got != 5*time.Minute {
		t.Fatalf("ended %v after the start, want 5m", got)
	}
}

func TestTheSameReplyDeliveredTwiceSendsOneFollowUp(t *testing.T) {
	h := newHarness(t)
	// An unrecognised message delivered twice is recorded once, then a positive one twice.
	h.reply(time.Hour, Reply{MessageID: "wamid.hi", Kind: "text", Text: "hello?"})
	h.reply(time.Hour+time.Second, Reply{MessageID: "wamid.hi", Kind: "text", Text: "hello?"})
	h.reply(2*time.Hour, Reply{MessageID: "wamid.two", Kind: "text", Text: "2"})
	h.reply(2*time.Hour+time.Second, Reply{MessageID: "wamid.two", Kind: "text", Text: "2"})
	res := h.run(testInput())
	h.expect(res, OutcomeCouponSent, 0, 1)
	if got := h.rec.coupons[0]; got.CouponCode != "SAVE10" || got.CartURL != "https://shop.example.com/cart/c_8f3a" {
		t.Fatalf("coupon request %+v", got)
	}
	if s := h.state(); len(s.UnrecognisedReplies) != 1 {
		t.Fatalf("unrecognised replies %+v, want the duplicate once", s.UnrecognisedReplies)
	}
}

func TestPurchaseWhileWaitingSendsNothing(t *testing.T) {
	h := newHarness(t)
	h.signal(3*time.Hour, PurchasedSignal, Purchase{OrderID: "o_991"})
	h.reply(4*time.Hour, Reply{MessageID: "wamid.r1", Kind: "text", Text: "1"})
	res := h.run(testInput())
	h.expect(res, OutcomePurchased, 0, 0)
	if got := h.rec.reports[0].At.Sub(start); got != 3*time.Hour {
		t.Fatalf("ended %v after the start, want at the purchase (3h)", got)
	}
}

func TestPurchaseDuringTheTemplateSendEndsAtOnce(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(SendTemplateActivity, mock.Anything, mock.Anything).After(time.Minute).Return(SendResult{MessageID: templateWamid}, nil)
	h.signal(10*time.Second, PurchasedSignal, Purchase{})
	res := h.run(testInput())
	h.expect(res, OutcomePurchased, 0, 0)
	if s := h.state(); s.TemplateMessageID != "" {
		t.Fatalf("the template's send should have been abandoned, state %+v", s)
	}
}

func TestFailedTemplateStatusEndsTheFlow(t *testing.T) {
	for _, tc := range []struct {
		code int
		want Outcome
	}{
		{131026, OutcomeUndeliverable},
		{131049, OutcomeUndeliverable},
		{131050, OutcomeOptedOut},
	} {
		h := newHarness(t)
		h.signal(time.Minute, StatusSignal, Status{MessageID: templateWamid, Status: "delivered"})
		h.signal(2*time.Minute, StatusSignal, Status{MessageID: templateWamid, Status: "failed", Errors: []StatusError{{Code: tc.code}}})
		res := h.run(testInput())
		h.expect(res, tc.want, 0, 0)
		if want := strconv.Itoa(tc.code); res.Reason != want {
			t.Fatalf("reason %q, want the code %q", res.Reason, want)
		}
	}
}

func TestAStatusBeforeTheTemplateIDIsKnownIsKept(t *testing.T) {
	h := newHarness(t)
	// The send takes a minute; Meta's failed status for it arrives after 30s.
	h.env.OnActivity(SendTemplateActivity, mock.Anything, mock.Anything).After(time.Minute).Return(SendResult{MessageID: templateWamid}, nil)
	h.signal(30*time.Second, StatusSignal, Status{MessageID: templateWamid, Status: "failed", Errors: []StatusError{{Code: 131026}}})
	h.signal(40*time.Second, StatusSignal, Status{MessageID: "wamid.someone-elses", Status: "failed", Errors: []StatusError{{Code: 131050}}})
	res := h.run(testInput())
	h.expect(res, OutcomeUndeliverable, 0, 0)
}

func TestTheFurthestTemplateStatusIsKept(t *testing.T) {
	h := newHarness(t)
	h.signal(time.Minute, StatusSignal, Status{MessageID: templateWamid, Status: "read"})
	h.signal(2*time.Minute, StatusSignal, Status{MessageID: templateWamid, Status: "delivered"})
	h.at(3*time.Minute, func() {
		if s := h.state(); s.TemplateStatus != "read" {
			t.Errorf("template status %q after read then delivered, want read", s.TemplateStatus)
		}
	})
	h.reply(time.Hour, Reply{MessageID: "wamid.r", Kind: "text", Text: "1"})
	h.expect(h.run(testInput()), OutcomeReminderSent, 1, 0)
}

func TestStatusOfAnotherMessageChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.signal(time.Minute, StatusSignal, Status{MessageID: "wamid.other", Status: "failed", Errors: []StatusError{{Code: 131026}}})
	h.reply(time.Hour, Reply{MessageID: "wamid.r", Kind: "text", Text: "a"})
	res := h.run(testInput())
	h.expect(res, OutcomeReminderSent, 1, 0)
}

func TestUnrecognisedThenPositiveSendsTheReminder(t *testing.T) {
	h := newHarness(t)
	h.reply(time.Hour, Reply{MessageID: "wamid.q", Kind: "text", Text: "what is this?"})
	h.reply(2*time.Hour, Reply{MessageID: "wamid.b", Kind: "button", Text: "1 - Still want it", Payload: "cart:c_old:yes"})
	h.reply(3*time.Hour, Reply{MessageID: "wamid.yes", Kind: "button", Text: "1 - Still want it", Payload: PositivePayload("c_8f3a")})
	res := h.run(testInput())
	h.expect(res, OutcomeReminderSent, 1, 0)
	s := h.state()
	if len(s.UnrecognisedReplies) != 2 || s.UnrecognisedReplies[0].Text != "what is this?" {
		t.Fatalf("unrecognised replies %+v", s.UnrecognisedReplies)
	}
	if s.Reply.MessageID != "wamid.yes" {
		t.Fatalf("deciding reply %+v", s.Reply)
	}
}

func TestStopReplySendsNothingMore(t *testing.T) {
	h := newHarness(t)
	h.reply(time.Hour, Reply{MessageID: "wamid.s", Kind: "text", Text: "Stop!"})
	h.reply(2*time.Hour, Reply{MessageID: "wamid.y", Kind: "text", Text: "1"})
	res := h.run(testInput())
	h.expect(res, OutcomeOptedOut, 0, 0)
}

func TestCancelReportsCancelled(t *testing.T) {
	h := newHarness(t)
	h.at(5*time.Hour, h.env.CancelWorkflow)
	res := h.run(testInput())
	h.expect(res, OutcomeCancelled, 0, 0)
}

func TestCustomerWithoutOptInIsNeverMessaged(t *testing.T) {
	h := newHarness(t)
	in := testInput()
	in.Customer.OptIn = OptIn{}
	res := h.run(in)
	h.expect(res, OutcomeFailed, 0, 0)
	if len(h.rec.templates) != 0 {
		t.Fatal("a template was sent without opt-in")
	}
}

func TestRefusedTemplateSend(t *testing.T) {
	for _, tc := range []struct {
		code int
		want Outcome
	}{
		{132001, OutcomeFailed},
		{131026, OutcomeUndeliverable},
		{131050, OutcomeOptedOut},
	} {
		h := newHarness(t)
		refused := temporal.NewNonRetryableApplicationError("refused", SendErrorType, nil, SendFailure{Code: tc.code, Message: "refused"})
		h.env.OnActivity(SendTemplateActivity, mock.Anything, mock.Anything).Return(SendResult{}, refused)
		res := h.run(testInput())
		h.expect(res, tc.want, 0, 0)
	}
}

func TestFollowUpGivesUpWhenTheServiceWindowCloses(t *testing.T) {
	h := newHarness(t)
	h.reply(time.Hour, Reply{MessageID: "wamid.r", Kind: "text", Text: "1"})
	// Meta keeps refusing (an expired token, say) and each refusal asks for a retry 3 hours later:
	// the follow-up is retried until, and not after, 24 hours after the reply (25h after the start).
	expired := temporal.NewApplicationErrorWithOptions("token expired", SendErrorType, temporal.ApplicationErrorOptions{
		NextRetryDelay: 3 * time.Hour, Details: []any{SendFailure{Code: 190}},
	})
	h.env.OnActivity(SendReminderActivity, mock.Anything, mock.Anything).Return(SendResult{}, expired)
	res := h.run(testInput())
	h.expect(res, OutcomeWindowExpired, 0, 0)
	if got := h.rec.reports[0].At.Sub(start); got < 22*time.Hour || got > 25*time.Hour {
		t.Fatalf("gave up %v after the start, want by 24h after the reply", got)
	}
}

func TestAFailingReportDoesNotChangeTheOutcome(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(StopActivity, mock.Anything, mock.Anything).Return(errors.New("storefront down"))
	h.reply(time.Hour, Reply{MessageID: "wamid.r", Kind: "text", Text: "b"})
	h.env.ExecuteWorkflow(CartRecovery, testInput())
	var res Result
	if err := h.env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeCouponSent {
		t.Fatalf("outcome %+v", res)
	}
}

func TestAMissingReplyWindowMeans24Hours(t *testing.T) {
	h := newHarness(t)
	in := testInput()
	in.Settings.ReplyWindow = 0
	res := h.run(in)
	h.expect(res, OutcomeNoReply, 0, 0)
	if got := h.rec.reports[0].At.Sub(start); got != DefaultReplyWindow {
		t.Fatalf("ended %v after the start, want %v", got, DefaultReplyWindow)
	}
}
