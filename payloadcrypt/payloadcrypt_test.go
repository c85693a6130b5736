package payloadcrypt_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cartback/cartback/payloadcrypt"
)

type cart struct {
	Phone string `json:"phone"`
	Name  string `json:"name"`
}

var shopper = cart{Phone: "+525512345678", Name: "Sheena Nelson"}

func key(b byte) []byte { return bytes.Repeat([]byte{b}, payloadcrypt.KeySize) }

func codec(t *testing.T, keys payloadcrypt.Keys, id string) *payloadcrypt.Codec {
	t.Helper()
	c, err := payloadcrypt.New(keys, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func encode(t *testing.T, c *payloadcrypt.Codec, v any) *commonpb.Payload {
	t.Helper()
	p, err := payloadcrypt.DataConverter(c).ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundTripHidesTheData(t *testing.T) {
	c := codec(t, payloadcrypt.Keys{"k1": key(1)}, "k1")
	p := encode(t, c, shopper)
	if got := string(p.Metadata[converter.MetadataEncoding]); got != payloadcrypt.Encoding {
		t.Errorf("encoding %q", got)
	}
	if got := string(p.Metadata[payloadcrypt.MetadataKeyID]); got != "k1" {
		t.Errorf("key id %q", got)
	}
	for _, clear := range []string{"525512345678", "12345678", "Sheena", "json/plain", "phone"} {
		if bytes.Contains(p.Data, []byte(clear)) {
			t.Errorf("the sealed payload holds %q", clear)
		}
	}
	if again := encode(t, c, shopper); bytes.Equal(again.Data, p.Data) {
		t.Error("two encodings of one value are equal: the nonce is not fresh")
	}
	var got cart
	if err := payloadcrypt.DataConverter(c).FromPayload(p, &got); err != nil || got != shopper {
		t.Fatalf("decoded %+v, %v", got, err)
	}
}

// TestRotation: a codec that lists the old key and encrypts with the new one reads both; one
// that dropped the old key says which key it lacks.
func TestRotation(t *testing.T) {
	old := encode(t, codec(t, payloadcrypt.Keys{"k1": key(1)}, "k1"), shopper)
	rotated := codec(t, payloadcrypt.Keys{"k1": key(1), "k2": key(2)}, "k2")
	fresh := encode(t, rotated, shopper)
	if got := string(fresh.Metadata[payloadcrypt.MetadataKeyID]); got != "k2" {
		t.Fatalf("after the switch the key id is %q", got)
	}
	for name, p := range map[string]*commonpb.Payload{"old": old, "new": fresh} {
		var got cart
		if err := payloadcrypt.DataConverter(rotated).FromPayload(p, &got); err != nil || got != shopper {
			t.Errorf("%s payload: %+v, %v", name, got, err)
		}
	}
	dropped := codec(t, payloadcrypt.Keys{"k2": key(2)}, "k2")
	var got cart
	err := payloadcrypt.DataConverter(dropped).FromPayload(old, &got)
	if err == nil || !strings.Contains(err.Error(), `"k1"`) || !strings.Contains(err.Error(), "CARTBACK_PAYLOAD_KEYS") {
		t.Fatalf("an unknown key id: %v", err)
	}
}

// TestUnencryptedPassesThrough: payloads written before encryption was on decode unchanged.
func TestUnencryptedPassesThrough(t *testing.T) {
	plain, err := converter.GetDefaultDataConverter().ToPayload(shopper)
	if err != nil {
		t.Fatal(err)
	}
	c := codec(t, payloadcrypt.Keys{"k1": key(1)}, "k1")
	out, err := c.Decode([]*commonpb.Payload{plain})
	if err != nil || out[0] != plain {
		t.Fatalf("decode changed an unencrypted payload: %v", err)
	}
	var got cart
	if err := payloadcrypt.DataConverter(c).FromPayload(plain, &got); err != nil || got != shopper {
		t.Fatalf("decoded %+v, %v", got, err)
	}
}

// TestWrongKey: the same id with another key, a payload relabelled to another listed key, and a
// truncated payload each fail with the key id named, never a value.
func TestWrongKey(t *testing.T) {
	sealed := encode(t, codec(t, payloadcrypt.Keys{"k1": key(1)}, "k1"), shopper)
	var got cart
	err := payloadcrypt.DataConverter(codec(t, payloadcrypt.Keys{"k1": key(9)}, "k1")).FromPayload(sealed, &got)
	if err == nil || !strings.Contains(err.Error(), `key "k1" does not decrypt`) {
		t.Fatalf("the wrong key under the right id: %v", err)
	}

	both := codec(t, payloadcrypt.Keys{"k1": key(1), "k2": key(1)}, "k1")
	relabelled := &commonpb.Payload{Metadata: map[string][]byte{
		converter.MetadataEncoding: []byte(payloadcrypt.Encoding), payloadcrypt.MetadataKeyID: []byte("k2"),
	}, Data: sealed.Data}
	if _, err := both.Decode([]*commonpb.Payload{relabelled}); err == nil {
		t.Fatal("a payload relabelled with another key id (the same key bytes) opened: the id is not bound")
	}
	truncated := &commonpb.Payload{Metadata: sealed.Metadata, Data: sealed.Data[:4]}
	if _, err := both.Decode([]*commonpb.Payload{truncated}); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("a truncated payload: %v", err)
	}
}

func TestNewNeedsTheEncryptingKey(t *testing.T) {
	if _, err := payloadcrypt.New(payloadcrypt.Keys{"k1": key(1)}, "k2"); err == nil || !strings.Contains(err.Error(), `"k2"`) {
		t.Fatalf("an encrypting key id that is not listed: %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	k1, k2 := base64.StdEncoding.EncodeToString(key(1)), base64.StdEncoding.EncodeToString(key(2))
	keys, err := payloadcrypt.ParseKeys(" k1:" + k1 + " , 2026-12.b_x:" + k2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(keys["k1"], key(1)) || !bytes.Equal(keys["2026-12.b_x"], key(2)) || len(keys) != 2 {
		t.Fatalf("parsed %v", keys.IDs())
	}
	if again, err := payloadcrypt.ParseKeys(keys.String()); err != nil || again.String() != keys.String() {
		t.Fatalf("String does not parse back: %v", err)
	}
	short := base64.StdEncoding.EncodeToString(key(1)[:16])
	for _, tc := range []struct{ in, want string }{
		{"k1", "without a key id"},
		{"k1:" + k1 + ",", "empty entry"},
		{"k 1:" + k1, `key id "k 1"`},
		{"k1:" + k1 + ",k1:" + k2, "twice"},
		{"k1:not base64!", "not standard base64"},
		{"k1:" + short, "of 16 bytes: AES-256 needs 32"},
	} {
		_, err := payloadcrypt.ParseKeys(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseKeys(%q): %v, want %q", tc.in, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), k1) || strings.Contains(err.Error(), short)) {
			t.Errorf("ParseKeys(%q): the error repeats the key: %v", tc.in, err)
		}
	}
}

// TestFailuresAreSealed: with a key, an error's message (and stack trace) is stored sealed, and
// read back whole; a failure stored in clear before still reads; without a key, failures are the
// SDK's default.
func TestFailuresAreSealed(t *testing.T) {
	c := codec(t, payloadcrypt.Keys{"k1": key(1)}, "k1")
	fc := payloadcrypt.FailureConverter(c)
	msg := "the Graph API refused the send to " + shopper.Phone
	f := fc.ErrorToFailure(temporal.NewApplicationError(msg, "SendError"))
	stored, err := protojson.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte(shopper.Phone)) || bytes.Contains(stored, []byte(base64.StdEncoding.EncodeToString([]byte(shopper.Phone))[:12])) {
		t.Fatalf("the stored failure shows the number: %s", stored)
	}
	if got := string(f.GetEncodedAttributes().GetMetadata()[converter.MetadataEncoding]); got != payloadcrypt.Encoding {
		t.Fatalf("the failure's attributes are stored as %q", got)
	}
	var appErr *temporal.ApplicationError
	if err := fc.FailureToError(f); !errors.As(err, &appErr) || appErr.Message() != msg || appErr.Type() != "SendError" {
		t.Errorf("read back %v", err)
	}

	old := temporal.GetDefaultFailureConverter().ErrorToFailure(temporal.NewApplicationError("stored before", "SendError"))
	if err := fc.FailureToError(old); !errors.As(err, &appErr) || appErr.Message() != "stored before" {
		t.Errorf("a failure in clear reads %v", err)
	}
	if f := payloadcrypt.FailureConverter(nil).ErrorToFailure(errors.New(msg)); f.GetMessage() != msg || f.GetEncodedAttributes() != nil {
		t.Errorf("without a key: %v", f)
	}
}
