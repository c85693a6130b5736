package uicodec

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// OIDC verifies the access tokens the Web UI passes (`passAccessToken`: `Authorization: Bearer
// <token>`) where operators log in to it with OpenID Connect: a JWT signed by the issuer's keys
// (RS256 or ES256), for the audience, within its validity. The keys come from the issuer's JWKS,
// found through its discovery document, and are fetched again when a token names a key that is
// not known (the issuer rotated).
type OIDC struct {
	issuer, audience string
	client           *http.Client
	now              func() time.Time

	mu       sync.Mutex
	jwksURI  string
	keys     map[string]crypto.PublicKey // by kid
	fetched  time.Time                   // when keys were fetched
	tried    time.Time                   // when they were last asked for
	fetchErr error                       // why that failed
}

// Token verification's bounds.
const (
	// clockSkew is how far exp and nbf may be off our clock: the issuer's clock is another machine's.
	clockSkew = time.Minute
	// keysMaxAge is how long fetched keys are trusted without asking again, so that a key the issuer
	// withdrew stops opening tokens.
	keysMaxAge = time.Hour
	// refetchAfter spaces the fetches an unknown key id causes: anyone can send a token naming one.
	refetchAfter = 30 * time.Second
	// maxDocument caps the discovery document and the JWKS.
	maxDocument = 1 << 20
)

// errToken is a token that does not verify; the caller answers 401.
var errToken = errors.New("invalid token")

// NewOIDC returns the verifier of tokens issued by issuer (its `iss` exactly, e.g.
// https://login.example.com/realms/ops) for audience. client fetches the issuer's documents (nil:
// one with a 10-second timeout); now is the clock (nil: time.Now).
func NewOIDC(issuer, audience string, client *http.Client, now func() time.Time) (*OIDC, error) {
	if issuer == "" || audience == "" {
		return nil, errors.New("uicodec: OIDC needs an issuer and an audience")
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	return &OIDC{issuer: issuer, audience: audience, client: client, now: now}, nil
}

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

type jwtClaims struct {
	Iss string   `json:"iss"`
	Aud audience `json:"aud"`
	Exp *float64 `json:"exp"`
	Nbf *float64 `json:"nbf"`
}

// audience is the aud claim: one string or a list of them.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor a list of strings")
	}
	*a = many
	return nil
}

// Verify checks token; an error wrapping errToken says why it is refused, any other that the
// issuer's keys could not be had.
func (o *OIDC) Verify(ctx context.Context, token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%w: not a JWT", errToken)
	}
	var h jwtHeader
	if err := decodeSegment(parts[0], &h); err != nil {
		return fmt.Errorf("%w: header: %v", errToken, err)
	}
	if h.Alg != "RS256" && h.Alg != "ES256" { // "none", HS256 with a public key as secret, ...
		return fmt.Errorf("%w: alg %q (RS256 or ES256 only)", errToken, h.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("%w: signature is not base64url", errToken)
	}
	key, err := o.key(ctx, h.Kid)
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !verifySignature(h.Alg, key, digest[:], sig) {
		return fmt.Errorf("%w: bad signature (key %q, %s)", errToken, h.Kid, h.Alg)
	}
	var c jwtClaims
	if err := decodeSegment(parts[1], &c); err != nil {
		return fmt.Errorf("%w: claims: %v", errToken, err)
	}
	now := o.now()
	switch {
	case c.Iss != o.issuer:
		return fmt.Errorf("%w: issuer %q", errToken, c.Iss)
	case !slices.Contains(c.Aud, o.audience):
		return fmt.Errorf("%w: audience %q", errToken, c.Aud)
	case c.Exp == nil:
		return fmt.Errorf("%w: no exp", errToken)
	case !now.Before(unixTime(*c.Exp).Add(clockSkew)):
		return fmt.Errorf("%w: expired at %v", errToken, unixTime(*c.Exp))
	case c.Nbf != nil && now.Add(clockSkew).Before(unixTime(*c.Nbf)):
		return fmt.Errorf("%w: not valid before %v", errToken, unixTime(*c.Nbf))
	}
	return nil
}

func unixTime(sec float64) time.Time { return time.Unix(0, int64(sec*1e9)) }

