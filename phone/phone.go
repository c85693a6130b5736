// Package phone turns the phone numbers storefronts send and the WhatsApp IDs Meta reports into one
// comparable form, and masks them for logs.
//
// Three forms exist and must not be confused:
//   - E.164 as a storefront sends it, formatted or not ("+52 55 1234 5678"): Normalize makes it "+525512345678".
//   - wa_id as Meta reports it in webhooks (digits, no '+'): for some countries it is NOT the E.164 digits
//     (see canonical.go).
//   - Canonical: one key per WhatsApp subscriber, for matching a reply to the cart it answers.
package phone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalidPhone is wrapped by every error Normalize returns, so callers can tell bad input from other failures.
var ErrInvalidPhone = errors.New("invalid phone number")

// maxRawLen bounds the input we hand to the parser; no formatted phone number comes close to it.
const maxRawLen = 64

// Normalize parses a number as a storefront sends it ("+52 55 1234 5678", "+1 (650) 555-1234") with
// github.com/nyaruka/phonenumbers and returns E.164 ("+525512345678"). It requires a leading + / country code
// (no default region), and rejects numbers phonenumbers says are not valid (clear error, wrapping ErrInvalidPhone).
//
// A number that is invalid only because it is written in a legacy WhatsApp form (Mexico's "+52 1 ...",
// Brazil's 8-digit mobile) is accepted in its Canonical form, since that is the same subscriber and the
// current numbering plan's E.164.
func Normalize(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", fmt.Errorf("%w: empty", ErrInvalidPhone)
	case len(s) > maxRawLen:
		return "", fmt.Errorf("%w: longer than %d characters", ErrInvalidPhone, maxRawLen)
	case !strings.HasPrefix(s, "+"):
		// Without a '+' we would have to guess the country; a wrong guess messages a stranger.
		return "", fmt.Errorf("%w: %s: must start with '+' and a country code", ErrInvalidPhone, Mask(s))
	}
	// phonenumbers maps letters to keypad digits ("1-800-FLOWERS"); a storefront number with letters is garbage.
	for _, r := range s[1:] {
		if !strings.ContainsRune("0123456789 -()./", r) {
			return "", fmt.Errorf("%w: %s: unexpected character %q", ErrInvalidPhone, Mask(s), r)
		}
	}
	num, err := phonenumbers.Parse(s, "")
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrInvalidPhone, Mask(s), err)
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if phonenumbers.IsValidNumber(num) {
		return e164, nil
	}
	if c := Canonical(e164); c != e164 {
		if n2, err := phonenumbers.Parse(c, ""); err == nil && phonenumbers.IsValidNumber(n2) {
			return c, nil
		}
	}
	return "", fmt.Errorf("%w: %s: not a valid number for its country", ErrInvalidPhone, Mask(s))
}

// Mask is the only form of a number that may appear in logs: "+52******5678" (country code kept, last 4 kept;
// at least half of the rest is always hidden).
// It accepts E.164, formatted numbers and bare wa_id digits; anything without digits masks to "".
func Mask(number string) string {
	var b strings.Builder
	for _, r := range number {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	// Too short to hide anything behind a kept country code and last four: hide it all.
	if len(d) <= 6 {
		if d == "" {
			return ""
		}
		return "+" + strings.Repeat("*", len(d))
	}
	cc := countryCodePrefix(d)
	// Keep the last four, or fewer where the number is so short that four would show most of it.
	keep := min(4, (len(d)-len(cc))/2)
	return "+" + cc + strings.Repeat("*", len(d)-len(cc)-keep) + d[len(d)-keep:]
}

// countryCodePrefix returns the leading 1-3 digits of d that form an assigned calling code, or "" if none
// does. ITU calling codes are prefix-free, so the first match is the only one.
func countryCodePrefix(d string) string {
	for n := 1; n <= 3 && n < len(d); n++ {
		cc, err := strconv.Atoi(d[:n])
		if err == nil && phonenumbers.GetRegionCodeForCountryCode(cc) != phonenumbers.UNKNOWN_REGION {
			return d[:n]
		}
	}
	return ""
}
