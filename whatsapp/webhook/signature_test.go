package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// sign computes the header Meta would send for body under secret.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"object":"whatsapp_business_account","entry":[]}`)
	const current, previous = "app-secret-2026", "app-secret-2025"
	good := sign(current, body)

	tests := []struct {
		name    string
		body    []byte
		header  string
		secrets []string
		want    error // nil means it must pass
	}{
		{"valid", body, good, []string{current}, nil},
		{"valid, upper-case hex", body, "sha256=" + strings.ToUpper(good[7:]), []string{current}, nil},
		{"valid, surrounding whitespace", body, "  " + good + " ", []string{current}, nil},
		{"missing header", body, "", []string{current}, ErrMissingSignature},
		{"blank header", body, "   ", []string{current}, ErrMissingSignature},
		{"no sha256= prefix", body, good[7:], []string{current}, ErrMalformedSignature},
		{"sha1 prefix (X-Hub-Signature)", body, "sha1=" + good[7:], []string{current}, ErrMalformedSignature},
		{"bad hex", body, "sha256=" + strings.Repeat("zz", 32), []string{current}, ErrMalformedSignature},
		{"truncated hex", body, good[:len(good)-2], []string{current}, ErrMalformedSignature},
		{"odd-length hex", body, good[:len(good)-1], []string{current}, ErrMalformedSignature},
		{"too long hex", body, good + "00", []string{current}, ErrMalformedSignature},
		{"prefix only", body, "sha256=", []string{current}, ErrMalformedSignature},
		{"wrong secret", body, good, []string{"not-the-secret"}, ErrBadSignature},
		{"tampered body", []byte(strings.Replace(string(body), "[]", "[{}]", 1)), good, []string{current}, ErrBadSignature},
		{"no secrets", body, good, nil, ErrBadSignature},
		{"empty secret only", body, good, []string{""}, ErrBadSignature},
		{"empty secret never passes, even when the header was computed with the empty key", body, sign("", body), []string{""}, ErrBadSignature},
		{"empty key header against current and empty", body, sign("", body), []string{current, ""}, ErrBadSignature},
		{"rotation: signed with new, both configured", body, good, []string{current, previous}, nil},
		{"rotation: signed with old, both configured", body, sign(previous, body), []string{current, previous}, nil},
		{"rotation: signed with old, order swapped", body, sign(previous, body), []string{previous, current}, nil},
		{"rotation: signed with old, only new configured", body, sign(previous, body), []string{current}, ErrBadSignature},
		{"rotation: signed with new, only old configured", body, good, []string{previous}, ErrBadSignature},
		{"empty body, valid signature", []byte{}, sign(current, []byte{}), []string{current}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.body, tt.header, tt.secrets...)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("want pass, got %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// Meta serialises non-ASCII as \uXXXX escapes and signs those bytes. The signature must be checked over the
// body as received; the same JSON decoded and re-encoded is different bytes and must not verify.
func TestVerifySignatureRawEscapes(t *testing.T) {
	raw := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"messages":[{"from":"5215512345678","id":"wamid.x","timestamp":"1749416905","type":"text","text":{"body":"S\u00ed, \u00bfcu\u00e1nto cuesta el env\u00edo? \ud83d\ude9a"}}]},"field":"messages"}]}]}`)
	const secret = "app-secret-2026"
	header := sign(secret, raw)

	if err := VerifySignature(raw, header, secret); err != nil {
		t.Fatalf("raw body as received: %v", err)
	}

	// The escapes decode to real characters...
	p, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	events, _ := p.Events("106540352242922")
	if len(events) != 1 || events[0].Message.Text != "Sí, ¿cuánto cuesta el envío? 🚚" {
		t.Fatalf("decoded text = %+v", events)
	}

	// ...so any re-serialisation of the parsed body differs from what Meta signed.
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	reencoded, err := json.Marshal(generic)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(reencoded, header, secret); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("re-encoded body: got %v, want ErrBadSignature", err)
	}
	// And a body whose escapes were replaced by UTF-8 (a proxy "normalising" it) fails as well.
	utf8Body := []byte(strings.NewReplacer(`\u00ed`, "í", `\u00bf`, "¿", `\u00e1`, "á").Replace(string(raw)))
	if err := VerifySignature(utf8Body, header, secret); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("UTF-8 body: got %v, want ErrBadSignature", err)
	}
}
