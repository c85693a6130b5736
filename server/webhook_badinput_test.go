package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// webhookOverHTTP serves the real handler on a real listener with the production server's kind
// of timeouts (short, for the test), behind a Temporal that is unreachable: every answer below is
// decided before any signal, so a 503 would mean something tried to signal.
func webhookOverHTTP(t *testing.T) (url string) {
	t.Helper()
	hs := httptest.NewUnstartedServer(unreachableServer(t))
	hs.Config.ReadHeaderTimeout = time.Second
	hs.Config.ReadTimeout = 5 * time.Second
	hs.Config.WriteTimeout = 2 * time.Minute // 10,000 entries under -race on a shared machine: count, do not time
	hs.Start()
	t.Cleanup(hs.Close)
	return hs.URL + "/webhooks/whatsapp"
}

// post sends a webhook body with a signature header ("" for none) and returns the status.
func post(t *testing.T, url string, body []byte, signature string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Hub-Signature-256", signature)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("no answer (did the handler panic?): %v", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// The bad-input suite, over HTTP: whatever Meta (or anyone) posts gets a 4xx or a 200, never a
// 500, and nothing hangs.
func TestWebhookBadInputOverHTTP(t *testing.T) {
	t.Parallel()
	url := webhookOverHTTP(t)
	good := payload(t, change("999", messages(textMessage("16505551234", "wamid.1", "1"))))

	t.Run("signatures", func(t *testing.T) {
		for name, tc := range map[string]struct {
			sig  string
			want int
		}{
			"missing":                  {"", http.StatusUnauthorized},
			"wrong prefix":             {"sha512=" + sign(good, testAppSecret)[7:], http.StatusUnauthorized},
			"wrong hex":                {"sha256=" + strings.Repeat("g", 64), http.StatusUnauthorized},
			"wrong secret":             {sign(good, "not-the-secret"), http.StatusUnauthorized},
			"another body's":           {sign(payload(t), testAppSecret), http.StatusUnauthorized},
			"upper-case hex":           {"sha256=" + strings.ToUpper(sign(good, testAppSecret)[7:]), http.StatusOK},
			"previous during rotation": {sign(good, testOldAppSecret), http.StatusOK},
			"current":                  {sign(good, testAppSecret), http.StatusOK},
		} {
			if got := post(t, url, good, tc.sig); got != tc.want {
				t.Errorf("%s: %d, want %d", name, got, tc.want)
			}
		}
	})

	t.Run("bodies", func(t *testing.T) {
		entries := make([]any, 10000)
		for i := range entries {
			entries[i] = map[string]any{"id": fmt.Sprint(i), "changes": []any{change("999", messages(textMessage("16505551234", fmt.Sprintf("wamid.e%d", i), "1")))}}
		}
		many := mustJSON(t, map[string]any{"object": "whatsapp_business_account", "entry": entries})
		for name, tc := range map[string]struct {
			body string
			want int
		}{
			"empty":                  {``, http.StatusBadRequest},
			"not JSON":               {`object=whatsapp_business_account`, http.StatusBadRequest},
			"truncated":              {`{"object":"whatsapp_business_account","entry":[{"id":`, http.StatusBadRequest},
			"an array":               {`[{"object":"whatsapp_business_account"}]`, http.StatusBadRequest},
			"a string":               {`"whatsapp_business_account"`, http.StatusBadRequest},
			"entry an object":        {`{"object":"whatsapp_business_account","entry":{"id":"1"}}`, http.StatusBadRequest},
			"object a number":        {`{"object":7,"entry":[]}`, http.StatusBadRequest},
			"another Meta product":   {`{"object":"instagram","entry":[{"id":"1","changes":[]}]}`, http.StatusOK},
			"entries of every shape": {`{"object":"whatsapp_business_account","entry":[1,"x",null,[],{"changes":{}},{"changes":[1,{"value":[]},{"field":7}]}]}`, http.StatusOK},
			"10,000 entries":         {string(many), http.StatusOK},
			"unknown message types": {string(payload(t, change(testPhoneNumberID, messages(
				map[string]any{"from": "16505551234", "id": "wamid.u1", "type": "hologram", "hologram": map[string]any{"x": 1}},
				map[string]any{"from": "16505551234", "id": "wamid.u2", "type": "unsupported", "errors": []any{map[string]any{"code": 131051}}},
				map[string]any{"from": "16505551234", "id": "wamid.u3"},
			)))), http.StatusOK},
			"missing from": {string(payload(t, change(testPhoneNumberID, messages(
				map[string]any{"id": "wamid.nofrom", "timestamp": "1749416383", "type": "text", "text": map[string]any{"body": "1"}},
			)))), http.StatusOK},
			"status without recipient": {string(payload(t, change(testPhoneNumberID, statuses(
				map[string]any{"id": "wamid.s", "status": "delivered", "timestamp": "1749416383"},
			)))), http.StatusOK},
		} {
			if got := post(t, url, []byte(tc.body), sign([]byte(tc.body), testAppSecret)); got != tc.want {
				t.Errorf("%s: %d, want %d", name, got, tc.want)
			}
		}
	})

	t.Run("5 MB", func(t *testing.T) {
		big := bytes.Repeat([]byte("x"), 5<<20)
		if got := post(t, url, big, sign(big, testAppSecret)); got != http.StatusRequestEntityTooLarge {
			t.Errorf("5 MB body: %d, want 413", got)
		}
	})

	t.Run("slow loris", func(t *testing.T) {
		host := strings.TrimPrefix(strings.TrimSuffix(url, "/webhooks/whatsapp"), "http://")
		// Headers that never end: the server hangs up (ReadHeaderTimeout).
		c := dial(t, host)
		fmt.Fprintf(c, "POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		if _, err := io.ReadAll(c); err != nil && !isClosed(err) {
			t.Errorf("slow headers: %v, want the server to close the connection", err)
		}
		// A body that stops arriving: the handler answers 408 when the read deadline passes.
		c = dial(t, host)
		fmt.Fprintf(c, "POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nX-Hub-Signature-256: %s\r\n\r\n{\"object\":", sign(good, testAppSecret))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("slow body: no answer: %v", err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusRequestTimeout {
			t.Errorf("slow body: %d, want 408", res.StatusCode)
		}
	})
}

// dial opens a raw connection whose reads give up after a generous minute: nothing may hang.
func dial(t *testing.T, host string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	return c
}

// isClosed reports a connection the server closed (rather than a read that timed out on our side).
func isClosed(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return true
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
