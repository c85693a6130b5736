package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Parse errors.
var (
	// ErrMalformedPayload: the body is not JSON of the webhook's shape.
	ErrMalformedPayload = errors.New("webhook: malformed payload")
	// ErrUnexpectedObject: valid JSON, but not a WhatsApp Business Account notification (another Meta
	// product on the same app). Acknowledge it and drop it; Meta would retry a non-2xx answer.
	ErrUnexpectedObject = errors.New("webhook: not a whatsapp_business_account notification")
)

// objectWABA is the only "object" WhatsApp Cloud API webhooks carry.
const objectWABA = "whatsapp_business_account"

// Payload is one webhook body whose top level was decoded. Read it through Events, which decodes each
// entry, change and item on its own.
type Payload struct {
	// Object is the top-level "object"; always "whatsapp_business_account" for a Payload Parse returned.
	Object  string
	entries []json.RawMessage
}

// Parse decodes a webhook body's top level (object "whatsapp_business_account", entry[]) strictly enough
// to never panic and leniently enough to accept fields Meta adds later (unknown fields are fine here).
// Only a body that is not JSON, or whose top level is not an object with an "entry" array, is an error:
// the entries, changes and items inside are decoded one by one by Events, so that one oddly typed field
// loses only its own item, never the other customers' replies batched with it.
func Parse(rawBody []byte) (*Payload, error) {
	if len(bytes.TrimSpace(rawBody)) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrMalformedPayload)
	}
	var w wirePayload
	if err := json.Unmarshal(rawBody, &w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedPayload, err)
	}
	if w.Object != objectWABA {
		return nil, fmt.Errorf("%w: object %q", ErrUnexpectedObject, w.Object)
	}
	return &Payload{Object: w.Object, entries: w.Entry}, nil
}

// The wire* types mirror Meta's JSON ("messages webhook reference", "Status messages webhook reference",
// "user_preferences webhook reference", "Errors webhook reference"). They only name the fields we read;
// encoding/json skips the rest (pricing, conversation, identity_key_hash, ...), which is what lets
// Meta add fields without breaking us. Each level holds the next as raw JSON, decoded on its own.

type wirePayload struct {
	Object string            `json:"object"`
	Entry  []json.RawMessage `json:"entry"`
}

type wireEntry struct {
	ID      string            `json:"id"` // WhatsApp Business Account ID
	Changes []json.RawMessage `json:"changes"`
}

type wireChange struct {
	Field string          `json:"field"` // "messages", "user_preferences", "calls", "message_template_status_update", ...
	Value json.RawMessage `json:"value"` // a wireValue for messages and user_preferences, a wireNotice for most others
}

// wireNotice is the value of a notification about the account, a template or the number rather than a
// conversation (no metadata): the fields that say what happened, each named in the reference of the
// fields that carry it.
type wireNotice struct {
	Event            string `json:"event"`                     // APPROVED, PAUSED, DISABLED, FLAGGED, ACCOUNT_VIOLATION, PIN_CHANGED, ...
	TemplateName     string `json:"message_template_name"`     // template notifications
	TemplateLanguage string `json:"message_template_language"` // template notifications
	Reason           string `json:"reason"`                    // message_template_status_update
	NewCategory      string `json:"new_category"`              // template_category_update
	CurrentLimit     string `json:"current_limit"`             // phone_number_quality_update
	NewQualityScore  string `json:"new_quality_score"`         // message_template_quality_update: GREEN, YELLOW, RED, UNKNOWN
	Decision         string `json:"decision"`                  // account_review_update, phone_number_name_update
	RejectionReason  string `json:"rejection_reason"`          // phone_number_name_update
	Status           string `json:"status"`                    // business_username_update, payment_configuration_update
	AlertInfo        struct {
		Severity string `json:"alert_severity"` // CRITICAL, WARNING, INFORMATIONAL
		Type     string `json:"alert_type"`
	} `json:"alert_info"` // account_alerts
}

type wireValue struct {
	MessagingProduct string            `json:"messaging_product"`
	Metadata         wireMetadata      `json:"metadata"`
	Contacts         []json.RawMessage `json:"contacts"`
	Messages         []json.RawMessage `json:"messages"`
	Statuses         []json.RawMessage `json:"statuses"`
	UserPreferences  []json.RawMessage `json:"user_preferences"`
	Errors           []json.RawMessage `json:"errors"`
}

type wireMetadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

// wireContact is one contacts[] entry: who a change's messages are from, or its statuses to. Since
// Meta's business-scoped user IDs, wa_id (the number) may be missing and user_id (the BSUID) is set.
// The parent BSUIDs (parent_user_id, from_parent_user_id, recipient_parent_user_id, "US.ENT.…") are
// not read: Meta sends them only to portfolios enrolled in a parent BSUID account, always beside the
// portfolio's own user_id, which is what cartback pairs. Nor is profile.username: a display handle
// that the user may change, never an identity.
type wireContact struct {
	WaID   string `json:"wa_id"`
	UserID string `json:"user_id"`
}

type wireMessage struct {
	ID          string           `json:"id"`
	From        string           `json:"from"`         // the sender's number; missing for some username users
	FromUserID  string           `json:"from_user_id"` // the sender's BSUID
	GroupID     string           `json:"group_id"`     // set on a message sent in a group
	System      *wireSystem      `json:"system"`
	Timestamp   unixTime         `json:"timestamp"`
	Type        string           `json:"type"`
	Context     *wireContext     `json:"context"`
	Text        *wireText        `json:"text"`
	Button      *wireButton      `json:"button"`
	Interactive *wireInteractive `json:"interactive"`
	Errors      []wireError      `json:"errors"` // set on type "unsupported"
}

// wireSystem is a system message: the user changed number (user_changed_number: wa_id is the new
// number) or business-scoped user id (user_changed_user_id), with the previous user id beside the new.
type wireSystem struct {
	Type           string `json:"type"`
	Body           string `json:"body"`
	WaID           string `json:"wa_id"`
	UserID         string `json:"user_id"`
	PreviousUserID string `json:"previous_user_id"`
}

type wireContext struct {
	From string `json:"from"`
	ID   string `json:"id"` // wamid of the message being answered
}

type wireText struct {
	Body string `json:"body"`
}

// wireButton is a tap on a template's quick-reply button.
type wireButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

// wireInteractive is a reply to an interactive message we sent: Type is "button_reply" or "list_reply"
// (or types we do not act on, such as "nfm_reply" for Flows).
type wireInteractive struct {
	Type        string     `json:"type"`
	ButtonReply *wireReply `json:"button_reply"`
	ListReply   *wireReply `json:"list_reply"`
}

type wireReply struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"` // list rows only
}

type wireStatus struct {
	ID           string      `json:"id"` // wamid of our message
	Status       string      `json:"status"`
	Timestamp    unixTime    `json:"timestamp"`
	RecipientID  string      `json:"recipient_id"`
	RecipientUID string      `json:"recipient_user_id"` // the recipient's BSUID
	CallbackData string      `json:"biz_opaque_callback_data"`
	Errors       []wireError `json:"errors"`
}

type wireUserPreference struct {
	WaID      string   `json:"wa_id"`
	UserID    string   `json:"user_id"`
	Detail    string   `json:"detail"`
	Category  string   `json:"category"`
	Value     string   `json:"value"`
	Timestamp unixTime `json:"timestamp"` // a JSON number here, unlike messages and statuses
}

type wireError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
	Href string `json:"href"`
}
