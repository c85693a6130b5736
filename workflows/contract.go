// Package workflows holds the cart recovery workflow and its contract: the task queues, the workflow,
// signal, query and activity names, the payload types, the search attributes and the workflow ID scheme.
// Every other package refers to these names from here and never repeats the strings.
package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
)

// Task queues. Graph API sends have a queue of their own so that the worker can cap their rate
// (Meta's per-number throughput) without slowing workflow tasks or outcome reports.
const (
	TaskQueue      = "cart-recovery"
	SendsTaskQueue = "cart-recovery-sends"
)

// WorkflowName is the registered name of the cart recovery workflow.
const WorkflowName = "CartRecovery"

// Signal and query names.
const (
	ReplySignal     = "reply"     // payload Reply: the shopper answered on WhatsApp
	StatusSignal    = "status"    // payload Status: Meta reported a delivery status of one of our messages
	PurchasedSignal = "purchased" // payload Purchase: the storefront saw the order
	OptOutSignal    = "opt_out"   // payload OptOut: the customer is suppressed; nothing more may be sent
	// NumberChangedSignal, payload NumberChanged: the customer's number changed hands; the flow
	// ends cancelled (ReasonNumberChanged) rather than message it.
	NumberChangedSignal = "number_changed"
	StateQuery          = "state" // answers State
)

// Activity names: the methods of activities.Activities, registered under their method names.
const (
	SendTemplateActivity = "SendTemplate"
	SendReminderActivity = "SendReminder"
	SendCouponActivity   = "SendCoupon"
	StopActivity         = "Stop"
	// RecordTemplateActivity notes in cartback's store that Meta accepted a customer's template:
	// the frequency cap counts from it.
	RecordTemplateActivity = "RecordTemplate"
)

// Search attributes, both Keyword. Neither holds personal data: Temporal does not encrypt them.
var (
	// CartIDAttribute is how a cart's flow is found (the workflow ID is per customer, not per cart).
	CartIDAttribute = temporal.NewSearchAttributeKeyKeyword("CartId")
	// OutcomeAttribute is set when a flow ends, so operators can list runs by outcome.
	OutcomeAttribute = temporal.NewSearchAttributeKeyKeyword("CartOutcome")
)

// MemoCartID is the memo field holding the cart id, shown in the Web UI's run list.
const MemoCartID = "cart_id"

// Input starts one flow. Everything that shapes the flow is in it: workflow code reads no environment.
type Input struct {
	Cart     Cart     `json:"cart"`
	Customer Customer `json:"customer"`
	Settings Settings `json:"settings"`
}

// Cart is the abandoned cart. Amounts are exact, in the currency's minor units.
type Cart struct {
	ID         string `json:"id"`
	Currency   string `json:"currency"` // ISO 4217
	TotalMinor int64  `json:"total_minor"`
	Items      []Item `json:"items"`
	URL        string `json:"url"`
}

// Item is one line of a cart.
type Item struct {
	SKU            string `json:"sku,omitempty"`
	Name           string `json:"name"`
	Quantity       int    `json:"quantity"`
	UnitPriceMinor int64  `json:"unit_price_minor"`
}

// Customer is the shopper. Phone is E.164 ("+16505551234").
type Customer struct {
	Phone  string `json:"phone"`
	Name   string `json:"name"`
	Locale string `json:"locale,omitempty"`
	OptIn  OptIn  `json:"opt_in"`
	// TimeZone is the shopper's IANA time zone as the cart named it; TimeZones are those the send
	// is timed by (quiet hours): that one, else the number's (libphonenumber), resolved at start.
	TimeZone  string   `json:"time_zone,omitempty"`
	TimeZones []string `json:"time_zones,omitempty"`
}

// OptIn is the evidence that the shopper agreed to WhatsApp messages: WhatsApp's rules require it
// before any proactive message.
type OptIn struct {
	At     time.Time `json:"at"`
	Source string    `json:"source"`
}

