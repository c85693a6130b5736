package store

import (
	"errors"
	"fmt"
	"regexp"
	"unicode"
	"unicode/utf8"
)

// ErrInvalid is wrapped by the error of a call given a value the store refuses: a malformed
// customer key or user id hash, a phone number in clear, an unknown reason. Nothing is written.
var ErrInvalid = errors.New("invalid value")

// hexKey is the form of a customer key (workflows.CustomerKey) and of a user id hash: 32
// lower-case hex digits. A BSUID or a phone number in clear never has it.
var hexKey = regexp.MustCompile(`^[0-9a-f]{32}$`)

// maskedPhone is phone.Mask's form: '+', at most a 3-digit country code, the hidden digits as
// '*', at most the last 4. Seven digits at most show, which no full number is.
var maskedPhone = regexp.MustCompile(`^\+[0-9]{0,3}\*+[0-9]{0,4}$`)

const (
	maxSourceLen = 64
	// maxDigitRun is the most digits a source may hold in a row (spaces, '-', '.', '(', ')' and
	// '+' between them count as in the row): seven would be a phone number's length.
	maxDigitRun = 6
)

func checkKey(what, key string) error {
	if !hexKey.MatchString(key) {
		// Not echoed: it may be a phone number passed by mistake.
		return fmt.Errorf("%w: a %s must be 32 lower-case hex digits (workflows.CustomerKey's form)", ErrInvalid, what)
	}
	return nil
}

func checkUserIDHash(hash string) error {
	if !hexKey.MatchString(hash) {
		// Not echoed: it may be the user id in clear.
		return fmt.Errorf("%w: a user id hash must be 32 lower-case hex digits (a keyed HMAC, never the user id itself)", ErrInvalid)
	}
	return nil
}

func checkMaskedPhone(masked string) error {
	if masked != "" && !maskedPhone.MatchString(masked) {
		// Not echoed: it may be the number in clear.
		return fmt.Errorf("%w: the masked phone is not in phone.Mask's form (+52******5678): a number is never stored in clear", ErrInvalid)
	}
	return nil
}

func checkSource(source string) error {
	switch {
	case !utf8.ValidString(source) || utf8.RuneCountInString(source) > maxSourceLen:
		return fmt.Errorf("%w: a source must be UTF-8 text of at most %d characters", ErrInvalid, maxSourceLen)
	case longestDigitRun(source) > maxDigitRun:
		return fmt.Errorf("%w: a source may not hold more than %d digits in a row: it would look like a phone number", ErrInvalid, maxDigitRun)
	}
	for _, r := range source {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%w: a source may not hold control characters (%q)", ErrInvalid, r)
		}
	}
	return nil
}

// longestDigitRun counts the digits of the longest stretch of s made of digits and the
// characters phone numbers are written with.
func longestDigitRun(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			run++
			longest = max(longest, run)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '+':
		default:
			run = 0
		}
	}
	return longest
}
