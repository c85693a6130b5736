package starter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cartback/cartback/phone"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/workflows"
)

// Sender is a WhatsApp user as a webhook names them: their number (wa_id), their business-scoped
// user id (BSUID), or both. Since Meta's usernames, the number may be withheld.
type Sender struct {
	WaID   string
	UserID string
}

// Errors of the inbound path.
var (
	// ErrUnknownUser: the event names only a BSUID, and no webhook has yet paired it with a number.
	ErrUnknownUser = errors.New("no customer is known by this business-scoped user id")
	// ErrNoSender: the event names neither a number nor a BSUID.
	ErrNoSender = errors.New("the event names no WhatsApp user")
)

// customer is who an inbound event is about: the key, and the masked number when one came.
type customer struct {
	key    string
	masked string
}

func (s *Starter) customerOf(number string) customer {
	return customer{key: s.CustomerKey(number), masked: phone.Mask(number)}
}

// identify finds the customer of a sender. A number names the customer, and when a BSUID comes
// with it the pair is recorded (the template's statuses carry both as soon as it is sent); a BSUID
// alone finds the customer through that pair. Errors: ErrUnknownUser, ErrNoSender, ErrUnavailable.
func (s *Starter) identify(ctx context.Context, who Sender) (customer, error) {
	switch {
	case who.WaID != "":
		c := s.customerOf(who.WaID)
		if who.UserID != "" {
			if err := s.consent.LinkUserID(ctx, c.key, workflows.UserIDHash(s.idKey, who.UserID)); err != nil {
				return customer{}, storeError(err)
			}
		}
		return c, nil
	case who.UserID != "":
		key, ok, err := s.consent.CustomerByUserID(ctx, workflows.UserIDHash(s.idKey, who.UserID))
		switch {
		case err != nil:
			return customer{}, storeError(err)
		case !ok:
			return customer{}, ErrUnknownUser
		}
		return customer{key: key}, nil
	}
	return customer{}, ErrNoSender
}

// Message delivers a shopper's message. from is the sender's wa_id or E.164. See MessageFrom.
func (s *Starter) Message(ctx context.Context, from string, r workflows.Reply) error {
	return s.MessageFrom(ctx, Sender{WaID: from}, r)
}

// MessageFrom delivers a shopper's message. A stop keyword or a "Stop promotions" tap suppresses
// the customer, whether or not a flow is open, and ends the open flow; START lifts the shopper's
// own stop; anything else is a reply for the open flow. Errors: ErrNotFound (a reply with no open
// flow), ErrUnknownUser, ErrNoSender, ErrUnavailable.
func (s *Starter) MessageFrom(ctx context.Context, who Sender, r workflows.Reply) error {
	c, err := s.identify(ctx, who)
	if err != nil {
		return err
	}
	switch consentOf(r) {
	case stopButton:
		_, _, err := s.suppressCustomer(ctx, c, store.ReasonButton, "whatsapp button", r.MessageID)
		return err
	case stopWord:
		_, _, err := s.suppressCustomer(ctx, c, store.ReasonKeyword, "whatsapp message", r.MessageID)
		return err
	case startWord:
		if _, err := s.consent.Lift(ctx, c.key, store.LiftOnStart...); err != nil {
			return storeError(err)
		}
		return nil
	}
	// Meta's wa_id, or the E.164 the sandbox and the CLI give; "" for a BSUID-only message, which
	// the flow answers at the cart's number.
	r.From = strings.TrimPrefix(who.WaID, "+")
	return s.signal(ctx, workflows.WorkflowIDOf(c.key), workflows.ReplySignal, requestID("reply", r.MessageID), r)
}

// consentChange is what a shopper's message does to their consent.
type consentChange int

const (
	noChange   consentChange = iota // a reply, for the open flow
	stopButton                      // the template's "Stop promotions" button
	stopWord                        // a typed stop keyword (STOP, BAJA, ...)
	startWord                       // a typed START, lifting the shopper's own stop
)

func consentOf(r workflows.Reply) consentChange {
	typed := r.Payload == ""
	switch {
	case workflows.IsStopPayload(r.Payload):
		return stopButton
	case typed && workflows.IsStopKeyword(r.Text):
		return stopWord
	case typed && workflows.IsStartKeyword(r.Text):
		return startWord
	}
	return noChange
}

