// Package coupon makes the per-cart coupon codes: derived from the cart id with a secret
// (CARTBACK_COUPON_MODE=derived), which the storefront checks with the same secret, or asked of
// the storefront (CARTBACK_COUPON_MODE=storefront, CARTBACK_COUPON_URL).
package coupon

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/cartback/cartback/events"
)

// The modes, the values of CARTBACK_COUPON_MODE.
const (
	ModeGeneric    = "generic"    // everyone gets CARTBACK_COUPON_CODE
	ModeDerived    = "derived"    // Derive(CARTBACK_COUPON_SECRET, cart id)
	ModeStorefront = "storefront" // a signed POST to CARTBACK_COUPON_URL answers the code
)

// alphabet is Crockford's base 32: no I, L, O or U, so that a code read aloud or typed from a
// phone's screen is not mistyped (Check reads O as 0 and I, L as 1 all the same).
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// prefix starts every derived code, so that a shopper sees what it is.
const prefix = "SAVE"

// Derive is the derived code of a cart: "SAVE-" and the first 40 bits of HMAC-SHA256(secret,
// "cartback coupon v1\n" + cart id) as 8 characters of Crockford's base 32, in two groups of four
// ("SAVE-7KQ2-MX9D"). The same cart always gets the same code; without the secret, no code can
// be made or guessed better than by chance (1 in 2^40).
func Derive(secret []byte, cartID string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("cartback coupon v1\n" + cartID))
	sum := mac.Sum(nil)
	var bits uint64
	for _, b := range sum[:5] {
		bits = bits<<8 | uint64(b)
	}
	var code [8]byte
	for i := range code {
		code[7-i] = alphabet[bits&31]
		bits >>= 5
	}
	return prefix + "-" + string(code[:4]) + "-" + string(code[4:])
}

// Check reports whether code is cartID's derived code, as a shopper may type it: in any case,
// with or without the dashes and spaces, O for 0 and I or L for 1. It compares in constant time.
func Check(secret []byte, cartID, code string) bool {
	return hmac.Equal([]byte(typed(Derive(secret, cartID))), []byte(typed(code)))
}

// typed folds a code as Check reads it.
func typed(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch {
		case r == 'O':
			b.WriteByte('0')
		case r == 'I' || r == 'L':
			b.WriteByte('1')
		case r == '-' || unicode.IsSpace(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// MaxCodeLength bounds a code the storefront answers: it goes into a WhatsApp message and the
// flow's history.
const MaxCodeLength = 64

// Request is the body of the POST to CARTBACK_COUPON_URL.
type Request struct {
	CartID  string `json:"cart_id"`
	EventID string `json:"event_id"` // the same on every retry for one flow: an idempotency key
}

// Answer is what the storefront answers: 200 with the code.
type Answer struct {
	Code string `json:"code"`
}

// ErrRefused wraps an answer no retry can change (a 4xx other than 408 and 429, or a body that
// holds no usable code).
var ErrRefused = errors.New("coupon: the storefront refused")

// Fetcher asks the storefront for a cart's code: a POST of Request to URL, signed as the outcome
// events are (X-Cartback-Signature, HMAC-SHA256 of "<t>.<body>" under Secret).
type Fetcher struct {
	URL        string
	Secret     []byte
	HTTPClient *http.Client // nil: 10 seconds' timeout
}

// Fetch asks for the code of one cart.
func (f *Fetcher) Fetch(ctx context.Context, r Request) (string, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("coupon: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "cartback")
	req.Header.Set(events.SignatureHeader, events.Sign(f.Secret, time.Now(), body))
	client := &http.Client{Timeout: 10 * time.Second}
	if f.HTTPClient != nil {
		client = f.HTTPClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("coupon: asking the storefront for cart %s's code: %w", r.CartID, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return "", fmt.Errorf("coupon: the storefront answered %d for cart %s", resp.StatusCode, r.CartID)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return "", fmt.Errorf("%w: %d for cart %s", ErrRefused, resp.StatusCode, r.CartID)
	}
	var a Answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return "", fmt.Errorf("%w: its answer for cart %s is not {\"code\": ...}: %v", ErrRefused, r.CartID, err)
	}
	code := strings.TrimSpace(a.Code)
	if code == "" || len(code) > MaxCodeLength || strings.IndexFunc(code, func(r rune) bool { return unicode.IsControl(r) }) >= 0 {
		return "", fmt.Errorf("%w: its code for cart %s is empty, longer than %d bytes or holds control characters", ErrRefused, r.CartID, MaxCodeLength)
	}
	return code, nil
}