// Settings are the deployment settings copied into the flow when it starts, so that a change of
// configuration never changes a flow already running.
type Settings struct {
	ReplyWindow time.Duration `json:"reply_window"`
	CouponCode  string        `json:"coupon_code"`
	// ReplyGrace is how long after the reply deadline a reply sent by it may still arrive and
	// count (Meta retries webhooks); 0 is none.
	ReplyGrace Duration `json:"reply_grace,omitempty"`
	// SendDelay is how long after the cart the template goes (0: at once); QuietHours when, in the
	// shopper's local time, it never goes ("21:00-09:00"; "" is none). See PlanSend.
	SendDelay  Duration `json:"send_delay,omitempty"`
	QuietHours string   `json:"quiet_hours,omitempty"`
	// CouponDiscount is what the coupon text says the code gives ("10%"): CARTBACK_COUPON_DISCOUNT.
	CouponDiscount string `json:"coupon_discount,omitempty"`
	// Messages are the shopper's locale's template and texts (see Messages); nil in flows started
	// before the messages file, which get the default file's fallback locale.
	Messages *Messages `json:"messages,omitempty"`
	// CouponMode is CARTBACK_COUPON_MODE: generic (CouponCode for everyone), derived or storefront
	// (each cart's own code, couponChange).
	CouponMode string `json:"coupon_mode,omitempty"`
}

// Reply is an inbound WhatsApp message from the shopper, as the HTTP edge received it.
type Reply struct {
	MessageID string    `json:"message_id"`        // Meta's wamid: the dedupe key
	Kind      string    `json:"kind"`              // text, button or interactive
	Text      string    `json:"text,omitempty"`    // typed text, or the tapped button's label
	Payload   string    `json:"payload,omitempty"` // quick-reply payload or interactive reply id
	At        time.Time `json:"at,omitzero"`       // when the shopper sent it (Meta's timestamp)
	// From is the sender's wa_id as Meta reported it (digits), where the message carried one: Meta
	// guarantees a message to that wa_id reaches the shopper, so the follow-up goes there.
	From string `json:"from,omitempty"`
}

// Status is a delivery status Meta reported for one of our messages.
type Status struct {
	MessageID string        `json:"message_id"`
	Status    string        `json:"status"` // sent, delivered, read or failed
	At        time.Time     `json:"at,omitzero"`
	Errors    []StatusError `json:"errors,omitempty"`
	// Step is the send it is about (StepTemplate, StepFollowUp), read from the callback data;
	// empty for sends made before steps were named.
	Step string `json:"step,omitempty"`
}

// StatusError is one entry of a failed status's errors.
type StatusError struct {
	Code  int    `json:"code"`
	Title string `json:"title,omitempty"`
}

// OptOut tells a flow that its customer may no longer be messaged: a stop keyword or button, Meta's
// user_preferences "stop", or the storefront. The edge records the suppression before signalling.
type OptOut struct {
	Reason    string    `json:"reason"`               // the suppression's reason, as the store names it
	MessageID string    `json:"message_id,omitempty"` // the shopper's message, when one said stop
	At        time.Time `json:"at,omitzero"`
}

// NumberChanged tells a flow that Meta reported its customer's number changed (user_changed_number).
type NumberChanged struct {
	MessageID string    `json:"message_id,omitempty"` // Meta's system message
	At        time.Time `json:"at,omitzero"`
}

// ReasonNumberChanged is the reason of a flow cancelled because its customer's number changed.
const ReasonNumberChanged = "number_changed"

// Purchase tells a flow that the cart was bought.
type Purchase struct {
	OrderID string    `json:"order_id,omitempty"`
	At      time.Time `json:"at,omitzero"`
	// TotalMinor is what the order brought, in minor units of Currency, when the storefront said
	// (Currency is then set): for the ledger, not the flow.
	TotalMinor int64  `json:"total_minor,omitempty"`
	Currency   string `json:"currency,omitempty"`
}

// Outcome is how a flow ended.
type Outcome string

// The outcomes. A flow ends with exactly one.
const (
	OutcomeReminderSent  Outcome = "reminder_sent"
	OutcomeCouponSent    Outcome = "coupon_sent"
	OutcomeNoReply       Outcome = "no_reply"
	OutcomePurchased     Outcome = "purchased"
	OutcomeUndeliverable Outcome = "undeliverable"
	OutcomeOptedOut      Outcome = "opted_out"
	OutcomeCancelled     Outcome = "cancelled"
	OutcomeFailed        Outcome = "failed"
	// OutcomeWindowExpired: the follow-up could not reach Meta within 24 hours of the shopper's
	// last message (Meta's customer service window); nothing late was sent.
	OutcomeWindowExpired Outcome = "window_expired"
)

// Result is the workflow's result.
type Result struct {
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason,omitempty"`
}

// Step is where a running flow is.
type Step string

// The steps, in order.
const (
	StepSendingTemplate Step = "sending_template"
	StepAwaitingReply   Step = "awaiting_reply"
	StepSendingFollowUp Step = "sending_follow_up"
	StepDone            Step = "done"
)

