package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/cartback/cartback/internal/teststore"
	"github.com/cartback/cartback/shopify"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/workflows"
)

// Test configuration.
const (
	testAPIKey        = "test-api-key"
	testAppSecret     = "test-app-secret"
	testOldAppSecret  = "test-old-app-secret"
	testVerifyToken   = "test-verify-token"
	testPhoneNumberID = "106540352242922"
	testGraphToken    = "test-graph-token"
	testShopifySecret = "test-shopify-client-secret"
)

var testIDKey = []byte("test-id-key-0123456789")

var testCouponSecret = []byte("test-coupon-secret-0123456789")

// newServer builds a Server over c (of namespace) and the store with the test configuration.
func newServer(t *testing.T, c client.Client, namespace string, consent starter.Consent, callTimeout time.Duration) *Server {
	t.Helper()
	return newServerWith(t, c, namespace, consent, callTimeout, workflows.Settings{ReplyWindow: time.Hour, CouponCode: "SAVE10"})
}

// newServerWith is newServer whose flows start with settings.
func newServerWith(t *testing.T, c client.Client, namespace string, consent starter.Consent, callTimeout time.Duration, settings workflows.Settings) *Server {
	t.Helper()
	st, err := starter.New(c, starter.Options{
		IDKey:     testIDKey,
		Namespace: namespace,
		Settings:  settings,
		Consent:   consent,
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(st, Options{
		APIKey:         testAPIKey,
		AppSecrets:     []string{testAppSecret, testOldAppSecret},
		VerifyToken:    testVerifyToken,
		PhoneNumberID:  testPhoneNumberID,
		CallTimeout:    callTimeout,
		CouponSecret:   testCouponSecret,
		ShopifySecrets: []string{testShopifySecret},
		ShopifyOptIn:   shopify.OptIn{Kind: shopify.OptInSMS},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unreachableServer is a Server whose Temporal is a closed port: every call fails as unavailable,
// and every path that must not call Temporal works.
func unreachableServer(t *testing.T) *Server {
	t.Helper()
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return newServer(t, c, client.DefaultNamespace, teststore.Open(t), 2*time.Second)
}

// answer is one response, its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// apiErr decodes an error answer's body.
func (a answer) apiErr(t *testing.T) apiError {
	t.Helper()
	var e struct{ Error apiError }
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("error body %s: %v", a.body, err)
	}
	return e.Error
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("body %s: %v", a.body, err)
	}
}

// do serves one request in process.
func do(t *testing.T, h http.Handler, method, target string, body []byte, header http.Header) answer {
	t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return answer{status: rec.Code, header: rec.Header(), body: b}
}

// api calls the storefront API with the right key.
func api(t *testing.T, h http.Handler, method, target string, body []byte) answer {
	t.Helper()
	return do(t, h, method, target, body, http.Header{"Authorization": {"Bearer " + testAPIKey}})
}

// signed posts a webhook body signed with secret.
func signed(t *testing.T, h http.Handler, body []byte, secret string) answer {
	t.Helper()
	return do(t, h, http.MethodPost, "/webhooks/whatsapp", body, http.Header{"X-Hub-Signature-256": {sign(body, secret)}})
}

func sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// cartJSON is a valid cart for phone; edit changes it before encoding.
func cartJSON(t *testing.T, cartID, phone string, edit func(map[string]any)) []byte {
	t.Helper()
	c := map[string]any{
		"cart_id": cartID,
		"customer": map[string]any{
			"phone": phone, "name": "Sheena Nelson", "locale": "en_US",
			"opt_in": map[string]any{"at": "2026-01-02T15:04:05Z", "source": "checkout_checkbox"},
		},
		"items":    []any{map[string]any{"sku": "SHOE-1", "name": "Blue Trail Running Shoes", "quantity": 1, "unit_price": "89.90"}},
		"currency": "USD",
		"total":    json.Number("89.90"),
		"cart_url": "https://shop.example.com/cart/" + cartID,
	}
	if edit != nil {
		edit(c)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// change is one entry[].changes[] of a webhook payload.
func change(phoneNumberID string, value map[string]any) map[string]any {
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]any{"display_phone_number": "15550783881", "phone_number_id": phoneNumberID}
	return map[string]any{"field": "messages", "value": value}
}

// payload is a webhook body holding changes, as Meta serialises it.
func payload(t *testing.T, changes ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry":  []any{map[string]any{"id": "102290129340398", "changes": changes}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// textMessage is an inbound text from waID.
func textMessage(waID, id, text string) map[string]any {
	return map[string]any{"from": waID, "id": id, "timestamp": fmt.Sprint(time.Now().Unix()), "type": "text", "text": map[string]any{"body": text}}
}

// buttonMessage is a tap on a template's quick-reply button.
func buttonMessage(waID, id, payload, label string) map[string]any {
	return map[string]any{"from": waID, "id": id, "timestamp": fmt.Sprint(time.Now().Unix()), "type": "button",
		"button": map[string]any{"payload": payload, "text": label}}
}

// messages is a change value holding inbound messages.
func messages(msgs ...map[string]any) map[string]any {
	v := make([]any, len(msgs))
	for i, m := range msgs {
		v[i] = m
	}
	return map[string]any{"messages": v}
}
