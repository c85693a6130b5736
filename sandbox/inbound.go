package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cartback/cartback/whatsapp/fakegraph"
)

// ErrInvalid is wrapped by the errors of Reply and Tap for input that cannot be a shopper's message:
// an empty text, a phone that is not a number, a tap on a message or button that does not exist.
var ErrInvalid = errors.New("sandbox: invalid reply")

// maxTextLen is WhatsApp's limit on a text message, in characters.
const maxTextLen = 4096

// defaultProfileName is the shopper's WhatsApp profile name when no template named them.
const defaultProfileName = "Sandbox Shopper"

// Reply posts a text message from the shopper at phone to our webhook, exactly as Meta would, and
// records it. A phone with no conversation yet is fine: shoppers may write first. Errors: ErrInvalid
// (wrapped), *WebhookError when our server did not accept it.
func (s *Sandbox) Reply(ctx context.Context, phone, text string) error {
	_, err := s.reply(ctx, phone, text)
	return err
}

// Tap posts the shopper's tap on quick-reply button (by index) of the template messageID we sent
// to phone, with that send's payload and the button's label, and records it. Errors: ErrInvalid
// (wrapped) for an unknown phone, message or button; *WebhookError when our server did not accept it.
func (s *Sandbox) Tap(ctx context.Context, phone, messageID string, button int) error {
	_, err := s.tap(ctx, phone, messageID, button)
	return err
}

// reply is Reply, also returning the new message's wamid.
func (s *Sandbox) reply(ctx context.Context, phone, text string) (string, error) {
	waID, ok := fakegraph.Digits(phone)
	if !ok {
		return "", fmt.Errorf("%w: phone %q is not a phone number", ErrInvalid, phone)
	}
	switch {
	case strings.TrimSpace(text) == "":
		return "", fmt.Errorf("%w: text is empty", ErrInvalid)
	case !utf8.ValidString(text):
		return "", fmt.Errorf("%w: text is not UTF-8", ErrInvalid)
	case utf8.RuneCountInString(text) > maxTextLen:
		return "", fmt.Errorf("%w: text is longer than %d characters", ErrInvalid, maxTextLen)
	}
	msg := wireMessage{Type: KindText, Text: &wireText{Body: text}}
	e := Entry{Kind: KindText, Text: text}
	return s.send(ctx, waID, msg, e)
}

// tap is Tap, also returning the new message's wamid.
func (s *Sandbox) tap(ctx context.Context, phone, messageID string, index int) (string, error) {
	waID, ok := fakegraph.Digits(phone)
	if !ok {
		return "", fmt.Errorf("%w: phone %q is not a phone number", ErrInvalid, phone)
	}
	b, err := s.findButton(waID, messageID, index)
	if err != nil {
		return "", err
	}
	msg := wireMessage{
		Context: &wireContext{From: s.opts.DisplayPhoneNumber, ID: messageID},
		Type:    KindButton,
		Button:  &wireButton{Payload: b.Payload, Text: b.Label},
	}
	e := Entry{Kind: KindButton, Text: b.Label, Buttons: []Button{b}, ContextID: messageID}
	return s.send(ctx, waID, msg, e)
}

// findButton finds button index of our template messageID in waID's conversation.
func (s *Sandbox) findButton(waID, messageID string, index int) (Button, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[waID]
	if !ok {
		return Button{}, fmt.Errorf("%w: no conversation with +%s", ErrInvalid, waID)
	}
	for _, e := range c.entries {
		if e.MessageID != messageID || e.Direction != DirectionOut {
			continue
		}
		if e.Kind != KindTemplate {
			return Button{}, fmt.Errorf("%w: message %s is a %s, not a template with buttons", ErrInvalid, messageID, e.Kind)
		}
		for _, b := range e.Buttons {
			if b.Index == index {
				return b, nil
			}
		}
		return Button{}, fmt.Errorf("%w: template %s has no quick-reply button %d (it has %d)", ErrInvalid, messageID, index, len(e.Buttons))
	}
	return Button{}, fmt.Errorf("%w: we sent no message %q to +%s", ErrInvalid, messageID, waID)
}

// send completes msg as the shopper's, records it, posts it signed and records the outcome. It is
// recorded before the post so that it precedes, in the conversation, whatever our server answers.
func (s *Sandbox) send(ctx context.Context, waID string, msg wireMessage, e Entry) (string, error) {
	now := s.opts.Now()
	msg.ID = s.newMessageID(waID)
	msg.From = waID
	msg.Timestamp = unixString(now)
	e.Direction, e.MessageID, e.At = DirectionIn, msg.ID, now

	s.mu.Lock()
	name := profileName(s.convs[waID])
	s.add(waID, e)
	s.mu.Unlock()

	contact := wireContact{WaID: waID}
	contact.Profile.Name = name
	body, err := metaJSON(s.envelope(wireValue{Contacts: []wireContact{contact}, Messages: []wireMessage{msg}}))
	if err == nil {
		err = s.post(ctx, body)
	}
	if err != nil {
		s.setStatus(waID, msg.ID, StatusFailed, err.Error())
		return msg.ID, err
	}
	s.setStatus(waID, msg.ID, StatusAccepted, "")
	return msg.ID, nil
}

// profileName is the shopper's WhatsApp name: the first body parameter of our latest template to
// them (the README's template greets the shopper by first name); c may be nil. s.mu must be held.
func profileName(c *conversation) string {
	if c == nil {
		return defaultProfileName
	}
	for i := len(c.entries) - 1; i >= 0; i-- {
		if t := c.entries[i].Template; t != nil && len(t.BodyParams) > 0 && t.BodyParams[0] != "" {
			return t.BodyParams[0]
		}
	}
	return defaultProfileName
}
