package starter

import (
	"context"

	"github.com/cartback/cartback/phone"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/workflows"
)

// Message delivers a shopper's message. A stop keyword or a "Stop promotions" tap suppresses the
// customer, whether or not a flow is open, and ends the open flow; START lifts the shopper's own
// stop; anything else is a reply for the open flow. from is the sender's wa_id or E.164.
// Errors: ErrNotFound (a reply with no open flow), ErrUnavailable.
func (s *Starter) Message(ctx context.Context, from string, r workflows.Reply) error {
	typed := r.Payload == ""
	switch {
	case workflows.IsStopPayload(r.Payload):
		_, _, err := s.suppress(ctx, from, store.ReasonButton, "whatsapp button", r.MessageID)
		return err
	case typed && workflows.IsStopKeyword(r.Text):
		_, _, err := s.suppress(ctx, from, store.ReasonKeyword, "whatsapp message", r.MessageID)
		return err
	case typed && workflows.IsStartKeyword(r.Text):
		if _, err := s.consent.Lift(ctx, s.CustomerKey(from), store.LiftOnStart...); err != nil {
			return storeError(err)
		}
		return nil
	}
	return s.Reply(ctx, from, r)
}

// Preference acts on Meta's user_preferences for marketing messages: "stop" suppresses the
// customer and ends the open flow; "resume" lifts what Meta reported (that stop, and 131050
// refusals), not the shopper's own STOP.
func (s *Starter) Preference(ctx context.Context, waID string, stop bool) error {
	if stop {
		_, _, err := s.suppress(ctx, waID, store.ReasonUserPreferences, "whatsapp user_preferences", "")
		return err
	}
	if _, err := s.consent.Lift(ctx, s.CustomerKey(waID), store.LiftOnResume...); err != nil {
		return storeError(err)
	}
	return nil
}

// rememberRefusal records a failed status's 131050 as a suppression, before the status reaches
// the flow (which ends opted_out by itself).
func (s *Starter) rememberRefusal(ctx context.Context, recipient string, st workflows.Status) error {
	if recipient == "" || st.Status != "failed" || len(st.Errors) == 0 || st.Errors[0].Code != workflows.CodeMarketingOptOut {
		return nil
	}
	key := s.CustomerKey(recipient)
	if _, _, err := s.consent.Suppress(ctx, store.Suppression{CustomerKey: key, MaskedPhone: phone.Mask(recipient),
		Reason: store.ReasonMeta131050, Source: "whatsapp status"}); err != nil {
		return storeError(err)
	}
	return nil
}
