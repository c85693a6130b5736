package server

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// These webhook tests need no Temporal: each answer is decided before any signal (an unreachable
// Temporal would turn a signal into a 503).

func TestWebhookVerification(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	query := func(mode, token string) string {
		return "/webhooks/whatsapp?" + url.Values{"hub.mode": {mode}, "hub.verify_token": {token}, "hub.challenge": {"1158201444"}}.Encode()
	}
	a := do(t, s, http.MethodGet, query("subscribe", testVerifyToken), nil, nil)
	if a.status != http.StatusOK || string(a.body) != "1158201444" || a.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("good handshake: %d %q %q", a.status, a.body, a.header.Get("Content-Type"))
	}
	for name, target := range map[string]string{
		"wrong token": query("subscribe", "nope"),
		"wrong mode":  query("unsubscribe", testVerifyToken),
		"no token":    query("subscribe", ""),
		"nothing":     "/webhooks/whatsapp",
	} {
		if a := do(t, s, http.MethodGet, target, nil, nil); a.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, a.status)
		}
	}

	unset, err := New(s.starter, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a := do(t, unset, http.MethodGet, query("subscribe", ""), nil, nil); a.status != http.StatusForbidden {
		t.Errorf("no verify token configured: %d, want 403", a.status)
	}
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	// A change for another number: a correctly signed body is answered 200 without any signal.
	body := payload(t, change("999", messages(textMessage("16505551234", "wamid.1", "1"))))
	for name, header := range map[string]string{
		"missing":     "",
		"no prefix":   sign(body, testAppSecret)[len("sha256="):],
		"bad hex":     "sha256=" + string(make([]byte, 64)),
		"truncated":   sign(body, testAppSecret)[:40],
		"wrong key":   sign(body, "other"),
		"empty key":   sign(body, ""),
		"tampered":    sign(append([]byte(" "), body...), testAppSecret),
		"sha1 header": "sha1=" + sign(body, testAppSecret)[7:47],
	} {
		hdr := http.Header{}
		if header != "" {
			hdr.Set("X-Hub-Signature-256", header)
		}
		a := do(t, s, http.MethodPost, "/webhooks/whatsapp", body, hdr)
		if a.status != http.StatusUnauthorized || a.apiErr(t).Code != "bad_signature" {
			t.Errorf("%s: %d %s, want 401", name, a.status, a.body)
		}
	}
	for name, secret := range map[string]string{"current": testAppSecret, "previous": testOldAppSecret} {
		if a := signed(t, s, body, secret); a.status != http.StatusOK {
			t.Errorf("%s secret: %d %s, want 200", name, a.status, a.body)
		}
	}
}

func TestWebhookAcknowledgesWhatReachesNoFlow(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	samples := filepath.Join("..", "whatsapp", "webhook", "testdata")
	cases := map[string][]byte{
		"another number": payload(t, change("999", messages(textMessage("16505551234", "wamid.1", "1")))),
		"image":          payload(t, change(testPhoneNumberID, messages(map[string]any{"from": "16505551234", "id": "wamid.2", "type": "image", "image": map[string]any{"id": "1"}}))),
		"not whatsapp":   []byte(`{"object": "page", "entry": []}`),
		"no changes":     payload(t),
		"malformed items": payload(t, change(testPhoneNumberID, map[string]any{
			"messages": []any{[]any{"an array"}, map[string]any{"from": "16505551234", "id": "wamid.3", "timestamp": "yesterday", "type": "text"}},
			"statuses": []any{map[string]any{"id": "wamid.4", "status": "failed", "errors": []any{map[string]any{"code": "131050"}}}},
		})),
	}
	// The parser's samples use testPhoneNumberID, Meta's sample number.
	// (user_preferences_stop.json records a suppression and signals the flow: it needs Temporal.)
	for _, name := range []string{"value_errors.json"} {
		b, err := os.ReadFile(filepath.Join(samples, name))
		if err != nil {
			t.Fatal(err)
		}
		cases[name] = b
	}
	for name, body := range cases {
		if a := signed(t, s, body, testAppSecret); a.status != http.StatusOK {
			t.Errorf("%s: %d %s, want 200", name, a.status, a.body)
		}
	}
}

func TestWebhookRefusesMalformedPayloads(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	for _, body := range []string{`{"object":`, `[]`, ``} {
		if a := signed(t, s, []byte(body), testAppSecret); a.status != http.StatusBadRequest {
			t.Errorf("%q: %d %s, want 400", body, a.status, a.body)
		}
	}
}
