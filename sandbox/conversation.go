package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/cartback/cartback/whatsapp/fakegraph"
	"github.com/cartback/cartback/workflows"
)

// Directions of an Entry.
const (
	DirectionOut = "out" // we sent it (through the fake Graph API)
	DirectionIn  = "in"  // the shopper sent it (posted to our webhook)
)

// Kinds of an Entry. A send of another Cloud API type keeps Meta's type name ("image", ...).
const (
	KindTemplate = "template"
	KindText     = "text"
	KindButton   = "button" // the shopper tapped a quick-reply button
)

// Statuses of an Entry. Ours go sent, then delivered. The sandbox never reports "read", as for a
// shopper who turned read receipts off. The shopper's are "delivered" once our webhook answered
// 2xx and "failed" when it did not (Error says why); "" while the post is in flight.
const (
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// Entry is one message of a conversation.
type Entry struct {
	Direction string              `json:"direction"` // DirectionOut or DirectionIn
	MessageID string              `json:"message_id"`
	At        time.Time           `json:"at"`
	Kind      string              `json:"kind"`           // KindTemplate, KindText, KindButton, or Meta's type name
	Text      string              `json:"text,omitempty"` // a text's body, a tapped button's label, a template's name and params
	Template  *fakegraph.Template `json:"-"`              // for our templates; shared, read-only
	// Buttons are a template's quick-reply buttons, or for a tap the one button tapped.
	Buttons   []Button `json:"buttons,omitempty"`
	ContextID string   `json:"context_id,omitempty"` // for a tap: the template's wamid
	Status    string   `json:"status,omitempty"`
	Error     string   `json:"error,omitempty"` // why the shopper's message was not accepted by our webhook
}

// Button is a quick-reply button of a template we sent.
type Button struct {
	Index   int    `json:"index"`
	Label   string `json:"label"`
	Payload string `json:"payload"`
}

// conversation is one phone's messages.
type conversation struct {
	phone   string // E.164, "+" and the wa_id
	entries []Entry
	version int // bumped on every change, so the page redraws only what changed
}

// buttonLabel is the label of a quick-reply button. The template's text lives at Meta, so these
// are the labels the README asks to register, by the contract's button indexes.
func buttonLabel(i int) string {
	switch i {
	case workflows.PositiveButtonIndex:
		return "1 - Still want it"
	case workflows.NegativeButtonIndex:
		return "2 - Something stopped me"
	}
	return fmt.Sprintf("Button %d", i)
}

// outEntry turns an accepted send into an Entry.
func outEntry(m fakegraph.Message, at time.Time) Entry {
	e := Entry{Direction: DirectionOut, MessageID: m.ID, At: at, Kind: m.Type, Status: StatusSent}
	switch {
	case m.Template != nil:
		e.Template = m.Template
		e.Text = m.Template.Name
		if len(m.Template.BodyParams) > 0 {
			e.Text += ": " + strings.Join(m.Template.BodyParams, ", ")
		}
		for i, p := range m.Template.QuickReplies {
			if p == "" {
				continue // an index the send left out: no such button
			}
			e.Buttons = append(e.Buttons, Button{Index: i, Label: buttonLabel(i), Payload: p})
		}
	case m.Text != nil:
		e.Text = m.Text.Body
	}
	return e
}

// onSend is the fake Graph API's OnMessage: it records the send and reports its statuses.
func (s *Sandbox) onSend(m fakegraph.Message) {
	e := outEntry(m, s.opts.Now())
	s.mu.Lock()
	s.conv(m.To).add(e)
	closed := s.closed
	if !closed {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if closed {
		return
	}
	// The send must be answered now, as Meta answers before the statuses follow.
	go func() {
		defer s.wg.Done()
		s.reportStatuses(m, e.Kind)
	}()
}

// conv returns the conversation of a wa_id, creating it. s.mu must be held.
func (s *Sandbox) conv(waID string) *conversation {
	c, ok := s.convs[waID]
	if !ok {
		c = &conversation{phone: "+" + waID}
		s.convs[waID] = c
		s.order = append(s.order, waID)
	}
	return c
}

func (c *conversation) add(e Entry) {
	c.entries = append(c.entries, e)
	c.version++
}

// update applies f to the entry with messageID, if any. s.mu must be held.
func (c *conversation) update(messageID string, f func(*Entry)) {
	for i := range c.entries {
		if c.entries[i].MessageID == messageID {
			f(&c.entries[i])
			c.version++
			return
		}
	}
}

// setStatus records a status of one message.
func (s *Sandbox) setStatus(waID, messageID, status, errText string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.convs[waID]; ok {
		c.update(messageID, func(e *Entry) { e.Status, e.Error = status, errText })
	}
}

// Conversation returns a phone's messages, both directions, oldest first. The phone may be given
// with or without '+', with spaces or dashes; an unknown phone has none.
func (s *Sandbox) Conversation(phone string) []Entry {
	waID, ok := fakegraph.Digits(phone)
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[waID]
	if !ok {
		return nil
	}
	return copyEntries(c.entries)
}

// Phones returns the phones with a conversation, as E.164 ("+16505551234"), in the order their
// conversations began.
func (s *Sandbox) Phones() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.order))
	for i, waID := range s.order {
		out[i] = s.convs[waID].phone
	}
	return out
}

// copyEntries copies entries deeply enough that the caller cannot change ours.
func copyEntries(in []Entry) []Entry {
	out := make([]Entry, len(in))
	for i, e := range in {
		e.Buttons = append([]Button(nil), e.Buttons...)
		out[i] = e
	}
	return out
}

// newMessageID returns a fresh wamid for a message the shopper sends. Meta's are base64 of an
// opaque blob; these are too, and unique across Sandbox instances.
func (s *Sandbox) newMessageID(waID string) string {
	s.mu.Lock()
	s.seq++
	seq := s.seq
	s.mu.Unlock()
	return "wamid." + base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "SANDBOX:%s:%s:%d", s.nonce, waID, seq))
}

// randomToken returns n random base32 characters (n <= 26).
func randomToken(n int) string { return rand.Text()[:n] }
