// Package shopify reads a Shopify store's webhooks, so that a store is plugged in without glue
// code: a checkout (checkouts/create, checkouts/update) is an abandoned cart once the send delay
// passes without an order, and an order (orders/create) is its purchase. Shopify has no
// "abandoned" event: the flow's send delay is what makes a checkout abandoned.
package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// The topics cartback acts on (the X-Shopify-Topic header).
const (
	TopicCheckoutCreate = "checkouts/create"
	TopicCheckoutUpdate = "checkouts/update"
	TopicOrderCreate    = "orders/create"
)

// SignatureHeader carries the base64 HMAC-SHA256 of the raw body, keyed with the app's client secret.
const SignatureHeader = "X-Shopify-Hmac-Sha256"

// ErrBadSignature: the signature header is missing, not base64, or matches none of the secrets.
var ErrBadSignature = errors.New("X-Shopify-Hmac-Sha256 is missing or does not match the body")

// VerifySignature checks a delivery's signature against each secret: the current client secret
// and, during a rotation (Shopify takes up to an hour to switch), the previous one. Empty secrets
// never match.
func VerifySignature(body []byte, header string, secrets ...string) error {
	got, err := base64.StdEncoding.DecodeString(header)
	if err != nil || len(got) != sha256.Size {
		return ErrBadSignature
	}
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		if hmac.Equal(got, m.Sum(nil)) {
			return nil
		}
	}
	return ErrBadSignature
}
