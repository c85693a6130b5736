package fakegraph

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is one send the fake accepted.
type Message struct {
	ID           string    // the wamid answered to the sender
	To           string    // recipient as digits, without '+' (Meta's wa_id)
	Type         string    // "template", "text", or another Cloud API type
	Template     *Template // decoded template, for Type "template"
	Text         *Text     // decoded text, for Type "text"
	CallbackData string    // biz_opaque_callback_data, "" when absent
	Raw          []byte    // the request body exactly as received
	At           time.Time // when the fake accepted it
}

// Template is the decoded template of a template send.
type Template struct {
	Name       string   // template name
	Language   string   // language.code, e.g. "en_US"
	BodyParams []string // body component parameters in order (text value; "" for non-text kinds)
	// QuickReplies holds quick-reply payloads by button index: element i is
	// the payload sent for index "i" ("" for an index that was not sent).
	QuickReplies []string
}

// Text is the decoded text of a text send.
type Text struct {
	Body       string
	PreviewURL bool
}

// maxTextBody is Meta's limit on text.body, in characters.
const maxTextBody = 4096

// otherTypes are the Cloud API message types the fake accepts without
// decoding; the sandbox may need them even though cartback sends none yet.
func otherTypes() []string {
	return []string{"audio", "contacts", "document", "image", "interactive", "location", "reaction", "sticker", "video"}
}

// wireRequest is the envelope of POST /{phone-number-id}/messages.
type wireRequest struct {
	MessagingProduct *string       `json:"messaging_product"`
	RecipientType    *string       `json:"recipient_type"`
	To               string        `json:"to"`
	Type             *string       `json:"type"`
	CallbackData     string        `json:"biz_opaque_callback_data"`
	Template         *wireTemplate `json:"template"`
	Text             *wireText     `json:"text"`
}

type wireTemplate struct {
	Name     string `json:"name"`
	Language *struct {
		Code string `json:"code"`
	} `json:"language"`
	Components []struct {
		Type       string          `json:"type"`
		SubType    string          `json:"sub_type"`
		Index      json.RawMessage `json:"index"` // Meta accepts "0" and 0
		Parameters []struct {
			Type    string  `json:"type"`
			Text    *string `json:"text"`
			Payload *string `json:"payload"`
		} `json:"parameters"`
	} `json:"components"`
}

type wireText struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url"`
}

// decode validates a request body the way Meta does and returns the message
// it describes (ID and At are left for the caller) and "to" exactly as sent,
// which Meta echoes as contacts[].input. The error is ready to be written.
func decode(body []byte) (msg Message, input string, gerr *graphError) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return Message{}, "", invalidParam("request body is not a JSON object: " + err.Error())
	}
	var req wireRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return Message{}, "", invalidParam(err.Error())
	}
	switch {
	case req.MessagingProduct == nil:
		return Message{}, "", invalidParam("The parameter messaging_product is required.")
	case *req.MessagingProduct != "whatsapp":
		return Message{}, "", invalidParam(fmt.Sprintf("Param messaging_product must be one of {WHATSAPP} - got %q.", *req.MessagingProduct))
	case req.RecipientType != nil && *req.RecipientType != "individual":
		return Message{}, "", invalidParam(fmt.Sprintf("Param recipient_type must be one of {INDIVIDUAL} - got %q.", *req.RecipientType))
	}
	if strings.TrimSpace(req.To) == "" {
		return Message{}, "", missingParam("The parameter to is required.")
	}
	to, ok := Digits(req.To)
	if !ok {
		return Message{}, "", invalidParam(fmt.Sprintf("Param to %q is not a valid phone number.", req.To))
	}
	typ := "text" // Meta's default when type is omitted
	if req.Type != nil {
		typ = *req.Type
	}
	msg = Message{To: to, Type: typ, CallbackData: req.CallbackData, Raw: body}
	switch {
	case typ == "template":
		tpl, terr := decodeTemplate(req.Template)
		if terr != nil {
			return Message{}, "", terr
		}
		msg.Template = tpl
	case typ == "text":
		if req.Text == nil || strings.TrimSpace(req.Text.Body) == "" {
			return Message{}, "", missingParam("The parameter text['body'] is required.")
		}
		if utf8.RuneCountInString(req.Text.Body) > maxTextBody {
			return Message{}, "", invalidParam(fmt.Sprintf("Param text['body'] must be at most %d characters long.", maxTextBody))
		}
		msg.Text = &Text{Body: req.Text.Body, PreviewURL: req.Text.PreviewURL}
	case slices.Contains(otherTypes(), typ):
		if _, ok := fields[typ]; !ok {
			return Message{}, "", missingParam(fmt.Sprintf("The parameter %s is required.", typ))
		}
	default:
		return Message{}, "", invalidParam(fmt.Sprintf("Param type must be one of {%s} - got %q.", knownTypes(), typ))
	}
	return msg, req.To, nil
}

// decodeTemplate validates the template object and flattens it.
func decodeTemplate(w *wireTemplate) (*Template, *graphError) {
	switch {
	case w == nil:
		return nil, missingParam("The parameter template is required.")
	case strings.TrimSpace(w.Name) == "":
		return nil, missingParam("The parameter template['name'] is required.")
	case w.Language == nil || strings.TrimSpace(w.Language.Code) == "":
		return nil, missingParam("The parameter template['language']['code'] is required.")
	}
	tpl := &Template{Name: w.Name, Language: w.Language.Code}
	for ci, c := range w.Components {
		switch strings.ToLower(c.Type) {
		case "body":
			for pi, p := range c.Parameters {
				if p.Type == "text" && (p.Text == nil || *p.Text == "") {
					return nil, missingParam(fmt.Sprintf("Parameter of type text is missing text value (component %d, parameter %d).", ci, pi))
				}
				text := ""
				if p.Text != nil {
					text = *p.Text
				}
				tpl.BodyParams = append(tpl.BodyParams, text)
			}
		case "button":
			if c.SubType != "quick_reply" {
				continue // url/copy_code buttons carry nothing the fake reports
			}
			idx, ok := buttonIndex(c.Index)
			if !ok {
				return nil, invalidParam(fmt.Sprintf("Button index %s of component %d must be an integer from 0 to 9.", string(c.Index), ci))
			}
			if len(c.Parameters) == 0 || c.Parameters[0].Type != "payload" || c.Parameters[0].Payload == nil {
				return nil, missingParam(fmt.Sprintf("Quick reply button %d requires a payload parameter.", idx))
			}
			for len(tpl.QuickReplies) <= idx {
				tpl.QuickReplies = append(tpl.QuickReplies, "")
			}
			tpl.QuickReplies[idx] = *c.Parameters[0].Payload
		case "header":
			// Accepted and not decoded: cartback templates have no header
			// variables, Raw keeps them for whoever needs them.
		default:
			return nil, invalidParam(fmt.Sprintf("Component %d has invalid type %q.", ci, c.Type))
		}
	}
	return tpl, nil
}

// buttonIndex reads a button index sent as "0" or 0; Meta allows 0 to 9.
func buttonIndex(raw json.RawMessage) (int, bool) {
	s := strings.Trim(string(raw), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 9 {
		return 0, false
	}
	return n, true
}

// knownTypes lists the accepted message types for error messages.
func knownTypes() string {
	names := append([]string{"template", "text"}, otherTypes()...)
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// Digits normalizes a phone number to Meta's wa_id form: digits only, no
// '+'. Spaces, dashes, dots and parentheses are dropped so numbers typed in
// a sandbox UI still match; it reports false when anything else is present
// or no digit is left.
func Digits(phone string) (string, bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}
