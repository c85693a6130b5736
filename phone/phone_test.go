package phone

import (
	"errors"
	"strings"
	"testing"
)

func TestCanonicalSameSubscriber(t *testing.T) {
	tests := []struct {
		name, e164, waID, want string
	}{
		{"Mexico CDMX mobile", "+525512345678", "5215512345678", "+525512345678"},
		{"Mexico Guadalajara mobile", "+523312345678", "5213312345678", "+523312345678"},
		{"Mexico 3-digit area", "+529981234567", "5219981234567", "+529981234567"},
		{"Argentina Buenos Aires, storefront with 9", "+5491123456789", "5491123456789", "+5491123456789"},
		{"Argentina Buenos Aires, storefront without 9", "+541123456789", "5491123456789", "+5491123456789"},
		{"Argentina Cordoba, storefront without 9", "+543512345678", "5493512345678", "+5493512345678"},
		{"Argentina 4-digit area, without 9", "+542966123456", "5492966123456", "+5492966123456"},
		{"Brazil Sao Paulo, old 8-digit account", "+5511987654321", "551187654321", "+5511987654321"},
		{"Brazil Rio, old 8-digit account", "+5521987654321", "552187654321", "+5521987654321"},
		{"Brazil Curitiba, new 9-digit account", "+5541988887777", "5541988887777", "+5541988887777"},
		{"Brazil Bahia, old account starting 7", "+5571977776666", "557177776666", "+5571977776666"},
		{"US", "+16505551234", "16505551234", "+16505551234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Canonical(tt.e164), Canonical(tt.waID)
			if a != tt.want || b != tt.want {
				t.Errorf("Canonical(%q)=%q, Canonical(%q)=%q, want both %q", tt.e164, a, tt.waID, b, tt.want)
			}
			// The same forms with the other prefix convention ('+' or not) must agree too.
			if c := Canonical(strings.TrimPrefix(tt.e164, "+")); c != tt.want {
				t.Errorf("Canonical(%q without +)=%q, want %q", tt.e164, c, tt.want)
			}
			if c := Canonical("+" + tt.waID); c != tt.want {
				t.Errorf("Canonical(+%q)=%q, want %q", tt.waID, c, tt.want)
			}
		})
	}
}

func TestCanonicalUnchanged(t *testing.T) {
	for _, n := range []string{
		"+16505551234",     // US
		"+447911123456",    // UK mobile
		"+442079460000",    // UK London landline
		"+919876543210",    // India mobile
		"+551132345678",    // Brazil Sao Paulo landline (starts 3): must not gain a 9
		"+552125551234",    // Brazil Rio landline (starts 2)
		"+555132345678",    // Brazil Porto Alegre landline
		"+5511932345678",   // Brazil 9-digit mobile already canonical
		"+525512345678",    // Mexico 10-digit (landline and mobile look alike): already canonical
		"+528112345678",    // Mexico Monterrey
		"+52155123456",     // 521 but too short for the legacy mobile form
		"+521551234567890", // 521 but too long
		"+5491123456789",   // Argentina mobile, already canonical
		"+5411234567",      // Argentina, too short for the rule
		"+54912345678901",  // Argentina, too long
		"+4915112345678",   // Germany
		"+861012345678",    // China: 86 not 52/54/55
		"+34612345678",     // Spain
	} {
		if got := Canonical(n); got != n {
			t.Errorf("Canonical(%q) = %q, want unchanged", n, got)
		}
	}
}

func TestCanonicalGarbageUnchanged(t *testing.T) {
	for _, n := range []string{"", "+", "abc", "+52 55 CALL ME", "1234", "+1234567890123456", "wamid.HBgL"} {
		if got := Canonical(n); got != n {
			t.Errorf("Canonical(%q) = %q, want input back unchanged", n, got)
		}
	}
}

func TestCanonicalIdempotent(t *testing.T) {
	for _, n := range []string{"5215512345678", "541123456789", "551187654321", "+16505551234"} {
		once := Canonical(n)
		if twice := Canonical(once); twice != once {
			t.Errorf("Canonical not idempotent for %q: %q then %q", n, once, twice)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+52 55 1234 5678", "+525512345678"},
		{"+1 (650) 555-1234", "+16505551234"},
		{"  +16505551234  ", "+16505551234"},
		{"+44 7911 123456", "+447911123456"},
		{"+91 98765 43210", "+919876543210"},
		{"+55 11 98765-4321", "+5511987654321"},
		{"+55 11 3234-5678", "+551132345678"},
		{"+54 9 11 2345-6789", "+5491123456789"},
		{"+54.11.2345.6789", "+541123456789"}, // valid as written (fixed-line shape); Canonical adds the 9
		// Legacy WhatsApp forms phonenumbers rejects are accepted as their canonical E.164.
		{"+52 1 55 1234 5678", "+525512345678"},
		{"+55 11 8765-4321", "+5511987654321"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeRejects(t *testing.T) {
	for _, in := range []string{
		"",
		"   ",
		"+",
		"garbage",
		"+not a number",
		"+1 650 FLOWERS",
		"+1 650 555",          // too short
		"+1650555123",         // one digit short
		"+1 650 555 12345678", // too long
		"6505551234",          // no '+'
		"16505551234",         // wa_id digits, no '+'
		"0044 7911 123456",    // international prefix instead of '+'
		"+999 1234 5678",      // unassigned country code
		"+52 1 55 1234",       // legacy Mexico prefix on a too-short number
		"+" + strings.Repeat("1", 100),
	} {
		got, err := Normalize(in)
		if err == nil {
			t.Errorf("Normalize(%q) = %q, want error", in, got)
			continue
		}
		if !errors.Is(err, ErrInvalidPhone) {
			t.Errorf("Normalize(%q) error %v does not wrap ErrInvalidPhone", in, err)
		}
		// The error ends up in logs: it must not carry the full number.
		if d := strings.Map(keepDigits, in); len(d) > 6 && strings.Contains(err.Error(), d) {
			t.Errorf("Normalize(%q) error leaks the number: %v", in, err)
		}
	}
}

func keepDigits(r rune) rune {
	if r >= '0' && r <= '9' {
		return r
	}
	return -1
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+525512345678", "+52******5678"},
		{"5215512345678", "+52*******5678"},
		{"+16505551234", "+1******1234"},
		{"16505551234", "+1******1234"},
		{"+1 (650) 555-1234", "+1******1234"},
		{"+447911123456", "+44******3456"},
		{"+5511987654321", "+55*******4321"},
		{"+919876543210", "+91******3210"},
		{"+3725123456", "+372****456"}, // Estonia: a 3-digit country code and a 7-digit number
		{"+6834002", "+683**02"},       // Niue: four digits after the country code, two hidden
		{"1234567", "+1***567"},
		{"123456", "+******"}, // too short to keep anything
		{"12", "+**"},
		{"", ""},
		{"no digits", ""},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
