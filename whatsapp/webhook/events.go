package webhook

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// EventKind says which of Event's pointers is set.
type EventKind string

// Event kinds.
const (
	KindMessage    EventKind = "message"    // a WhatsApp user wrote or tapped something
	KindStatus     EventKind = "status"     // sent/delivered/read/failed for a message we sent
	KindPreference EventKind = "preference" // a user stopped or resumed marketing messages
	KindError      EventKind = "error"      // an error Meta reports outside any message (value.errors)
)

// Event is one thing to act on, tagged by Kind: exactly the matching pointer is non-nil. It is a plain
// struct (not an interface) so it survives JSON round trips, e.g. as a workflow signal payload.
type Event struct {
	Kind EventKind
	// WABAID is entry.id, the WhatsApp Business Account the change belongs to.
	WABAID string
	// PhoneNumberID is value.metadata.phone_number_id, the business number that received or sent it.
	PhoneNumberID string

	Message    *Message    `json:",omitempty"`
	Status     *Status     `json:",omitempty"`
	Preference *Preference `json:",omitempty"`
	Error      *Error      `json:",omitempty"`
}

// Message kinds we act on; any other Message.Kind is Meta's type name ("image", "reaction", ...).
const (
	MessageText        = "text"
	MessageButton      = "button"      // quick-reply button on a template
	MessageInteractive = "interactive" // reply to an interactive button or list message
)

// Message is an inbound message from a WhatsApp user.
type Message struct {
	ID   string // wamid of this message
	From string // sender's wa_id: digits, no '+'; may differ from their E.164 (see package phone); "" if withheld
	// UserID is the sender's business-scoped user id (BSUID, "US.13491208655302741918"): from_user_id,
	// or the contacts[] entry of the sender. Users who adopt a username may send it without a number.
	UserID string `json:",omitempty"`
	// GroupID is set on a message sent in a WhatsApp group: not a customer's reply to us.
	GroupID string `json:",omitempty"`
	// System is set on Kind "system": the user changed number or user id.
	System    *SystemChange `json:",omitempty"`
	Timestamp time.Time     // when the user sent it (UTC); zero if Meta omitted it
	// Kind is Meta's message type: "text", "button", "interactive", or one we do not act on ("image",
	// "audio", "reaction", "unsupported", ...), in which case Text and Payload are empty.
	Kind string
	// Text is what the user sees they sent: text.body, button.text, or the interactive reply's title.
	Text string
	// Payload is the machine-readable choice: button.payload, or interactive button_reply.id / list_reply.id.
	Payload string
	// InteractiveType is interactive.type ("button_reply", "list_reply", ...) for Kind "interactive".
	InteractiveType string `json:",omitempty"`
	// ContextID is context.id: the wamid of our message the user answered or tapped a button on.
	ContextID string
	// Errors is set when Meta could not render the message (type "unsupported", code 131051).
	Errors []Error `json:",omitempty"`
}

// System message types.
const (
	SystemChangedNumber = "user_changed_number"  // NewWaID is the user's new number
	SystemChangedUserID = "user_changed_user_id" // only the BSUID changed; no number
)

// SystemChange is a system message: a WhatsApp user's number or business-scoped user id changed.
type SystemChange struct {
	Type           string // SystemChangedNumber, SystemChangedUserID (or a type we do not act on)
	NewWaID        string // the new number (user_changed_number)
	UserID         string // the BSUID now
	PreviousUserID string // the BSUID before
}

// Status values Meta reports for messages we sent.
const (
	StatusSent      = "sent"
	StatusDelivered = "delivered"
	StatusRead      = "read"
	StatusFailed    = "failed"
)

// Status is a delivery update for a message we sent.
type Status struct {
	MessageID   string    // wamid returned when we sent it
	Status      string    // StatusSent, StatusDelivered, StatusRead, StatusFailed (or a newer value)
	Timestamp   time.Time // UTC
	RecipientID string    // recipient's wa_id (digits, no '+'); "" if withheld
	// RecipientUserID is the recipient's BSUID (recipient_user_id, or the change's contacts[]).
	RecipientUserID string `json:",omitempty"`
	// CallbackData is biz_opaque_callback_data echoed back from the send request.
	CallbackData string
	// Errors explains a failed status; the Code is what to branch on.
	Errors []Error `json:",omitempty"`
}

// Preference values in user_preferences.
const (
	PreferenceStop   = "stop"
	PreferenceResume = "resume"
)

