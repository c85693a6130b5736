package events

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" on every
// report, in the style of Stripe's Stripe-Signature header so storefront
// developers meet a familiar scheme.
const SignatureHeader = "X-Cartback-Signature"

// Errors returned by Verify, for errors.Is.
var (
	// ErrMissingSignature: the header is empty or has no v1 entry.
	ErrMissingSignature = errors.New("events: missing signature")
	// ErrMalformedSignature: the header cannot be parsed (no or repeated t=,
	// a non-numeric timestamp, a v1 that is not a hex SHA-256 digest).
	ErrMalformedSignature = errors.New("events: malformed signature header")
	// ErrBadSignature: no v1 matches the body under the secret.
	ErrBadSignature = errors.New("events: signature does not match")
	// ErrTimestampOutOfTolerance: the signature is genuine but too old (a
	// replay) or too far in the future.
	ErrTimestampOutOfTolerance = errors.New("events: signature timestamp out of tolerance")
	// ErrEmptySecret: no secret is configured. Verify refuses instead of
	// checking against an HMAC keyed with nothing, which anyone can forge.
	ErrEmptySecret = errors.New("events: empty signing secret")
)

// Sign returns the SignatureHeader value for body signed at t: the MAC covers
// "<unix seconds>.<body>" so a captured body cannot be replayed under a fresh
// timestamp. Sign cannot refuse an empty secret, so callers must check it;
// Verify rejects it anyway.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// mac computes HMAC-SHA256(secret, "<ts>.<body>").
func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify is what a storefront does with a report: it parses header (one t=,
// one or more v1=, unknown keys ignored so new schemes can be added
// alongside), checks in constant time that some v1 is the HMAC of
// "<t>.<body>" under secret, and then that |now - t| <= tolerance.
//
// Several v1 entries let a sender sign with both the old and the new secret
// while a secret is being rotated. The signature is checked before the
// timestamp so an unauthenticated caller learns nothing about the clock.
// A tolerance of zero allows only the same second; there is no "disabled"
// value, since skipping the check silently would allow replays.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return ErrEmptySecret
	}
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrMissingSignature
	}
	var (
		ts     string
		sigs   [][]byte
		seenTS bool
	)
	for _, part := range strings.Split(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformedSignature
		}
		switch key {
		case "t":
			if seenTS || value == "" || strings.Trim(value, "0123456789") != "" {
				return ErrMalformedSignature
			}
			ts, seenTS = value, true
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return ErrMalformedSignature
			}
			sigs = append(sigs, sig)
		}
	}
	if !seenTS {
		return ErrMalformedSignature
	}
	if len(sigs) == 0 {
		return ErrMissingSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrMalformedSignature // only digits, so this means out of range
	}
	// MAC the timestamp text exactly as received: re-formatting sec
	// would accept "t=0001" for a signature made over "1".
	want := mac(secret, ts, body)
	matched := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			matched = true
		}
	}
	if !matched {
		return ErrBadSignature
	}
	// time.Time.Sub saturates instead of overflowing, so absurd timestamps
	// land out of tolerance rather than wrapping into it.
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrTimestampOutOfTolerance
	}
	return nil
}
