package shopify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cartback/cartback/starter"
)

// OptIn says which of a checkout's consents is the shopper's opt-in to WhatsApp messages
// (CARTBACK_SHOPIFY_OPT_IN). WhatsApp requires one before any proactive message, and Shopify has
// no WhatsApp consent of its own: the store picks the one its checkout asks for.
type OptIn struct {
	Kind      string // OptInSMS, OptInMarketing or OptInAttribute
	Attribute string // OptInAttribute: the note attribute's name
}

// The kinds of OptIn.
const (
	// OptInSMS: the customer's SMS marketing consent is "subscribed", or the buyer ticked "text me
	// with news and offers" at checkout. The number is the one that consent names.
	OptInSMS = "sms"
	// OptInMarketing: the buyer accepts marketing (Shopify's email checkbox, for stores whose
	// checkout words it to cover WhatsApp).
	OptInMarketing = "marketing"
	// OptInAttribute: a note attribute the theme adds (a "Message me on WhatsApp" box) is true.
	OptInAttribute = "attribute"
)

// ParseOptIn reads CARTBACK_SHOPIFY_OPT_IN: "sms", "marketing" or "attribute:<name>".
func ParseOptIn(s string) (OptIn, error) {
	kind, attr, _ := strings.Cut(strings.TrimSpace(s), ":")
	switch {
	case kind == OptInSMS && attr == "", kind == OptInMarketing && attr == "":
		return OptIn{Kind: kind}, nil
	case kind == OptInAttribute && strings.TrimSpace(attr) != "":
		return OptIn{Kind: kind, Attribute: strings.TrimSpace(attr)}, nil
	case kind == OptInAttribute:
		return OptIn{}, errors.New("attribute needs the note attribute's name: attribute:<name>")
	}
	return OptIn{}, fmt.Errorf("%q is not sms, marketing or attribute:<name>", s)
}

func (o OptIn) String() string {
	if o.Kind == OptInAttribute {
		return o.Kind + ":" + o.Attribute
	}
	return o.Kind
}

// consent finds the checkout's opt-in under the rule: its evidence, the number it is for, and
// whether there is one.
func (o OptIn) consent(c Checkout) (*starter.OptIn, string, bool) {
	when := firstOf(c.UpdatedAt, c.CreatedAt)
	anyNumber := firstOf(c.Phone, c.customer().Phone, c.shipping().Phone, c.billing().Phone)
	switch o.Kind {
	case OptInSMS:
		if sc := c.customer().SMSMarketingConsent; sc != nil && sc.State == "subscribed" {
			at := firstOf(sc.ConsentUpdatedAt, when)
			return &starter.OptIn{At: at, Source: "shopify sms_marketing_consent"}, firstOf(c.SMSMarketingPhone, c.customer().Phone, c.Phone), true
		}
		if c.BuyerAcceptsSMSMarketing {
			return &starter.OptIn{At: when, Source: "shopify checkout: buyer_accepts_sms_marketing"}, firstOf(c.SMSMarketingPhone, c.Phone, c.customer().Phone), true
		}
	case OptInMarketing:
		if c.BuyerAcceptsMarketing {
			return &starter.OptIn{At: when, Source: "shopify checkout: buyer_accepts_marketing"}, anyNumber, true
		}
	case OptInAttribute:
		for _, a := range c.NoteAttributes {
			if a.Name == o.Attribute && truthy(a.Value) {
				return &starter.OptIn{At: when, Source: "shopify checkout: note attribute " + o.Attribute}, anyNumber, true
			}
		}
	}
	return nil, "", false
}

// truthy reads a checkbox as themes post it: true, "true", "yes", "on", "1".
func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "yes", "on", "1":
			return true
		}
	}
	return false
}