// State answers the state query.
type State struct {
	CartID              string     `json:"cart_id"`
	Step                Step       `json:"step"`
	TemplateMessageID   string     `json:"template_message_id,omitempty"`
	TemplateSentAt      time.Time  `json:"template_sent_at,omitzero"`
	TemplateStatus      string     `json:"template_status,omitempty"` // the latest status Meta reported
	ReplyDeadline       time.Time  `json:"reply_deadline,omitzero"`
	Reply               *Reply     `json:"reply,omitempty"` // the reply that decided the branch
	ReplyClass          ReplyClass `json:"reply_class,omitempty"`
	UnrecognisedReplies []Reply    `json:"unrecognised_replies,omitempty"` // the first few only
	FollowUpMessageID   string     `json:"follow_up_message_id,omitempty"`
	Outcome             Outcome    `json:"outcome,omitempty"`
	Reason              string     `json:"reason,omitempty"`

	// ScheduledAt is when the template's send was scheduled; IgnoredReplies are replies not
	// counted by their timestamp (the first few).
	ScheduledAt    time.Time      `json:"scheduled_at,omitzero"`
	IgnoredReplies []IgnoredReply `json:"ignored_replies,omitempty"`
	ScheduledWhy   string         `json:"scheduled_why,omitempty"` // WhyAtOnce, WhyDelay, WhyQuietHours
	// ClarificationMessageID is the "Reply 1 or 2" sent after the first unrecognised reply.
	ClarificationMessageID string `json:"clarification_message_id,omitempty"`
	// CouponCode is the code the coupon sent, under couponChange.
	CouponCode string `json:"coupon_code,omitempty"`
}

// Activity requests and results.

// TemplateRequest asks the shopper the question.
type TemplateRequest struct {
	CallbackData string   `json:"callback_data"` // echoed by Meta in status webhooks: see CallbackData
	CartID       string   `json:"cart_id"`
	Customer     Customer `json:"customer"`
	// TemplateName and TemplateLanguage are the locale's template; empty, the worker's own.
	TemplateName     string `json:"template_name,omitempty"`
	TemplateLanguage string `json:"template_language,omitempty"`
}

// ReminderRequest sends the cart reminder (items and link), after a positive reply.
type ReminderRequest struct {
	CallbackData string `json:"callback_data"`
	Phone        string `json:"phone"`
	Cart         Cart   `json:"cart"`
	// Name and Messages are the shopper's, under localeChange; without them, the default texts.
	Name     string    `json:"name,omitempty"`
	Messages *Messages `json:"messages,omitempty"`
}

// CouponRequest sends the coupon code, after a negative reply.
type CouponRequest struct {
	CallbackData string `json:"callback_data"`
	Phone        string `json:"phone"`
	CartURL      string `json:"cart_url"`
	CouponCode   string `json:"coupon_code"`
	// Name, Discount and Messages are the shopper's, under localeChange; without them, the
	// default texts and discount.
	Name     string    `json:"name,omitempty"`
	Discount string    `json:"discount,omitempty"`
	Messages *Messages `json:"messages,omitempty"`
}

// SendResult is what a send activity returns: Meta's message id.
type SendResult struct {
	MessageID string `json:"message_id"`
}

// OutcomeReport is the end of a flow as reported to the storefront by the Stop activity.
type OutcomeReport struct {
	EventID string    `json:"event_id"` // stable across retries of one report
	CartID  string    `json:"cart_id"`
	Outcome Outcome   `json:"outcome"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`

	// CouponCode is the code the coupon sent (couponChange), for the storefront to honour.
	CouponCode string `json:"coupon_code,omitempty"`
}

// SendErrorType is the ApplicationError type of a send that Meta refused; its details hold a
// SendFailure, so that the workflow can tell why without parsing messages.
const SendErrorType = "WhatsAppSendError"

// SuppressedErrorType is the ApplicationError type of a send refused because the customer is
// suppressed: the check right before every send found them in cartback's store. Its detail is the
// suppression's reason, a string.
const SuppressedErrorType = "CustomerSuppressed"

// TemplateRecord is the request of RecordTemplateActivity. The activity keys the store by the
// phone's customer key: the workflow holds no ID key.
type TemplateRecord struct {
	Phone     string    `json:"phone"`
	MessageID string    `json:"message_id"`
	At        time.Time `json:"at"` // when Meta accepted the template
}

// CodeMarketingOptOut is Meta's error code for a shopper who stopped marketing messages from
// businesses: at send or in a failed status, it ends the flow opted_out and suppresses the customer.
const CodeMarketingOptOut = 131050

// SendFailure is the detail of a SendErrorType error.
type SendFailure struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}
