package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/config"
)

// TestServerMountsTheCodecEndpoint: with CARTBACK_CODEC_ORIGIN, `cartback server` serves the
// endpoint beside its API, behind its login; without it, /codec is the API's (no route).
func TestServerMountsTheCodecEndpoint(t *testing.T) {
	const secret = "the codec password of this test"
	api := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))
	vars := map[string]string{"CARTBACK_PAYLOAD_KEYS": "k1:" + key, "CARTBACK_PAYLOAD_KEY_ID": "k1",
		"CARTBACK_CODEC_ORIGIN": "https://ui.example.com", "CARTBACK_CODEC_SECRET": secret}
	log := logrus.New()
	log.SetOutput(io.Discard)
	call := func(vars map[string]string, path, bearer string) int {
		t.Helper()
		cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
		if err != nil {
			t.Fatal(err)
		}
		h, err := withCodecEndpoint(api, cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(`{"payloads": []}`))
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := call(vars, "/codec/decode", ""); code != http.StatusUnauthorized {
		t.Errorf("no credential: %d", code)
	}
	if code := call(vars, "/codec/decode", secret); code != http.StatusOK {
		t.Errorf("the password as bearer: %d", code)
	}
	if code := call(vars, "/v1/carts", ""); code != http.StatusTeapot {
		t.Errorf("the API behind it: %d", code)
	}
	if code := call(map[string]string{"CARTBACK_PAYLOAD_KEYS": "k1:" + key, "CARTBACK_PAYLOAD_KEY_ID": "k1"}, "/codec/decode", secret); code != http.StatusTeapot {
		t.Errorf("without CARTBACK_CODEC_ORIGIN /codec reached %d, want the API's", code)
	}

	// With CARTBACK_CODEC_OIDC_*, a token is checked against the issuer's keys: an issuer that does
	// not answer is a 503 for a JWT (uicodec's tests verify real tokens against a fake issuer).
	oidc := map[string]string{"CARTBACK_PAYLOAD_KEYS": "k1:" + key, "CARTBACK_PAYLOAD_KEY_ID": "k1", "CARTBACK_CODEC_ORIGIN": "https://ui.example.com",
		"CARTBACK_CODEC_OIDC_ISSUER": "http://127.0.0.1:" + closedPort(t) + "/realms/ops", "CARTBACK_CODEC_OIDC_AUDIENCE": "temporal-ui"}
	jwt := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"k"}`)) + ".e30.c2ln"
	if code := call(oidc, "/codec/decode", jwt); code != http.StatusServiceUnavailable {
		t.Errorf("a JWT, the issuer down: %d, want 503", code)
	}
	if code := call(oidc, "/codec/decode", secret); code != http.StatusUnauthorized {
		t.Errorf("OIDC only, a password as bearer: %d, want 401", code)
	}
}