func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return errors.New("not base64url")
	}
	return json.Unmarshal(raw, v)
}

// verifySignature checks a JWS signature: PKCS#1 v1.5 for RS256, r||s (32 bytes each) for ES256.
// The key's type must be the algorithm's.
func verifySignature(alg string, key crypto.PublicKey, digest, sig []byte) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return alg == "RS256" && rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig) == nil
	case *ecdsa.PublicKey:
		if alg != "ES256" || len(sig) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(k, digest, r, s)
	}
	return false
}

// key returns the issuer's key kid. The keys are fetched again when they are older than
// keysMaxAge or lack kid, at most once in refetchAfter; while the issuer does not answer, the keys
// it had still open tokens.
func (o *OIDC) key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	key, known := o.keys[kid]
	if known && now.Sub(o.fetched) < keysMaxAge {
		return key, nil
	}
	if !o.tried.IsZero() && now.Sub(o.tried) < refetchAfter {
		switch {
		case known:
			return key, nil
		case o.fetchErr != nil:
			return nil, o.fetchErr
		}
		return nil, fmt.Errorf("%w: unknown key %q", errToken, kid)
	}
	o.tried = now
	keys, err := o.fetchKeys(ctx)
	if o.fetchErr = err; err != nil {
		if known {
			return key, nil
		}
		return nil, err
	}
	o.keys, o.fetched = keys, now
	if key, ok := keys[kid]; ok {
		return key, nil
	}
	return nil, fmt.Errorf("%w: unknown key %q", errToken, kid)
}

// fetchKeys reads the issuer's discovery document (once) and its JWKS.
func (o *OIDC) fetchKeys(ctx context.Context) (map[string]crypto.PublicKey, error) {
	if o.jwksURI == "" {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := o.getJSON(ctx, strings.TrimRight(o.issuer, "/")+"/.well-known/openid-configuration", &doc); err != nil {
			return nil, err
		}
		// OpenID Connect Discovery 1.0, 4.3: the document's issuer is the one it was asked for.
		if doc.Issuer != o.issuer || doc.JWKSURI == "" {
			return nil, fmt.Errorf("uicodec: the OIDC discovery document of %s names issuer %q and jwks_uri %q", o.issuer, doc.Issuer, doc.JWKSURI)
		}
		o.jwksURI = doc.JWKSURI
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := o.getJSON(ctx, o.jwksURI, &set); err != nil {
		return nil, err
	}
	keys := map[string]crypto.PublicKey{}
	for _, k := range set.Keys {
		if pub, ok := k.publicKey(); ok {
			keys[k.Kid] = pub
		}
	}
	return keys, nil
}

func (o *OIDC) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("uicodec: OIDC: %w", err)
	}
	resp, err := o.client.Do(req)
	if err != nil {
		return fmt.Errorf("uicodec: fetching %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("uicodec: fetching %s: http %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDocument)).Decode(v); err != nil {
		return fmt.Errorf("uicodec: reading %s: %w", url, err)
	}
	return nil
}

// jwk is a JSON Web Key (RFC 7517) of the kinds Verify accepts: RSA, and EC on P-256.
type jwk struct {
	Kty, Kid, Use, Alg string
	N, E               string // RSA
	Crv, X, Y          string // EC
}

// publicKey is k's key, if k is a signing key Verify can use; RSA keys under 2048 bits are not.
func (k jwk) publicKey() (crypto.PublicKey, bool) {
	if k.Use != "" && k.Use != "sig" {
		return nil, false
	}
	b64 := base64.RawURLEncoding
	switch {
	case k.Kty == "RSA" && (k.Alg == "" || k.Alg == "RS256"):
		n, errN := b64.DecodeString(k.N)
		e, errE := b64.DecodeString(k.E)
		if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 {
			return nil, false
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		return pub, pub.N.BitLen() >= 2048
	case k.Kty == "EC" && k.Crv == "P-256" && (k.Alg == "" || k.Alg == "ES256"):
		x, errX := b64.DecodeString(k.X)
		y, errY := b64.DecodeString(k.Y)
		if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
			return nil, false
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		return pub, err == nil
	}
	return nil, false
}