// ChangesConsent reports whether a shopper's message stops or restarts their messages rather than
// answers a flow: the webhook never drops such a message, however many came before it.
func ChangesConsent(r workflows.Reply) bool { return consentOf(r) != noChange }

// Preference acts on Meta's user_preferences for marketing messages: "stop" suppresses the
// customer and ends the open flow; "resume" lifts what Meta reported (that stop, and 131050
// refusals), not the shopper's own STOP. Errors: ErrUnknownUser, ErrNoSender, ErrUnavailable.
func (s *Starter) Preference(ctx context.Context, who Sender, stop bool) error {
	c, err := s.identify(ctx, who)
	if err != nil {
		return err
	}
	if stop {
		_, _, err := s.suppressCustomer(ctx, c, store.ReasonUserPreferences, "whatsapp user_preferences", "")
		return err
	}
	if _, err := s.consent.Lift(ctx, c.key, store.LiftOnResume...); err != nil {
		return storeError(err)
	}
	return nil
}

// NumberChanged acts on Meta's user_changed_number: the user who was old now writes from newWaID
// (with BSUID newUserID, if any). A suppression follows the person (an opt-out is theirs, not
// the number's), the new BSUID is paired with the new number, and the old number's open flow
// ends cancelled (number_changed) rather than message a number that changed hands. Errors:
// ErrUnknownUser, ErrNoSender, ErrUnavailable.
func (s *Starter) NumberChanged(ctx context.Context, old Sender, newWaID, newUserID, messageID string) error {
	was, err := s.identify(ctx, Sender{WaID: old.WaID, UserID: old.UserID})
	if err != nil {
		return err
	}
	if newWaID == "" {
		return fmt.Errorf("%w: user_changed_number without the new number", ErrNoSender)
	}
	now, err := s.identify(ctx, Sender{WaID: newWaID, UserID: newUserID})
	if err != nil {
		return err
	}
	sup, suppressed, err := s.consent.Suppressed(ctx, was.key)
	if err != nil {
		return storeError(err)
	}
	if suppressed && now.key != was.key {
		if _, _, err := s.suppressCustomer(ctx, now, sup.Reason, "number change", messageID); err != nil {
			return err
		}
	}
	err = s.signal(ctx, workflows.WorkflowIDOf(was.key), workflows.NumberChangedSignal, requestID("number-changed", messageID),
		workflows.NumberChanged{MessageID: messageID})
	if isNoFlow(err) {
		return nil
	}
	return err
}

// UserIDChanged acts on Meta's user_changed_user_id: the customer paired with previous is now
// paired with current. replaced is false when previous was paired with no customer (nothing to
// move). Errors: ErrNoSender (an id missing), ErrUnavailable.
func (s *Starter) UserIDChanged(ctx context.Context, previous, current string) (replaced bool, err error) {
	if previous == "" || current == "" {
		return false, fmt.Errorf("%w: user_changed_user_id without both user ids", ErrNoSender)
	}
	replaced, err = s.consent.ReplaceUserID(ctx, workflows.UserIDHash(s.idKey, previous), workflows.UserIDHash(s.idKey, current))
	if errors.Is(err, store.ErrUserIDConflict) {
		return false, err // the store's answer, not an outage: a retry would get it again
	}
	if err != nil {
		return false, storeError(err)
	}
	return replaced, nil
}

// rememberRefusal records a failed status's 131050 as a suppression, before the status reaches
// the flow (which ends opted_out by itself).
func (s *Starter) rememberRefusal(ctx context.Context, c customer, st workflows.Status) error {
	if st.Status != "failed" || len(st.Errors) == 0 || st.Errors[0].Code != workflows.CodeMarketingOptOut {
		return nil
	}
	if _, _, err := s.consent.Suppress(ctx, store.Suppression{CustomerKey: c.key, MaskedPhone: c.masked,
		Reason: store.ReasonMeta131050, Source: "whatsapp status"}); err != nil {
		return storeError(err)
	}
	return nil
}