// CategoryMarketing is the user_preferences category of marketing messages, the templates we send.
const CategoryMarketing = "marketing_messages"

// Preference is a user_preferences change: the user stopped or resumed a category of messages.
type Preference struct {
	WaID      string    // the user's wa_id (digits, no '+')
	UserID    string    `json:",omitempty"` // the user's BSUID
	Category  string    // e.g. "marketing_messages"
	Value     string    // PreferenceStop or PreferenceResume
	Detail    string    // Meta's description, e.g. "User requested to stop marketing messages"
	Timestamp time.Time // UTC
}

// Error is one entry of a WhatsApp error array (value.errors, statuses[].errors, messages[].errors).
type Error struct {
	Code    int    // what to branch on (titles are documented as subject to change)
	Title   string // short title
	Message string // usually equal to Title
	Details string // error_data.details, the human explanation
}

// Ignored is a part of the body Events skipped, reported so the caller can log it: a change that is not
// for us or holds nothing we read, or an entry, change or item that could not be decoded (Malformed).
type Ignored struct {
	WABAID        string // entry.id ("" if the entry itself was malformed)
	Field         string // change.field ("" above the change)
	PhoneNumberID string // value.metadata.phone_number_id ("" if absent)
	// Path is where the part is in the body: "entry[0]", "entry[0].changes[1]", or, for an item,
	// "entry[0].changes[1].value.messages[3]".
	Path   string
	Reason string
	// Malformed says the part could not be decoded (a timestamp that is not a number, a code given as
	// a string, a message that is an array, ...); Reason then holds the decode error.
	Malformed bool
	// Warning says an operator should look: a template paused, disabled or rejected, the number's
	// quality flagged, the account restricted.
	Warning bool
}

// Events flattens a payload into the things we act on, in order. Only changes whose field is
// "messages" yield messages, statuses and errors, and only "user_preferences" preferences, and only
// when value.metadata.phone_number_id == phoneNumberID; every other change is returned in Ignored, with
// its reason (so it can be logged): another number, calls, or a notification about a template, the
// number or the account (Warning when it needs an operator).
//
// Within a change, events come in payload order: messages, then statuses, then user_preferences, then
// errors. An empty phoneNumberID matches nothing, so a missing configuration ignores everything rather than
// accepting changes that carry no metadata. A matching change with nothing we recognise is also Ignored.
// Each entry, change and item is decoded on its own: one that does not decode is Ignored as Malformed,
// with its path, and the rest are still returned.
func (p *Payload) Events(phoneNumberID string) (events []Event, ignored []Ignored) {
	if p == nil {
		return nil, nil
	}
	for i, rawEntry := range p.entries {
		path := fmt.Sprintf("entry[%d]", i)
		var entry wireEntry
		if err := json.Unmarshal(rawEntry, &entry); err != nil {
			ignored = append(ignored, malformed(Ignored{Path: path}, err))
			continue
		}
		for j, rawChange := range entry.Changes {
			skip := Ignored{WABAID: entry.ID, Path: fmt.Sprintf("%s.changes[%d]", path, j)}
			var ch wireChange
			if err := json.Unmarshal(rawChange, &ch); err != nil {
				// The field may still be readable when the value is not: it says what was lost.
				var f struct{ Field string }
				_ = json.Unmarshal(rawChange, &f)
				skip.Field = f.Field
				ignored = append(ignored, malformed(skip, err))
				continue
			}
			skip.Field = ch.Field
			if ch.Field != FieldMessages && ch.Field != FieldUserPreferences {
				ignored = append(ignored, notice(skip, ch.Value))
				continue
			}
			var v wireValue
			if err := json.Unmarshal(ch.Value, &v); err != nil {
				ignored = append(ignored, malformed(skip, err))
				continue
			}
			skip.PhoneNumberID = v.Metadata.PhoneNumberID
			if phoneNumberID == "" || v.Metadata.PhoneNumberID != phoneNumberID {
				skip.Reason = "phone_number_id is not ours"
				ignored = append(ignored, skip)
				continue
			}
			before, bad := len(events), len(ignored)
			events, ignored = appendChange(events, ignored, skip, &v)
			if len(events) == before && len(ignored) == bad {
				skip.Reason = "no messages, statuses, user_preferences or errors"
				ignored = append(ignored, skip)
			}
		}
	}
	return events, ignored
}

