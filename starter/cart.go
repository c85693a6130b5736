// Package starter is the typed client over Temporal that the HTTP server and the command line share:
// it decodes, validates and normalises an abandoned cart (the one place that does, so both accept and
// refuse the same things), starts its recovery flow, delivers replies, statuses, purchases and
// cancellations to flows, and reads their state.
package starter

import (
	"fmt"

	"github.com/cartback/cartback/money"
)

// Cart is an abandoned cart as the storefront posts it. Amounts are money.Decimal: JSON numbers or
// strings, kept as written until the currency is known, never float64.
type Cart struct {
	CartID   string        `json:"cart_id"`
	Customer Customer      `json:"customer"`
	Items    []Item        `json:"items"`
	Currency string        `json:"currency"`
	Total    money.Decimal `json:"total"`
	CartURL  string        `json:"cart_url"`
}

// Customer is the shopper. Phone is any formatting of an international number ("+52 55 1234 5678").
type Customer struct {
	Phone  string `json:"phone"`
	Name   string `json:"name"`
	Locale string `json:"locale,omitempty"`
	OptIn  *OptIn `json:"opt_in"`
	// TimeZone is the shopper's IANA time zone ("America/Mexico_City"), for the quiet hours;
	// without it the number's zones are used.
	TimeZone string `json:"time_zone,omitempty"`
}

// OptIn is the evidence of the shopper's consent. At is RFC 3339 text, parsed by validation (not by
// the JSON decoder) so that a bad date is reported as a field error like any other bad value.
type OptIn struct {
	At     string `json:"at"`
	Source string `json:"source"`
}

// Item is one line of the cart.
type Item struct {
	SKU       string        `json:"sku,omitempty"`
	Name      string        `json:"name"`
	Quantity  int           `json:"quantity"`
	UnitPrice money.Decimal `json:"unit_price"`
}

// DecodeCart decodes one cart strictly (see DecodeBody). It takes the whole body, read by the
// caller under its own size cap, so that every error here is the body's fault.
func DecodeCart(body []byte) (Cart, error) {
	var c Cart
	if err := DecodeBody(body, &c); err != nil {
		return Cart{}, err
	}
	return c, nil
}

// String is a short description for logs: never the customer's number or name.
func (c Cart) String() string { return fmt.Sprintf("cart %q (%d items)", c.CartID, len(c.Items)) }
