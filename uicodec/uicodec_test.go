package uicodec_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/cartback/cartback/payloadcrypt"
	"github.com/cartback/cartback/uicodec"
)

const (
	uiOrigin = "https://temporal-ui.example.com"
	password = "a codec password for tests"
)

type endpoint struct {
	*httptest.Server
	now time.Time
}

func newEndpoint(t *testing.T, secret string) *endpoint {
	t.Helper()
	c, err := payloadcrypt.New(payloadcrypt.Keys{"k1": bytes.Repeat([]byte{7}, payloadcrypt.KeySize)}, "k1")
	if err != nil {
		t.Fatal(err)
	}
	e := &endpoint{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	h, err := uicodec.New(uicodec.Options{Codec: c, Origin: uiOrigin + "/", Secret: secret, Now: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	e.Server = httptest.NewServer(h)
	t.Cleanup(e.Close)
	return e
}

// login posts the password and returns the session cookie it set, if any.
func (e *endpoint) login(t *testing.T, pw string) (*http.Cookie, int) {
	t.Helper()
	resp, err := http.PostForm(e.URL+"/codec/login", url.Values{"password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == uicodec.CookieName {
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/codec" {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/codec", c)
			}
			return c, resp.StatusCode
		}
	}
	return nil, resp.StatusCode
}

// remote is the SDK's own client of the protocol, as the temporal CLI uses it, sending header.
func (e *endpoint) remote(header http.Header) converter.PayloadCodec {
	return converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: e.URL + "/codec",
		ModifyRequest: func(r *http.Request) error {
			for k, v := range header {
				r.Header[k] = v
			}
			return nil
		},
	})
}

func plainPayload(t *testing.T) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"phone": "+525512345678", "name": "Sheena Nelson"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEndpointRoundTrips(t *testing.T) {
	e := newEndpoint(t, password)
	cookie, code := e.login(t, password)
	if cookie == nil || code != http.StatusOK {
		t.Fatalf("login: %d, cookie %v", code, cookie)
	}
	for name, header := range map[string]http.Header{
		"session cookie": {"Cookie": {cookie.String()}, "Origin": {uiOrigin}},
		"bearer":         {"Authorization": {"Bearer " + password}},
	} {
		t.Run(name, func(t *testing.T) {
			remote := e.remote(header)
			plain := plainPayload(t)
			sealed, err := remote.Encode([]*commonpb.Payload{plain})
			if err != nil {
				t.Fatal(err)
			}
			if string(sealed[0].Metadata[converter.MetadataEncoding]) != payloadcrypt.Encoding || bytes.Contains(sealed[0].Data, []byte("Sheena")) {
				t.Fatalf("encode answered %v", sealed[0])
			}
			opened, err := remote.Decode(sealed)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(opened[0].Data, plain.Data) || string(opened[0].Metadata[converter.MetadataEncoding]) != converter.MetadataEncodingJSON {
				t.Fatalf("decode answered %v, want %v", opened[0], plain)
			}
		})
	}
}

func post(t *testing.T, e *endpoint, path string, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL+path, strings.NewReader(`{"payloads": []}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestEndpointRefusesWithoutTheCredential(t *testing.T) {
	e := newEndpoint(t, password)
	if c, code := e.login(t, "not the password"); c != nil || code != http.StatusUnauthorized {
		t.Fatalf("a wrong password: %d, cookie %v", code, c)
	}
	cookie, _ := e.login(t, password)
	forged := &http.Cookie{Name: uicodec.CookieName, Value: "9999999999.00"}
	for name, header := range map[string]http.Header{
		"nothing":         {"Origin": {uiOrigin}},
		"a forged cookie": {"Cookie": {forged.String()}, "Origin": {uiOrigin}},
		"a wrong bearer":  {"Authorization": {"Bearer not the password"}},
	} {
		for _, path := range []string{"/codec/encode", "/codec/decode"} {
			if resp := post(t, e, path, header); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s: %d, want 401", name, path, resp.StatusCode)
			}
		}
	}
	if _, err := e.remote(http.Header{}).Decode([]*commonpb.Payload{plainPayload(t)}); err == nil {
		t.Error("the SDK's remote codec decoded without a credential")
	}
	good := http.Header{"Cookie": {cookie.String()}, "Origin": {uiOrigin}}
	if resp := post(t, e, "/codec/decode", good); resp.StatusCode != http.StatusOK {
		t.Fatalf("with the session: %d", resp.StatusCode)
	}
	e.now = e.now.Add(uicodec.DefaultSessionLifetime + time.Minute)
	if resp := post(t, e, "/codec/decode", good); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an expired session: %d, want 401", resp.StatusCode)
	}
}

// TestEndpointCORS: the pre-flight of the UI's origin is answered with what the UI sends; any other
// origin gets no CORS headers, and its calls are refused even with a valid session.
func TestEndpointCORS(t *testing.T) {
	e := newEndpoint(t, password)
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, e.URL+"/codec/decode", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	ok := preflight(uiOrigin)
	if ok.StatusCode != http.StatusNoContent || ok.Header.Get("Access-Control-Allow-Origin") != uiOrigin ||
		ok.Header.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(ok.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(ok.Header.Get("Access-Control-Allow-Headers"), "X-Namespace") || !strings.Contains(ok.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Errorf("the UI's pre-flight: %d %v", ok.StatusCode, ok.Header)
	}
	for _, origin := range []string{"https://evil.example.com", "http://temporal-ui.example.com", uiOrigin + ":8443"} {
		bad := preflight(origin)
		if bad.StatusCode != http.StatusForbidden || bad.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("pre-flight from %s: %d %v", origin, bad.StatusCode, bad.Header)
		}
		cookie, _ := e.login(t, password)
		if resp := post(t, e, "/codec/decode", http.Header{"Cookie": {cookie.String()}, "Origin": {origin}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a call from %s with a valid session: %d, want 403", origin, resp.StatusCode)
		}
	}
}

// TestEndpointWithoutSecret: the dev stack's endpoint asks for no credential, and still lets only
// the UI's origin in.
func TestEndpointWithoutSecret(t *testing.T) {
	e := newEndpoint(t, "")
	if resp := post(t, e, "/codec/decode", http.Header{"Origin": {uiOrigin}}); resp.StatusCode != http.StatusOK {
		t.Errorf("no secret: %d", resp.StatusCode)
	}
	if resp := post(t, e, "/codec/decode", http.Header{"Origin": {"https://evil.example.com"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another origin: %d", resp.StatusCode)
	}
	if c, code := e.login(t, ""); c != nil || code != http.StatusOK {
		t.Errorf("the open endpoint's login: %d, cookie %v; want 200 and no cookie", code, c)
	}
}