// Change fields Events reads; any other is a notification, acknowledged.
const (
	FieldMessages        = "messages"
	FieldUserPreferences = "user_preferences"
)

// warningEvents are the notification events that need an operator: cartback's template cannot be
// sent, or the number or account is restricted, disabled, deleted or disconnected.
var warningEvents = map[string]bool{
	// message_template_status_update
	"PAUSED": true, "DISABLED": true, "REJECTED": true, "FLAGGED": true, "PENDING_DELETION": true, "LIMIT_EXCEEDED": true,
	// phone_number_quality_update ("FLAGGED" too)
	"DOWNGRADE": true,
	// account_update
	"ACCOUNT_VIOLATION": true, "ACCOUNT_RESTRICTION": true, "DISABLED_UPDATE": true, "BANNED": true,
	"ACCOUNT_DELETED": true, "ACCOUNT_OFFBOARDED": true, "PARTNER_APP_UNINSTALLED": true,
}

// fieldReasons say why a field that is about conversations, but not a customer's, reaches no flow.
var fieldReasons = map[string]string{
	"calls":                     "a call notification: cartback takes no calls",
	"smb_message_echoes":        "messages the business sent from the WhatsApp Business app: not a customer's reply",
	"history":                   "the WhatsApp Business app's chat history: not a customer's reply",
	"smb_app_state_sync":        "the WhatsApp Business app's contacts: cartback keeps none",
	"group_lifecycle_update":    "a group notification: cartback runs no groups",
	"group_participants_update": "a group notification: cartback runs no groups",
	"group_settings_update":     "a group notification: cartback runs no groups",
	"group_status_update":       "a group notification: cartback runs no groups",
}

// notice describes a change of a field Events does not turn into events, from what its value says.
func notice(skip Ignored, value json.RawMessage) Ignored {
	if r, ok := fieldReasons[skip.Field]; ok {
		skip.Reason = r
		return skip
	}
	var n wireNotice
	_ = json.Unmarshal(value, &n) // a value of another shape still gets its field named
	var b strings.Builder
	fmt.Fprintf(&b, "%s notification", cmp.Or(skip.Field, "unnamed"))
	if n.TemplateName != "" {
		fmt.Fprintf(&b, " for template %s (%s)", n.TemplateName, n.TemplateLanguage)
	}
	for _, part := range []struct{ name, v string }{
		{"event", n.Event}, {"reason", n.Reason}, {"new category", n.NewCategory}, {"current limit", n.CurrentLimit},
		{"new quality", n.NewQualityScore}, {"decision", n.Decision}, {"rejection reason", n.RejectionReason},
		{"status", n.Status}, {"alert", strings.TrimSpace(n.AlertInfo.Severity + " " + n.AlertInfo.Type)},
	} {
		if part.v != "" && part.v != "NONE" {
			fmt.Fprintf(&b, ", %s %s", part.name, part.v)
		}
	}
	skip.Reason = b.String() + ": acknowledged, no flow reads it"
	skip.Warning = warningEvents[strings.ToUpper(n.Event)] ||
		strings.EqualFold(n.NewQualityScore, "RED") || // the template is about to be paused
		strings.EqualFold(n.Decision, "REJECTED") || // the account or the display name was refused
		strings.EqualFold(n.AlertInfo.Severity, "CRITICAL")
	return skip
}

// malformed marks skip as a part that did not decode.
func malformed(skip Ignored, err error) Ignored {
	skip.Malformed, skip.Reason = true, "malformed: "+err.Error()
	return skip
}

// decodeItems decodes each raw item of the list named list into a T, calling add with the good ones
// and recording each bad one in ignored, by its path under change.
func decodeItems[T any](ignored []Ignored, change Ignored, list string, raw []json.RawMessage, add func(*T)) []Ignored {
	for i, r := range raw {
		var item T
		if err := json.Unmarshal(r, &item); err != nil {
			skip := change
			skip.Path = fmt.Sprintf("%s.value.%s[%d]", change.Path, list, i)
			ignored = append(ignored, malformed(skip, err))
			continue
		}
		add(&item)
	}
	return ignored
}

