package whatsapp

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxCallbackData is Meta's limit, in characters, on biz_opaque_callback_data.
const maxCallbackData = 512

// TemplateMessage is an approved template to send outside the 24h customer
// service window (the only kind of message allowed there).
type TemplateMessage struct {
	To           string   // E.164, e.g. "+16505551234"; sent as digits without '+'
	Name         string   // template name
	Language     string   // template language code, e.g. "en_US"
	BodyParams   []string // body component text parameters, in order
	QuickReplies []string // quick-reply button payloads; element i goes to button index "i"
	CallbackData string   // biz_opaque_callback_data, echoed in status webhooks (omitted when empty)
}

// TextMessage is a free-form text, deliverable only inside the 24h customer
// service window (otherwise Meta answers 131047).
type TextMessage struct {
	To           string // E.164, e.g. "+16505551234"; sent as digits without '+'
	Body         string // message text
	PreviewURL   bool   // render a link preview for the first URL in Body
	CallbackData string // biz_opaque_callback_data, echoed in status webhooks (omitted when empty)
}

// SendTemplate sends m and returns Meta's message id (wamid).
func (c *Client) SendTemplate(ctx context.Context, m TemplateMessage) (wamid string, err error) {
	req, err := buildTemplate(m)
	if err != nil {
		return "", err
	}
	return c.send(ctx, req)
}

// SendText sends m and returns Meta's message id (wamid).
func (c *Client) SendText(ctx context.Context, m TextMessage) (wamid string, err error) {
	req, err := buildText(m)
	if err != nil {
		return "", err
	}
	return c.send(ctx, req)
}

// The wire types below mirror Meta's POST /{phone-number-id}/messages body.

type sendRequest struct {
	MessagingProduct string        `json:"messaging_product"`
	RecipientType    string        `json:"recipient_type"`
	To               string        `json:"to"`
	Type             string        `json:"type"`
	CallbackData     string        `json:"biz_opaque_callback_data,omitempty"`
	Template         *templateBody `json:"template,omitempty"`
	Text             *textBody     `json:"text,omitempty"`
}

type templateBody struct {
	Name       string      `json:"name"`
	Language   language    `json:"language"`
	Components []component `json:"components,omitempty"`
}

type language struct {
	Code string `json:"code"`
}

type component struct {
	Type       string      `json:"type"`
	SubType    string      `json:"sub_type,omitempty"`
	Index      string      `json:"index,omitempty"`
	Parameters []parameter `json:"parameters"`
}

type parameter struct {
	Type    string `json:"type"`
	Text    string `json:"text,omitempty"`
	Payload string `json:"payload,omitempty"`
}

type textBody struct {
	PreviewURL bool   `json:"preview_url"`
	Body       string `json:"body"`
}

// buildTemplate validates m and turns it into Meta's request body.
func buildTemplate(m TemplateMessage) (*sendRequest, error) {
	to, err := recipient(m.To)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(m.Name) == "" {
		return nil, invalid("template name is empty")
	}
	if strings.TrimSpace(m.Language) == "" {
		return nil, invalid("template language is empty")
	}
	if err := checkCallbackData(m.CallbackData); err != nil {
		return nil, err
	}
	tpl := &templateBody{Name: m.Name, Language: language{Code: m.Language}}
	if len(m.BodyParams) > 0 {
		body := component{Type: "body"}
		for i, p := range m.BodyParams {
			// Meta rejects an empty text parameter (131008); failing here
			// keeps a data bug from looking like a Meta outage.
			if p == "" {
				return nil, invalid(fmt.Sprintf("body parameter %d is empty", i))
			}
			body.Parameters = append(body.Parameters, parameter{Type: "text", Text: p})
		}
		tpl.Components = append(tpl.Components, body)
	}
	for i, payload := range m.QuickReplies {
		if payload == "" {
			return nil, invalid(fmt.Sprintf("quick reply %d payload is empty", i))
		}
		tpl.Components = append(tpl.Components, component{
			Type:       "button",
			SubType:    "quick_reply",
			Index:      strconv.Itoa(i),
			Parameters: []parameter{{Type: "payload", Payload: payload}},
		})
	}
	return &sendRequest{
		MessagingProduct: "whatsapp",
		RecipientType:    "individual",
		To:               to,
		Type:             "template",
		CallbackData:     m.CallbackData,
		Template:         tpl,
	}, nil
}

// buildText validates m and turns it into Meta's request body.
func buildText(m TextMessage) (*sendRequest, error) {
	to, err := recipient(m.To)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(m.Body) == "" {
		return nil, invalid("text body is empty")
	}
	if err := checkCallbackData(m.CallbackData); err != nil {
		return nil, err
	}
	return &sendRequest{
		MessagingProduct: "whatsapp",
		RecipientType:    "individual",
		To:               to,
		Type:             "text",
		CallbackData:     m.CallbackData,
		Text:             &textBody{PreviewURL: m.PreviewURL, Body: m.Body},
	}, nil
}

// recipient turns an E.164 number into the digits-only form Meta's samples
// use. Anything but an optional leading '+' and digits is refused rather than
// guessed at: a wrong number means a message to a stranger.
func recipient(to string) (string, error) {
	digits := strings.TrimPrefix(strings.TrimSpace(to), "+")
	if digits == "" {
		return "", invalid("recipient (To) is empty")
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return "", invalid(fmt.Sprintf("recipient %q is not an E.164 number", to))
		}
	}
	return digits, nil
}

// checkCallbackData enforces Meta's length limit locally so an oversized
// value fails as a caller bug instead of a Meta 400.
func checkCallbackData(s string) error {
	if n := utf8.RuneCountInString(s); n > maxCallbackData {
		return invalid(fmt.Sprintf("callback data is %d characters, Meta allows %d", n, maxCallbackData))
	}
	return nil
}

// invalid wraps ErrInvalidMessage so Classify reports RetryNever.
func invalid(why string) error {
	return fmt.Errorf("%w: %s", ErrInvalidMessage, why)
}
