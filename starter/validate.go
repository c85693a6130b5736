package starter

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cartback/cartback/money"
	"github.com/cartback/cartback/phone"
	"github.com/cartback/cartback/workflows"
)

// Limits on what a cart may hold. They keep one request from filling a workflow's history (every
// input is stored in it) and keep each text within what a WhatsApp message can carry.
const (
	maxCartIDLen  = 100
	maxItems      = 100
	maxQuantity   = 10000
	maxNameRunes  = 200
	maxURLLen     = 2000
	maxSourceLen  = 200
	maxZoneLen    = 64
	optInClockLag = 5 * time.Minute // a storefront clock slightly ahead of ours is not a future opt-in
)

// cartIDChars are the characters a cart id may hold besides letters and digits. Quotes and
// backslashes are out because the id goes into a visibility query; spaces and controls because it
// goes into a button payload.
const cartIDChars = "-_.:/#@+="

// Normalize validates every field of c and returns the flow's input: the phone in E.164, the
// currency in upper case, amounts in exact minor units, the opt-in time in UTC. The settings are
// left for the caller. All problems are reported at once in a *ValidationError.
func Normalize(c Cart, now time.Time) (workflows.Input, error) {
	v := &ValidationError{}
	in := workflows.Input{
		Cart: workflows.Cart{
			ID:       v.cartID(c.CartID),
			Currency: v.currency(c.Currency),
			URL:      v.cartURL(c.CartURL),
		},
		Customer: v.customer(c.Customer, now),
	}
	in.Cart.Items = v.items(c.Items, in.Cart.Currency)
	in.Cart.TotalMinor = v.amount("total", c.Total, in.Cart.Currency)
	v.lineTotals(in.Cart.Items, in.Cart.Currency)
	if len(v.Fields) > 0 {
		return workflows.Input{}, v
	}
	return in, nil
}

func (v *ValidationError) cartID(id string) string {
	id = strings.TrimSpace(id)
	switch {
	case id == "":
		v.add("cart_id", "is required")
	case len(id) > maxCartIDLen:
		v.add("cart_id", fmt.Sprintf("must be at most %d characters", maxCartIDLen))
	case strings.IndexFunc(id, badCartIDRune) >= 0:
		v.add("cart_id", "may hold only letters, digits and "+cartIDChars)
	}
	return id
}

func badCartIDRune(r rune) bool {
	return r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(cartIDChars, r))
}

func (v *ValidationError) currency(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		v.add("currency", "is required")
		return ""
	}
	if _, ok := money.Exponent(code); !ok {
		v.add("currency", "must be an active ISO 4217 code such as USD")
		return ""
	}
	return code
}

func (v *ValidationError) cartURL(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		v.add("cart_url", "is required")
		return ""
	}
	u, err := url.Parse(raw)
	switch {
	case len(raw) > maxURLLen:
		v.add("cart_url", fmt.Sprintf("must be at most %d characters", maxURLLen))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		v.add("cart_url", "must be an absolute http(s) URL")
	}
	return raw
}

func (v *ValidationError) customer(c Customer, now time.Time) workflows.Customer {
	out := workflows.Customer{
		Name:   v.text("customer.name", c.Name, maxNameRunes, true),
		Locale: v.locale(c.Locale),
	}
	if p, err := phone.Normalize(c.Phone); err != nil {
		v.add("customer.phone", "must be an international number starting with + and a country code, valid for its country")
	} else {
		out.Phone = p
	}
	out.TimeZone, out.TimeZones = v.timeZone(c.TimeZone, out.Phone)
	if c.OptIn == nil {
		v.add("customer.opt_in", "is required: WhatsApp allows no proactive message without the shopper's opt-in")
		return out
	}
	out.OptIn.Source = v.text("customer.opt_in.source", c.OptIn.Source, maxSourceLen, true)
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(c.OptIn.At))
	switch {
	case strings.TrimSpace(c.OptIn.At) == "":
		v.add("customer.opt_in.at", "is required")
	case err != nil:
		v.add("customer.opt_in.at", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
	case at.After(now.Add(optInClockLag)):
		v.add("customer.opt_in.at", "must not be in the future")
	default:
		out.OptIn.At = at.UTC()
	}
	return out
}

