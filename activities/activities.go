// Package activities holds the cart recovery flow's side effects: the WhatsApp sends and the
// outcome report. They are methods on one struct whose dependencies are injected, so that tests
// and the sandbox can point them at fakes of Meta and of the storefront.
package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cartback/cartback/coupon"
	"github.com/cartback/cartback/events"
	"github.com/cartback/cartback/whatsapp"
	"github.com/cartback/cartback/workflows"
)

// operatorRetryDelay is how long a send waits after a refusal only an operator can fix (an expired
// token, a paused template). The activity's ScheduleToClose bounds the whole wait.
const operatorRetryDelay = 10 * time.Minute

// Sender sends WhatsApp messages: a *whatsapp.Client.
type Sender interface {
	SendTemplate(ctx context.Context, m whatsapp.TemplateMessage) (string, error)
	SendText(ctx context.Context, m whatsapp.TextMessage) (string, error)
}

// Reporter delivers outcome events to the storefront: an *events.Reporter.
type Reporter interface {
	Report(ctx context.Context, e events.Event) error
}

// Activities are the flow's activities. Register it with the worker: its method names are the
// activity names of the workflows contract.
type Activities struct {
	WhatsApp         Sender
	Consent          Consent  // cartback's store: who may be messaged
	IDKey            []byte   // CARTBACK_ID_KEY: the customer keys of the store
	Reporter         Reporter // nil when no CARTBACK_EVENTS_URL is set: outcomes are only logged
	TemplateName     string
	TemplateLanguage string
	// Proofs lets a retried send find that an earlier attempt's message is out; nil: it never looks.
	Proofs Proofs
	// CouponSecret derives per-cart codes (CARTBACK_COUPON_SECRET); Coupons fetches them from the
	// storefront (CARTBACK_COUPON_URL). Either may be unset: a flow asking for it gets the generic
	// code.
	CouponSecret []byte
	Coupons      CouponFetcher
}

// CouponFetcher asks the storefront for a cart's code: a *coupon.Fetcher.
type CouponFetcher interface {
	Fetch(ctx context.Context, r coupon.Request) (string, error)
}

// SendTemplate asks the shopper the question with the pre-approved template: their first name in
// the body, and the positive, negative and "Stop promotions" quick-reply buttons naming the cart.
func (a *Activities) SendTemplate(ctx context.Context, req workflows.TemplateRequest) (workflows.SendResult, error) {
	if id, err := a.beforeSend(ctx, req.CallbackData, req.Customer.Phone); id != "" || err != nil {
		return workflows.SendResult{MessageID: id}, err
	}
	name, language := a.TemplateName, a.TemplateLanguage
	if req.TemplateName != "" {
		name = req.TemplateName
	}
	if req.TemplateLanguage != "" {
		language = req.TemplateLanguage
	}
	wamid, err := a.WhatsApp.SendTemplate(ctx, whatsapp.TemplateMessage{
		To:         req.Customer.Phone,
		Name:       name,
		Language:   language,
		BodyParams: []string{firstName(req.Customer.Name)},
		QuickReplies: []string{workflows.PositivePayload(req.CartID), workflows.NegativePayload(req.CartID),
			workflows.StopPayload(req.CartID)},
		CallbackData: req.CallbackData,
	})
	if err := a.rememberOptOut(ctx, req.Customer.Phone, err); err != nil {
		return workflows.SendResult{}, err
	}
	return sent(wamid, err)
}

// SendReminder answers a positive reply with the cart: its items and the link back to it.
func (a *Activities) SendReminder(ctx context.Context, req workflows.ReminderRequest) (workflows.SendResult, error) {
	if id, err := a.beforeSend(ctx, req.CallbackData, req.Phone); id != "" || err != nil {
		return workflows.SendResult{MessageID: id}, err
	}
	body, err := reminderText(textsOf(req.Messages), req.Name, req.Cart)
	if err != nil {
		return workflows.SendResult{}, badText(err)
	}
	return a.sendText(ctx, req.Phone, body, req.CallbackData)
}

