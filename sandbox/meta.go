package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// The wire types below are Meta's webhook payload, field for field and in Meta's order, as in the
// samples in whatsapp/webhook/testdata (webhook_text_reply.json, webhook_button_template_quick_reply.json,
// webhook_status_delivered.json).

type wirePayload struct {
	Object string      `json:"object"`
	Entry  []wireEntry `json:"entry"`
}

type wireEntry struct {
	ID      string       `json:"id"`
	Changes []wireChange `json:"changes"`
}

type wireChange struct {
	Value wireValue `json:"value"`
	Field string    `json:"field"`
}

type wireValue struct {
	MessagingProduct string        `json:"messaging_product"`
	Metadata         wireMetadata  `json:"metadata"`
	Contacts         []wireContact `json:"contacts,omitempty"`
	Messages         []wireMessage `json:"messages,omitempty"`
	Statuses         []wireStatus  `json:"statuses,omitempty"`
}

type wireMetadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

type wireContact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID string `json:"wa_id"`
}

type wireMessage struct {
	Context   *wireContext `json:"context,omitempty"`
	From      string       `json:"from"`
	ID        string       `json:"id"`
	Timestamp string       `json:"timestamp"`
	Type      string       `json:"type"`
	Text      *wireText    `json:"text,omitempty"`
	Button    *wireButton  `json:"button,omitempty"`
}

type wireContext struct {
	From string `json:"from"` // our display number: the message answered is ours
	ID   string `json:"id"`
}

type wireText struct {
	Body string `json:"body"`
}

type wireButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

// wireStatus carries pricing and no conversation object: since per-message pricing (July 2025)
// Meta leaves conversation out except for free entry point conversations, as its sample shows.
type wireStatus struct {
	ID           string      `json:"id"`
	Status       string      `json:"status"`
	Timestamp    string      `json:"timestamp"`
	RecipientID  string      `json:"recipient_id"`
	CallbackData string      `json:"biz_opaque_callback_data,omitempty"`
	Pricing      wirePricing `json:"pricing"`
}

type wirePricing struct {
	Billable     bool   `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Category     string `json:"category"`
	Type         string `json:"type"`
}

// envelope wraps one change value as Meta posts it.
func (s *Sandbox) envelope(v wireValue) wirePayload {
	v.MessagingProduct = "whatsapp"
	v.Metadata = wireMetadata{DisplayPhoneNumber: s.opts.DisplayPhoneNumber, PhoneNumberID: s.opts.PhoneNumberID}
	return wirePayload{
		Object: "whatsapp_business_account",
		Entry:  []wireEntry{{ID: s.opts.WABAID, Changes: []wireChange{{Value: v, Field: "messages"}}}},
	}
}

// unixString is Meta's timestamp in messages and statuses: Unix seconds as a JSON string.
func unixString(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// metaJSON serialises v as Meta does: non-ASCII escaped as \uXXXX and '/' as "\/". Our server must
// verify the signature over the raw bytes; a body that only round-trips through encoding/json
// would hide a server that re-encodes before verifying.
func metaJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	raw := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	// Outside strings JSON holds neither '/' nor non-ASCII, so escaping every occurrence only
	// touches string contents.
	out := make([]byte, 0, len(raw)+len(raw)/8)
	for _, r := range string(raw) {
		switch {
		case r == '/':
			out = append(out, '\\', '/')
		case r < 0x80:
			out = append(out, byte(r))
		default:
			for _, u := range utf16.Encode([]rune{r}) {
				out = fmt.Appendf(out, `\u%04x`, u)
			}
		}
	}
	return out, nil
}

// signature is X-Hub-Signature-256 for body: HMAC-SHA256 with the app secret, hex, "sha256=" prefix.
func signature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// WebhookError is a webhook post our server did not accept: it answered StatusCode (not 2xx), or
// could not be reached (StatusCode 0, Err set).
type WebhookError struct {
	StatusCode int    // our server's answer; 0 when there was none
	Body       string // the start of its answer, for the error message
	Err        error  // the transport error when StatusCode is 0
}

// Error says what our server answered.
func (e *WebhookError) Error() string {
	if e.StatusCode == 0 {
		return fmt.Sprintf("sandbox: webhook unreachable: %v", e.Err)
	}
	if e.Body == "" {
		return fmt.Sprintf("sandbox: webhook answered %d", e.StatusCode)
	}
	return fmt.Sprintf("sandbox: webhook answered %d: %s", e.StatusCode, e.Body)
}

// Unwrap returns the transport error, if any.
func (e *WebhookError) Unwrap() error { return e.Err }

// maxAnswerExcerpt caps how much of our server's answer an error keeps.
const maxAnswerExcerpt = 300

// post signs body and POSTs it to the webhook URL once. Any non-2xx is a *WebhookError.
func (s *Sandbox) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opts.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return &WebhookError{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "facebookexternalua") // Meta's webhook user agent
	req.Header.Set("X-Hub-Signature-256", signature(s.opts.AppSecret, body))
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return &WebhookError{Err: err}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerExcerpt))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &WebhookError{StatusCode: resp.StatusCode, Body: strings.ToValidUTF8(string(bytes.TrimSpace(answer)), "")}
	}
	return nil
}
