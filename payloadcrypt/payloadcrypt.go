// Package payloadcrypt encrypts Temporal payloads with AES-256-GCM, so that Temporal (its database,
// its Web UI without our codec endpoint, any export) holds customers' data only as ciphertext.
//
// Each encrypted payload names the key that sealed it in its metadata: rotating is adding a key and
// switching the one that encrypts, and old payloads stay readable while their key is listed.
// Payloads that were written before encryption was turned on pass through Decode unchanged.
package payloadcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	// Encoding is the "encoding" metadata value of an encrypted payload.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the key that sealed the payload.
	MetadataKeyID = "encryption-key-id"
)

// KeySize is AES-256's key length in bytes.
const KeySize = 32

var keyIDForm = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Keys are the encryption keys by key id.
type Keys map[string][]byte

// ParseKeys reads keys written as CARTBACK_PAYLOAD_KEYS is: `id:base64key` pairs separated by
// commas, each key 32 bytes in standard base64 (`openssl rand -base64 32`). Errors never repeat a
// key.
func ParseKeys(s string) (Keys, error) {
	keys := Keys{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		id, b64, ok := strings.Cut(pair, ":")
		id, b64 = strings.TrimSpace(id), strings.TrimSpace(b64)
		switch {
		case pair == "":
			return nil, errors.New("has an empty entry: write id:base64key pairs separated by commas")
		case !ok:
			return nil, fmt.Errorf("has an entry without a key id: write id:base64key pairs separated by commas, e.g. k1:%s", exampleKey)
		case !keyIDForm.MatchString(id):
			return nil, fmt.Errorf("has the key id %q: ids are 1 to 64 letters, digits, '.', '_' or '-'", id)
		case keys[id] != nil:
			return nil, fmt.Errorf("lists the key id %q twice", id)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("has a key for %q that is not standard base64 (generate one with `openssl rand -base64 32`)", id)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("has a key for %q of %d bytes: AES-256 needs %d (generate one with `openssl rand -base64 32`)", id, len(key), KeySize)
		}
		keys[id] = key
	}
	return keys, nil
}

// exampleKey shows the form of a key in error messages: 32 zero bytes, never a real key.
var exampleKey = base64.StdEncoding.EncodeToString(make([]byte, KeySize))

// String writes the keys back in ParseKeys's form, sorted by id.
func (k Keys) String() string {
	ids := k.IDs()
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id + ":" + base64.StdEncoding.EncodeToString(k[id])
	}
	return strings.Join(parts, ",")
}

// IDs lists the key ids, sorted.
func (k Keys) IDs() []string {
	ids := make([]string, 0, len(k))
	for id := range k {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// NewKey returns a new random key.
func NewKey() []byte {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	return key
}

// Codec is a converter.PayloadCodec that seals payloads with one key and opens them with any
// listed key.
type Codec struct {
	encryptID string
	aeads     map[string]cipher.AEAD
	ids       []string // for error messages
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns the codec over keys that encrypts with the key encryptID.
func New(keys Keys, encryptID string) (*Codec, error) {
	if keys[encryptID] == nil {
		return nil, fmt.Errorf("payloadcrypt: the encrypting key %q is not among the keys (%s)", encryptID, strings.Join(keys.IDs(), ", "))
	}
	c := &Codec{encryptID: encryptID, aeads: map[string]cipher.AEAD{}, ids: keys.IDs()}
	for id, key := range keys {
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("payloadcrypt: key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("payloadcrypt: key %q: %w", id, err)
		}
		c.aeads[id] = aead
	}
	return c, nil
}

// KeyID is the id of the key that encrypts.
func (c *Codec) KeyID() string { return c.encryptID }

// Encode seals each payload whole (its metadata and data) with a fresh random nonce; the key id is
// the additional data, so that a payload relabelled with another key id does not open.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.encryptID]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("payloadcrypt: serialising a payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		_, _ = rand.Read(nonce)
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				MetadataKeyID:              []byte(c.encryptID),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(c.encryptID)),
		}
	}
	return out, nil
}

// Decode opens the payloads Encode sealed; others (written before encryption was on, or by
// another codec's encoding) pass through unchanged. A payload sealed with a key that is not
// listed, or that does not open, is an error naming the key id.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead := c.aeads[id]
		if aead == nil {
			return nil, fmt.Errorf("payloadcrypt: a payload is encrypted with key %q, which is not among the keys (%s): add it back to CARTBACK_PAYLOAD_KEYS", id, strings.Join(c.ids, ", "))
		}
		data := p.GetData()
		if len(data) < aead.NonceSize() {
			return nil, fmt.Errorf("payloadcrypt: a payload encrypted with key %q is truncated", id)
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("payloadcrypt: a payload encrypted with key %q does not decrypt: the key listed under that id is not the one that sealed it, or the payload is damaged", id)
		}
		decoded := &commonpb.Payload{}
		if err := proto.Unmarshal(plain, decoded); err != nil {
			return nil, fmt.Errorf("payloadcrypt: a payload encrypted with key %q decrypts to no payload: %w", id, err)
		}
		out[i] = decoded
	}
	return out, nil
}

// DataConverter is the SDK's default data converter with c on every payload; nil c (encryption
// off) is the default converter itself.
func DataConverter(c *Codec) converter.DataConverter {
	if c == nil {
		return converter.GetDefaultDataConverter()
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// FailureConverter is the SDK's default failure converter over DataConverter(c) that, with c, also
// moves each failure's message and stack trace into a payload, sealed like the others: Temporal
// stores them in clear otherwise, and an error's text may quote what it failed on. Failures written
// before pass through (the SDK decodes only those that carry the payload).
func FailureConverter(c *Codec) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: DataConverter(c), EncodeCommonAttributes: c != nil,
	})
}
