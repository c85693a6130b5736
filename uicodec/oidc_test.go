package uicodec_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/cartback/cartback/payloadcrypt"
	"github.com/cartback/cartback/uicodec"
)

const oidcAudience = "temporal-ui-codec"

// fakeIssuer is an OpenID provider: its discovery document, its JWKS, and tokens it signs.
type fakeIssuer struct {
	*httptest.Server
	mu       sync.Mutex
	keys     map[string]crypto.Signer // by kid
	jwksHits int
	down     bool
}

func newFakeIssuer(t *testing.T) *fakeIssuer {
	t.Helper()
	f := &fakeIssuer{keys: map[string]crypto.Signer{}}
	mux := http.NewServeMux()
	// The document names the issuer at the root, whatever path it is asked at.
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration") {
			http.NotFound(w, r)
			return
		}
		if f.isDown() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": f.URL, "jwks_uri": f.URL + "/protocol/certs"})
	})
	mux.HandleFunc("GET /protocol/certs", func(w http.ResponseWriter, r *http.Request) {
		if f.isDown() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.jwksHits++
		var keys []map[string]string
		for kid, k := range f.keys {
			b64 := base64.RawURLEncoding.EncodeToString
			switch pub := k.Public().(type) {
			case *rsa.PublicKey:
				keys = append(keys, map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
					"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())})
			case *ecdsa.PublicKey:
				raw, _ := pub.Bytes() // 0x04 || x || y
				keys = append(keys, map[string]string{"kty": "EC", "kid": kid, "use": "sig", "crv": "P-256",
					"x": b64(raw[1:33]), "y": b64(raw[33:])})
			}
		}
		// A key for encryption beside them, as providers publish: never one that signs.
		keys = append(keys, map[string]string{"kty": "RSA", "kid": "enc-1", "use": "enc", "n": "AQAB", "e": "AQAB"})
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeIssuer) isDown() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.down }

func (f *fakeIssuer) hits() int { f.mu.Lock(); defer f.mu.Unlock(); return f.jwksHits }

func (f *fakeIssuer) addKey(t *testing.T, kid string, k crypto.Signer) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[kid] = k
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// testRSAKey is one 2048-bit key for the whole package: generating it under -race takes a while.
func testRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return rsaKey
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sign makes a JWT of claims with header {alg, kid}, signed by k as alg says (k nil: no signature).
func sign(t *testing.T, alg, kid string, k crypto.Signer, claims map[string]any) string {
	t.Helper()
	seg := func(v any) string {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(raw)
	}
	input := seg(map[string]string{"alg": alg, "kid": kid, "typ": "JWT"}) + "." + seg(claims)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	switch k := k.(type) {
	case *rsa.PrivateKey:
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:]); err != nil {
			t.Fatal(err)
		}
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

type oidcEndpoint struct {
	*httptest.Server
	issuer *fakeIssuer
	now    time.Time
	mu     sync.Mutex
}

func (e *oidcEndpoint) clock() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }

func (e *oidcEndpoint) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// newOIDCEndpoint is the endpoint verifying the fake issuer's tokens; secret may be empty (OIDC only).
func newOIDCEndpoint(t *testing.T, secret string) *oidcEndpoint {
	t.Helper()
	e := &oidcEndpoint{issuer: newFakeIssuer(t), now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	verifier, err := uicodec.NewOIDC(e.issuer.URL, oidcAudience, e.issuer.Client(), e.clock)
	if err != nil {
		t.Fatal(err)
	}
	c, err := payloadcrypt.New(payloadcrypt.Keys{"k1": bytes.Repeat([]byte{7}, payloadcrypt.KeySize)}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	h, err := uicodec.New(uicodec.Options{Codec: c, Origin: uiOrigin, Secret: secret, OIDC: verifier, Now: e.clock})
	if err != nil {
		t.Fatal(err)
	}
	e.Server = httptest.NewServer(h)
	t.Cleanup(e.Close)
	return e
}

// claims are a valid token's, for the endpoint's clock, with changes applied.
func (e *oidcEndpoint) claims(changes map[string]any) map[string]any {
	now := e.clock()
	c := map[string]any{"iss": e.issuer.URL, "aud": []string{"account", oidcAudience}, "sub": "operator-1",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// decode posts a decode call from the UI's origin with header, as the UI does.
func (e *oidcEndpoint) decode(t *testing.T, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL+"/codec/decode?preserveStorageRefs=true", strings.NewReader(`{"payloads": []}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", "default")
	req.Header.Set("Origin", uiOrigin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	return resp.StatusCode, body.String()
}

func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// TestOIDCTokens: the UI's access token, signed by the issuer's key (RS256 or ES256), for our
// audience and within its validity, decodes; every other token is refused with 401.
func TestOIDCTokens(t *testing.T) {
	e := newOIDCEndpoint(t, "")
	rsaK, ecK := testRSAKey(t), newECKey(t)
	e.issuer.addKey(t, "rsa-1", rsaK)
	e.issuer.addKey(t, "ec-1", ecK)
	other := newECKey(t) // not the issuer's

	// The ES256 token's signature with its claims swapped for another token's: a forgery.
	forged := strings.Split(sign(t, "ES256", "ec-1", ecK, e.claims(nil)), ".")
	forged[1] = strings.Split(sign(t, "ES256", "ec-1", ecK, e.claims(map[string]any{"sub": "intruder"})), ".")[1]

	for _, tc := range []struct {
		name   string
		header http.Header
		want   int
	}{
		{"RS256", bearer(sign(t, "RS256", "rsa-1", rsaK, e.claims(nil))), http.StatusOK},
		{"ES256", bearer(sign(t, "ES256", "ec-1", ecK, e.claims(nil))), http.StatusOK},
		{"one audience as a string", bearer(sign(t, "RS256", "rsa-1", rsaK, e.claims(map[string]any{"aud": oidcAudience}))), http.StatusOK},
		{"no nbf", bearer(sign(t, "RS256", "rsa-1", rsaK, e.claims(map[string]any{"nbf": nil}))), http.StatusOK},
		{"an opaque access token and the ID token in Authorization-Extras",
			http.Header{"Authorization": {"Bearer ya29.opaque-access-token"}, "Authorization-Extras": {sign(t, "ES256", "ec-1", ecK, e.claims(nil))}}, http.StatusOK},

		{"no token", http.Header{}, http.StatusUnauthorized},
		{"not a JWT", bearer("not-a-jwt"), http.StatusUnauthorized},
		{"expired", bearer(sign(t, "RS256", "rsa-1", rsaK, e.claims(map[string]any{"exp": e.clock().Add(-2 * time.Minute).Unix()}))), http.StatusUnauthorized},
		{"no exp", bearer(sign(t, "RS256", "rsa-1", rsaK, e.claims(map[string]any{"exp": nil}))), http.StatusUnauthorized},
		{"not yet valid", bearer(sign(t, "RS256", "rsa-1", rsaK, e.claims(map[string]any{"nbf": e.clock().Add(10 * time.Minute).Unix()}))), http.StatusUnauthorized},
		{"wrong audience", bearer(sign(t, "RS256", "rsa-1", rsaK, e.claims(map[string]any{"aud": "another-app"}))), http.StatusUnauthorized},
		{"no audience", bearer(sign(t, "RS256", "rsa-1", rsaK, e.claims(map[string]any{"aud": nil}))), http.StatusUnauthorized},
		{"wrong issuer", bearer(sign(t, "RS256", "rsa-1", rsaK, e.claims(map[string]any{"iss": "https://evil.example.com"}))), http.StatusUnauthorized},
		{"unknown key", bearer(sign(t, "ES256", "not-a-kid", other, e.claims(nil))), http.StatusUnauthorized},
		{"signed by another key under the issuer's kid", bearer(sign(t, "ES256", "ec-1", other, e.claims(nil))), http.StatusUnauthorized},
		{"claims swapped under a signature", bearer(strings.Join(forged, ".")), http.StatusUnauthorized},
		{"alg none", bearer(sign(t, "none", "rsa-1", nil, e.claims(nil))), http.StatusUnauthorized},
		{"HS256", bearer(sign(t, "HS256", "rsa-1", nil, e.claims(nil))), http.StatusUnauthorized},
		{"an RSA key's kid under ES256", bearer(sign(t, "ES256", "rsa-1", ecK, e.claims(nil))), http.StatusUnauthorized},
		{"the encryption key's kid", bearer(sign(t, "RS256", "enc-1", rsaK, e.claims(nil))), http.StatusUnauthorized},
		{"a bad ID token beside an opaque access token",
			http.Header{"Authorization": {"Bearer opaque"}, "Authorization-Extras": {sign(t, "ES256", "ec-1", other, e.claims(nil))}}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := e.decode(t, tc.header); code != tc.want {
				t.Errorf("%d %q, want %d", code, body, tc.want)
			}
		})
	}
	if code, _ := e.decode(t, http.Header{"Cookie": {(&http.Cookie{Name: uicodec.CookieName, Value: "9999999999.00"}).String()}}); code != http.StatusUnauthorized {
		t.Errorf("a cookie, without a password: %d", code)
	}
}

// TestOIDCRoundTrip: the SDK's remote codec (as the temporal CLI with --codec-auth) encodes and
// decodes with a token, and the password's login still works beside OIDC.
func TestOIDCRoundTrip(t *testing.T) {
	e := newOIDCEndpoint(t, password)
	e.issuer.addKey(t, "rsa-1", testRSAKey(t))
	token := sign(t, "RS256", "rsa-1", testRSAKey(t), e.claims(nil))
	remote := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint:      e.URL + "/codec",
		ModifyRequest: func(r *http.Request) error { r.Header.Set("Authorization", "Bearer "+token); return nil },
	})
	plain := plainPayload(t)
	sealed, err := remote.Encode([]*commonpb.Payload{plain})
	if err != nil {
		t.Fatal(err)
	}
	opened, err := remote.Decode(sealed)
	if err != nil || !bytes.Equal(opened[0].Data, plain.Data) {
		t.Fatalf("decode: %v %v", opened, err)
	}
	if code, body := e.decode(t, bearer(password)); code != http.StatusOK {
		t.Errorf("the password as bearer beside OIDC: %d %s", code, body)
	}
	if code, _ := e.decode(t, bearer("a wrong password")); code != http.StatusUnauthorized {
		t.Errorf("a wrong password beside OIDC: %d", code)
	}
}

// TestOIDCKeyRotation: a token naming a key the cached JWKS lacks makes the endpoint fetch it again
// (once in 30 seconds at most, whatever the callers send), so that a key the issuer added opens
// tokens; the keys are fetched again after an hour, so that a key it withdrew stops.
func TestOIDCKeyRotation(t *testing.T) {
	e := newOIDCEndpoint(t, "")
	old, added := newECKey(t), newECKey(t)
	e.issuer.addKey(t, "old", old)
	if code, body := e.decode(t, bearer(sign(t, "ES256", "old", old, e.claims(nil)))); code != http.StatusOK {
		t.Fatalf("the first key: %d %s", code, body)
	}
	bogus := func() http.Header { return bearer(sign(t, "ES256", "bogus", newECKey(t), e.claims(nil))) }
	for _, wait := range []time.Duration{0, 31 * time.Second} {
		e.advance(wait)
		hits := e.issuer.hits()
		for range 5 {
			if code, _ := e.decode(t, bogus()); code != http.StatusUnauthorized {
				t.Fatalf("a token of an unknown key: %d", code)
			}
		}
		if got, want := e.issuer.hits()-hits, min(int(wait/time.Second), 1); got != want {
			t.Errorf("%v after the last fetch, 5 tokens of an unknown key fetched the JWKS %d times, want %d", wait, got, want)
		}
	}
	e.issuer.addKey(t, "new", added)
	e.advance(31 * time.Second)
	if code, body := e.decode(t, bearer(sign(t, "ES256", "new", added, e.claims(nil)))); code != http.StatusOK {
		t.Errorf("the issuer's new key: %d %s", code, body)
	}

	e.issuer.mu.Lock()
	delete(e.issuer.keys, "old")
	e.issuer.mu.Unlock()
	if code, _ := e.decode(t, bearer(sign(t, "ES256", "old", old, e.claims(nil)))); code != http.StatusOK {
		t.Errorf("a withdrawn key within the hour still opens (cached): %d", code)
	}
	e.advance(time.Hour)
	if code, _ := e.decode(t, bearer(sign(t, "ES256", "old", old, e.claims(nil)))); code != http.StatusUnauthorized {
		t.Errorf("a withdrawn key, an hour later: %d, want 401", code)
	}
}

// TestOIDCIssuerDown: without the issuer's keys a token cannot be verified: 503, not 401 (the
// operator's token may be good) and never 200; keys already fetched keep working.
func TestOIDCIssuerDown(t *testing.T) {
	e := newOIDCEndpoint(t, "")
	k := newECKey(t)
	e.issuer.addKey(t, "k", k)
	e.issuer.mu.Lock()
	e.issuer.down = true
	e.issuer.mu.Unlock()
	if code, body := e.decode(t, bearer(sign(t, "ES256", "k", k, e.claims(nil)))); code != http.StatusServiceUnavailable {
		t.Errorf("the issuer down: %d %s, want 503", code, body)
	}
	if code, _ := e.decode(t, http.Header{}); code != http.StatusUnauthorized {
		t.Errorf("no token, the issuer down: %d, want 401", code)
	}
	e.issuer.mu.Lock()
	e.issuer.down = false
	e.issuer.mu.Unlock()
	e.advance(31 * time.Second)
	if code, body := e.decode(t, bearer(sign(t, "ES256", "k", k, e.claims(nil)))); code != http.StatusOK {
		t.Fatalf("the issuer back: %d %s", code, body)
	}
	e.issuer.mu.Lock()
	e.issuer.down = true
	e.issuer.mu.Unlock()
	e.advance(2 * time.Hour)
	if code, body := e.decode(t, bearer(sign(t, "ES256", "k", k, e.claims(nil)))); code != http.StatusOK {
		t.Errorf("the issuer down again, its key fetched before: %d %s", code, body)
	}
}

// TestOIDCDiscoveryNamesItsIssuer: a discovery document naming another issuer is not trusted.
func TestOIDCDiscoveryNamesItsIssuer(t *testing.T) {
	f := newFakeIssuer(t)
	k := newECKey(t)
	f.addKey(t, "k", k)
	v, err := uicodec.NewOIDC(f.URL+"/realms/ops", oidcAudience, f.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	token := sign(t, "ES256", "k", k, map[string]any{"iss": f.URL + "/realms/ops", "aud": oidcAudience, "exp": time.Now().Add(time.Minute).Unix()})
	if err := v.Verify(t.Context(), token); err == nil || !strings.Contains(err.Error(), "discovery") {
		t.Errorf("a discovery document of another issuer: %v", err)
	}
}