// appendChange appends the events of one change value, and its items that did not decode to ignored.
// A messages change yields messages, statuses and errors; a user_preferences change preferences.
func appendChange(events []Event, ignored []Ignored, change Ignored, v *wireValue) ([]Event, []Ignored) {
	base := Event{WABAID: change.WABAID, PhoneNumberID: v.Metadata.PhoneNumberID}
	var contacts []wireContact
	ignored = decodeItems(ignored, change, "contacts", v.Contacts, func(c *wireContact) { contacts = append(contacts, *c) })
	if change.Field == FieldUserPreferences {
		return appendPreferences(events, ignored, change, base, v, contacts)
	}
	ignored = decodeItems(ignored, change, "messages", v.Messages, func(m *wireMessage) {
		e := base
		e.Kind, e.Message = KindMessage, toMessage(m)
		e.Message.From, e.Message.UserID = pair(contacts, e.Message.From, e.Message.UserID)
		events = append(events, e)
	})
	ignored = decodeItems(ignored, change, "statuses", v.Statuses, func(s *wireStatus) {
		e := base
		e.Kind = KindStatus
		e.Status = &Status{
			MessageID:       s.ID,
			Status:          s.Status,
			Timestamp:       s.Timestamp.Time,
			RecipientID:     s.RecipientID,
			RecipientUserID: s.RecipientUID,
			CallbackData:    s.CallbackData,
			Errors:          toErrors(s.Errors),
		}
		e.Status.RecipientID, e.Status.RecipientUserID = pair(contacts, s.RecipientID, s.RecipientUID)
		events = append(events, e)
	})
	ignored = decodeItems(ignored, change, "errors", v.Errors, func(we *wireError) {
		e := base
		err := toError(*we)
		e.Kind, e.Error = KindError, &err
		events = append(events, e)
	})
	return events, ignored
}

func appendPreferences(events []Event, ignored []Ignored, change Ignored, base Event, v *wireValue, contacts []wireContact) ([]Event, []Ignored) {
	ignored = decodeItems(ignored, change, "user_preferences", v.UserPreferences, func(u *wireUserPreference) {
		e := base
		e.Kind = KindPreference
		e.Preference = &Preference{
			WaID:      u.WaID,
			UserID:    u.UserID,
			Category:  u.Category,
			Value:     u.Value,
			Detail:    u.Detail,
			Timestamp: u.Timestamp.Time,
		}
		e.Preference.WaID, e.Preference.UserID = pair(contacts, u.WaID, u.UserID)
		events = append(events, e)
	})
	return events, ignored
}

// pair completes a (number, BSUID) pair from the change's contacts: the entry that shares the one
// known gives the other. Meta names each user of a change once in contacts[].
func pair(contacts []wireContact, waID, userID string) (string, string) {
	for _, c := range contacts {
		switch {
		case waID == "" && userID == "":
			return "", ""
		case waID != "" && c.WaID == waID && userID == "":
			return waID, c.UserID
		case userID != "" && c.UserID == userID && waID == "":
			return c.WaID, userID
		}
	}
	return waID, userID
}

// toMessage extracts what the user said or chose, whatever the message type.
func toMessage(m *wireMessage) *Message {
	out := &Message{
		ID:        m.ID,
		From:      m.From,
		UserID:    m.FromUserID,
		GroupID:   m.GroupID,
		Timestamp: m.Timestamp.Time,
		Kind:      m.Type,
		Errors:    toErrors(m.Errors),
	}
	if m.Context != nil {
		out.ContextID = m.Context.ID
	}
	if m.System != nil {
		out.System = &SystemChange{Type: m.System.Type, NewWaID: m.System.WaID, UserID: m.System.UserID, PreviousUserID: m.System.PreviousUserID}
		out.Text = m.System.Body
	}
	switch m.Type {
	case MessageText:
		if m.Text != nil {
			out.Text = m.Text.Body
		}
	case MessageButton:
		if m.Button != nil {
			out.Text, out.Payload = m.Button.Text, m.Button.Payload
		}
	case MessageInteractive:
		if in := m.Interactive; in != nil {
			out.InteractiveType = in.Type
			var r *wireReply
			switch in.Type {
			case "button_reply":
				r = in.ButtonReply
			case "list_reply":
				r = in.ListReply
			}
			if r != nil {
				out.Text, out.Payload = r.Title, r.ID
			}
		}
	}
	return out
}

func toErrors(ws []wireError) []Error {
	if len(ws) == 0 {
		return nil
	}
	out := make([]Error, len(ws))
	for i, w := range ws {
		out[i] = toError(w)
	}
	return out
}

func toError(w wireError) Error {
	return Error{Code: w.Code, Title: w.Title, Message: w.Message, Details: w.ErrorData.Details}
}