// text checks a free text: trimmed, within max runes, valid UTF-8, no control characters (they
// would break the template parameter Meta renders).
func (v *ValidationError) text(field, s string, max int, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		if required {
			v.add(field, "is required")
		}
	case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
		v.add(field, "must be text without control characters")
	case utf8.RuneCountInString(s) > max:
		v.add(field, fmt.Sprintf("must be at most %d characters", max))
	}
	return s
}

// locale accepts a language tag such as "en", "pt_BR" or "es-419": it picks the template language
// later, so it only has to have the right shape.
func (v *ValidationError) locale(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	lang, region, hasRegion := strings.Cut(strings.ReplaceAll(s, "-", "_"), "_")
	ok := len(lang) >= 2 && len(lang) <= 3 && isASCII(lang, unicode.IsLetter)
	if hasRegion {
		ok = ok && (len(region) == 2 && isASCII(region, unicode.IsLetter) || len(region) == 3 && isASCII(region, unicode.IsDigit))
	}
	if !ok {
		v.add("customer.locale", "must be a language tag such as en, pt_BR or es-419")
	}
	return s
}

func isASCII(s string, class func(rune) bool) bool {
	for _, r := range s {
		if r > unicode.MaxASCII || !class(r) {
			return false
		}
	}
	return true
}

func (v *ValidationError) items(items []Item, currency string) []workflows.Item {
	switch {
	case len(items) == 0:
		v.add("items", "must hold at least one item")
		return nil
	case len(items) > maxItems:
		v.add("items", fmt.Sprintf("must hold at most %d items", maxItems))
		return nil
	}
	out := make([]workflows.Item, len(items))
	for i, it := range items {
		at := fmt.Sprintf("items[%d].", i)
		out[i] = workflows.Item{
			SKU:            v.text(at+"sku", it.SKU, maxNameRunes, false),
			Name:           v.text(at+"name", it.Name, maxNameRunes, true),
			Quantity:       it.Quantity,
			UnitPriceMinor: v.amount(at+"unit_price", it.UnitPrice, currency),
		}
		if it.Quantity < 1 || it.Quantity > maxQuantity {
			v.add(at+"quantity", fmt.Sprintf("must be a whole number from 1 to %d", maxQuantity))
		}
	}
	return out
}

// amount converts an amount once the currency is known; with a bad currency only the currency is
// reported, since no amount can be checked against it.
//
// The total is checked for form, not against the items: storefronts add shipping and taxes and
// subtract discounts, so the sum of the lines is not the total.
func (v *ValidationError) amount(field string, d money.Decimal, currency string) int64 {
	if d == "" {
		v.add(field, "is required")
		return 0
	}
	if currency == "" {
		return 0
	}
	minor, err := d.Minor(currency)
	if err != nil {
		v.add(field, fmt.Sprintf("must be an exact amount of %s: %v", currency, err))
	}
	return minor
}

// timeZone accepts an IANA time zone name ("America/Mexico_City"). It returns it, and the zones
// the send is timed by: that one, or when the cart names none the number's (libphonenumber's).
func (v *ValidationError) timeZone(name, number string) (string, []string) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", phone.TimeZones(number)
	}
	// "Local" and "" name the server's own zone, not the shopper's; UTC is a zone like any other.
	if _, err := time.LoadLocation(name); err != nil || name == "Local" || len(name) > maxZoneLen {
		v.add("customer.time_zone", "must be an IANA time zone name such as America/Mexico_City")
		return "", nil
	}
	return name, []string{name}
}

// lineTotals refuses a cart whose lines cannot be shown: the reminder prints each line's amount
// (unit price × quantity), and the amounts must add up without overflowing.
func (v *ValidationError) lineTotals(items []workflows.Item, currency string) {
	if len(v.Fields) > 0 {
		return // a bad price or quantity is reported as such
	}
	var sum int64
	for i, it := range items {
		line, ok := money.Times(it.UnitPriceMinor, it.Quantity)
		if !ok {
			v.add(fmt.Sprintf("items[%d].unit_price", i), fmt.Sprintf("times the quantity (%d) exceeds the largest amount of %s, %s",
				it.Quantity, currency, money.Format(math.MaxInt64, currency)))
			return
		}
		if sum, ok = money.Plus(sum, line); !ok {
			v.add("items", fmt.Sprintf("the lines' amounts add up to more than the largest amount of %s, %s (at items[%d])",
				currency, money.Format(math.MaxInt64, currency), i))
			return
		}
	}
}
