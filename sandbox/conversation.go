package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/cartback/cartback/whatsapp/fakegraph"
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
// shopper who turned read receipts off. The shopper's are "accepted" once our webhook answered 2xx
// and "failed" when it did not (Error says why); "" while the post is in flight.
const (
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusAccepted  = "accepted"
	StatusFailed    = "failed"
)

// Entry is one message of a conversation.
type Entry struct {
	Direction string    `json:"direction"` // DirectionOut or DirectionIn
	MessageID string    `json:"message_id"`
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"` // KindTemplate, KindText, KindButton, or Meta's type name
	// Text is a text's body, a tapped button's label, or a template's text as the shopper reads it
	// (for a template the sandbox does not know, its name and parameters).
	Text     string              `json:"text,omitempty"`
	Footer   string              `json:"footer,omitempty"` // a known template's footer
	Template *fakegraph.Template `json:"-"`                // for our templates; shared, read-only
	// Buttons are a template's quick-reply buttons, or for a tap the one button tapped.
	Buttons   []Button `json:"buttons,omitempty"`
	ContextID string   `json:"context_id,omitempty"` // for a tap: the template's wamid
	Status    string   `json:"status,omitempty"`
	Error     string   `json:"error,omitempty"` // why the shopper's message was not accepted by our webhook

	known bool // a template whose registered text the sandbox knows: Text and Footer are that text
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
	version int   // bumped on every change, so the page redraws only what changed
	touched int64 // the sandbox's change count at this conversation's latest change: the oldest goes first
}

// outEntry turns an accepted send into an Entry.
func (s *Sandbox) outEntry(m fakegraph.Message, at time.Time) Entry {
	e := Entry{Direction: DirectionOut, MessageID: m.ID, At: at, Kind: m.Type, Status: StatusSent}
	switch {
	case m.Template != nil:
		s.templateEntry(&e, m.Template)
	case m.Text != nil:
		e.Text = m.Text.Body
	}
	return e
}

// onSend is the fake Graph API's OnMessage: it records the send and reports its statuses.
func (s *Sandbox) onSend(m fakegraph.Message) {
	e := s.outEntry(m, s.opts.Now())
	s.mu.Lock()
	s.add(m.To, e)
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

// add appends e to waID's conversation, creating it. s.mu must be held.
func (s *Sandbox) add(waID string, e Entry) {
	c, ok := s.convs[waID]
	if !ok {
		c = &conversation{phone: "+" + waID}
		s.convs[waID] = c
		s.order = append(s.order, waID)
		s.size += conversationOverhead
	}
	c.entries = append(c.entries, e)
	s.size += entrySize(e)
	s.changed(c)
	s.bound(waID)
}

// setStatus records a status of one message.
func (s *Sandbox) setStatus(waID, messageID, status, errText string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.convs[waID]
	if !ok {
		return
	}
	for i := range c.entries {
		if e := &c.entries[i]; e.MessageID == messageID {
			s.size -= entrySize(*e)
			e.Status, e.Error = status, errText
			s.size += entrySize(*e)
			s.changed(c)
			return
		}
	}
}

// changed notes a change of c: the page redraws it, and the state file is written. s.mu must be held.
func (s *Sandbox) changed(c *conversation) {
	c.version++
	s.changes++
	c.touched = s.changes
	s.unsaved = true
	select {
	case s.save <- struct{}{}:
	default: // a save is already due
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

// Phones returns the phones with a conversation, as E.164 ("+525512345678"), in the order their
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