// SendCoupon answers a negative reply with the coupon code.
func (a *Activities) SendCoupon(ctx context.Context, req workflows.CouponRequest) (workflows.SendResult, error) {
	if id, err := a.beforeSend(ctx, req.CallbackData, req.Phone); id != "" || err != nil {
		return workflows.SendResult{MessageID: id}, err
	}
	discount := req.Discount
	if discount == "" {
		discount = workflows.DefaultCouponDiscount
	}
	body, err := couponText(textsOf(req.Messages), req.Name, req.CouponCode, discount, req.CartURL)
	if err != nil {
		return workflows.SendResult{}, badText(err)
	}
	return a.sendText(ctx, req.Phone, body, req.CallbackData)
}

// SendClarification answers the first reply the flow did not understand with the locale's
// "Reply 1 or 2".
func (a *Activities) SendClarification(ctx context.Context, req workflows.ClarificationRequest) (workflows.SendResult, error) {
	if id, err := a.beforeSend(ctx, req.CallbackData, req.Phone); id != "" || err != nil {
		return workflows.SendResult{MessageID: id}, err
	}
	body, err := clarificationText(textsOf(req.Messages), req.Name)
	if err != nil {
		return workflows.SendResult{}, badText(err)
	}
	return a.sendText(ctx, req.Phone, body, req.CallbackData)
}

// sendText sends a free-form text with its link previewed.
func (a *Activities) sendText(ctx context.Context, to, body, callbackData string) (workflows.SendResult, error) {
	wamid, err := a.WhatsApp.SendText(ctx, whatsapp.TextMessage{To: to, Body: body, PreviewURL: true, CallbackData: callbackData})
	return sent(wamid, err)
}

// badText fails a send whose text cannot be rendered: its input is wrong, so no retry can help.
func badText(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), "MessageTextError", err)
}

// Stop ends a flow on the storefront's side: it reports the outcome, whatever it is. For a flow the
// shopper never answered it is the only thing that happens: nothing more is sent to them.
// The ledger is written first: a storefront that fails does not hold it back.
func (a *Activities) Stop(ctx context.Context, r workflows.OutcomeReport) error {
	if err := a.recordFlowEnd(ctx, r); err != nil {
		return err
	}
	logger := activity.GetLogger(ctx)
	if a.Reporter == nil {
		logger.Info("outcome not reported: no events URL is configured", "cart_id", r.CartID, "outcome", r.Outcome)
		return nil
	}
	err := a.Reporter.Report(ctx, events.Event{
		EventID: r.EventID, CartID: r.CartID, Outcome: string(r.Outcome), Reason: r.Reason, At: r.At, CouponCode: r.CouponCode,
	})
	if events.IsPermanent(err) {
		return temporal.NewNonRetryableApplicationError(err.Error(), "OutcomeReportRefused", err)
	}
	return err
}

// sent turns a send's answer into the activity's: Meta's refusals become application errors that
// carry Meta's code for the workflow, retryable or not as Meta's code says.
func sent(wamid string, err error) (workflows.SendResult, error) {
	if err == nil {
		return workflows.SendResult{MessageID: wamid}, nil
	}
	failure := workflows.SendFailure{Message: err.Error()}
	var apiErr *whatsapp.APIError
	if errors.As(err, &apiErr) {
		failure.Code = apiErr.Code
	}
	opts := temporal.ApplicationErrorOptions{Cause: err, Details: []any{failure}}
	switch whatsapp.Classify(err) {
	case whatsapp.RetryNever:
		opts.NonRetryable = true
	case whatsapp.RetryLater:
		opts.NextRetryDelay = operatorRetryDelay
	}
	return workflows.SendResult{}, temporal.NewApplicationErrorWithOptions(err.Error(), workflows.SendErrorType, opts)
}
