// Package webhook parses and authenticates the webhook calls Meta's WhatsApp Cloud API makes to us.
//
// It knows Meta's wire format and nothing else: no Temporal, no storage, no phone-number rules. The HTTP
// handler verifies the signature over the raw body (VerifySignature), decodes it (Parse) and hands the
// flattened Events to whoever acts on them.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Signature errors. ErrMissingSignature and ErrMalformedSignature mean the request did not come from Meta
// as Meta signs; ErrBadSignature means it was signed with a key we do not hold (or the body was altered).
var (
	ErrMissingSignature   = errors.New("webhook: missing X-Hub-Signature-256 header")
	ErrMalformedSignature = errors.New("webhook: malformed X-Hub-Signature-256 header")
	ErrBadSignature       = errors.New("webhook: X-Hub-Signature-256 does not match the body")
)

// signaturePrefix is how Meta prefixes the hex digest in X-Hub-Signature-256.
const signaturePrefix = "sha256="

// VerifySignature checks X-Hub-Signature-256 ("sha256=<hex>") = HMAC-SHA256(secret, rawBody) in constant time
// against each non-empty secret given (current and, during a rotation, previous). An empty secret never passes.
// Errors: ErrMissingSignature, ErrMalformedSignature (no "sha256=" prefix, bad hex, wrong length), ErrBadSignature.
//
// rawBody must be the bytes exactly as received: Meta signs its own serialisation (which escapes non-ASCII
// as \uXXXX), so a body that was decoded and re-encoded will not verify.
func VerifySignature(rawBody []byte, header string, secrets ...string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return ErrMissingSignature
	}
	if len(header) < len(signaturePrefix) || !strings.EqualFold(header[:len(signaturePrefix)], signaturePrefix) {
		return fmt.Errorf("%w: want %q prefix", ErrMalformedSignature, signaturePrefix)
	}
	digest := header[len(signaturePrefix):]
	if len(digest) != hex.EncodedLen(sha256.Size) {
		return fmt.Errorf("%w: digest is %d hex characters, want %d", ErrMalformedSignature, len(digest), hex.EncodedLen(sha256.Size))
	}
	got, err := hex.DecodeString(digest)
	if err != nil {
		return fmt.Errorf("%w: digest is not hex", ErrMalformedSignature)
	}

	tried, ok := 0, false
	for _, secret := range secrets {
		// An empty key is a misconfiguration, and HMAC with it is computable by anyone.
		if secret == "" {
			continue
		}
		tried++
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(rawBody)
		// No early return: the time taken must not reveal which secret matched.
		if hmac.Equal(mac.Sum(nil), got) {
			ok = true
		}
	}
	switch {
	case ok:
		return nil
	case tried == 0:
		return fmt.Errorf("%w: no app secret configured", ErrBadSignature)
	default:
		return ErrBadSignature
	}
}
