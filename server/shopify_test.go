package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/cartback/cartback/shopify"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/workflows"
)

// shopifyBody is a sample of shopify/testdata with fields replaced (top level; "customer.phone"
// one level down), as Shopify would send it for another checkout.
func shopifyBody(t *testing.T, name string, set map[string]any) []byte {
	t.Helper()
	raw, err := os.ReadFile("../shopify/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	for k, val := range set {
		if k == "customer.phone" {
			v["customer"].(map[string]any)["phone"] = val
			continue
		}
		v[k] = val
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// shopifyHook delivers body as Shopify does, signed with secret, and decodes a 200's answer.
func shopifyHook(t *testing.T, h http.Handler, topic string, body []byte, secret string) (answer, shopifyAnswer) {
	t.Helper()
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	a := do(t, h, http.MethodPost, "/webhooks/shopify", body, http.Header{
		shopify.SignatureHeader: {base64.StdEncoding.EncodeToString(m.Sum(nil))},
		"X-Shopify-Topic":       {topic},
		"X-Shopify-Shop-Domain": {"tienda-demo.myshopify.com"},
		"Content-Type":          {"application/json"},
	})
	var got shopifyAnswer
	if a.status == http.StatusOK {
		a.decode(t, &got)
	}
	return a, got
}

// A Shopify store plugged in: its checkouts start flows, its orders end them, on a real Temporal
// server with the fake Graph API; what cartback cannot act on is a 200 saying why, since Shopify
// would redeliver anything else to the same answer and drop the subscription after 8 failures.
func TestShopifyWebhooks(t *testing.T) {
	e := startFlowEnv(t)
	// checkout makes a checkout of the sample for another shopper and token.
	checkout := func(t *testing.T, n int, set map[string]any) ([]byte, string, string) {
		number, _ := mx(500 + n)
		token := "checkout" + number[1:]
		fields := map[string]any{"token": token, "phone": number, "customer.phone": number}
		for k, v := range set {
			fields[k] = v
		}
		return shopifyBody(t, "checkouts_create.json", fields), shopify.CartID(token), number
	}

	t.Run("checkout, then its order", func(t *testing.T) {
		t.Parallel()
		body, cartID, number := checkout(t, 1, nil)
		if a, got := shopifyHook(t, e.server, shopify.TopicCheckoutCreate, body, testShopifySecret); a.status != http.StatusOK || got.Status != statusStarted || got.CartID != cartID {
			t.Fatalf("checkouts/create: %d %s, want 200 started %s", a.status, a.body, cartID)
		}
		e.sent(t, number, 1)
		if a, got := shopifyHook(t, e.server, shopify.TopicCheckoutUpdate, body, testShopifySecret); got.Status != statusAlreadyExists {
			t.Fatalf("checkouts/update of the same checkout: %d %s, want 200 already_exists", a.status, a.body)
		}
		order := shopifyBody(t, "orders_create.json", map[string]any{"checkout_token": cartID[len("shopify:"):]})
		if a, got := shopifyHook(t, e.server, shopify.TopicOrderCreate, order, testShopifySecret); got.Status != statusPurchaseSent || got.Purchase != store.PurchaseDuring {
			t.Fatalf("orders/create: %d %s, want 200 purchase_signalled, during", a.status, a.body)
		}
		if st := e.outcome(t, cartID); st.Outcome != workflows.OutcomePurchased {
			t.Errorf("outcome %q, want purchased", st.Outcome)
		}
		if a, got := shopifyHook(t, e.server, shopify.TopicOrderCreate, order, testShopifySecret); got.Status != statusAlreadyEnded {
			t.Errorf("orders/create again: %d %s, want 200 already_ended", a.status, a.body)
		}
		e.sent(t, number, 1)
	})
	t.Run("a completed checkout is the purchase", func(t *testing.T) {
		t.Parallel()
		body, cartID, number := checkout(t, 2, nil)
		shopifyHook(t, e.server, shopify.TopicCheckoutCreate, body, testShopifySecret)
		e.sent(t, number, 1)
		done, _, _ := checkout(t, 2, map[string]any{"completed_at": "2026-11-30T19:41:54-06:00"})
		if a, got := shopifyHook(t, e.server, shopify.TopicCheckoutUpdate, done, testShopifySecret); got.Status != statusPurchaseSent {
			t.Fatalf("completed checkouts/update: %d %s, want 200 purchase_signalled", a.status, a.body)
		}
		if st := e.outcome(t, cartID); st.Outcome != workflows.OutcomePurchased {
			t.Errorf("outcome %q, want purchased", st.Outcome)
		}
		// Completed before cartback ever saw it: no flow starts for it.
		late, lateID, lateNumber := checkout(t, 3, map[string]any{"completed_at": "2026-11-30T19:41:54-06:00"})
		if a, got := shopifyHook(t, e.server, shopify.TopicCheckoutUpdate, late, testShopifySecret); got.Status != "skipped" {
			t.Errorf("completed checkout without a flow: %d %s, want 200 skipped", a.status, a.body)
		}
		if a := api(t, e.server, http.MethodGet, "/v1/carts/"+lateID, nil); a.status != http.StatusNotFound {
			t.Errorf("its cart: %d %s, want 404", a.status, a.body)
		}
		e.sent(t, lateNumber, 0)
	})
	t.Run("acknowledged without a flow", func(t *testing.T) {
		t.Parallel()
		noConsent, noConsentID, noConsentNumber := checkout(t, 4, map[string]any{"customer": map[string]any{"first_name": "Ana", "phone": nil,
			"sms_marketing_consent": map[string]any{"state": "not_subscribed"}}})
		suppressed, _, suppressedNumber := checkout(t, 5, nil)
		if a := api(t, e.server, http.MethodPost, "/v1/suppressions", []byte(`{"phone":"`+suppressedNumber+`"}`)); a.status != http.StatusCreated {
			t.Fatalf("suppress: %d %s", a.status, a.body)
		}
		badURL, _, _ := checkout(t, 6, map[string]any{"abandoned_checkout_url": "not a link"})
		for name, c := range map[string]struct {
			topic  string
			body   []byte
			status string
			code   string
		}{
			"no opt-in":          {shopify.TopicCheckoutCreate, noConsent, "skipped", ""},
			"a suppressed buyer": {shopify.TopicCheckoutCreate, suppressed, "refused", starter.RefusedSuppressed},
			"an invalid value":   {shopify.TopicCheckoutCreate, badURL, "refused", "invalid_cart"},
			"another topic":      {"products/update", []byte(`{"id":1}`), "skipped", ""},
			"a point-of-sale order": {shopify.TopicOrderCreate,
				shopifyBody(t, "orders_create.json", map[string]any{"checkout_token": nil}), "skipped", ""},
			"an order of a checkout never seen": {shopify.TopicOrderCreate, shopifyBody(t, "orders_create.json", nil), "skipped", ""},
			"an order whose total is not MXN": {shopify.TopicOrderCreate,
				shopifyBody(t, "orders_create.json", map[string]any{"total_price": "648.005"}), "refused", "invalid_purchase"},
		} {
			a, got := shopifyHook(t, e.server, c.topic, c.body, testShopifySecret)
			if a.status != http.StatusOK || got.Status != c.status || got.Code != c.code || got.Reason == "" && c.status != statusStarted {
				t.Errorf("%s: %d %s, want 200 %s %s with a reason", name, a.status, a.body, c.status, c.code)
			}
		}
		if a := api(t, e.server, http.MethodGet, "/v1/carts/"+noConsentID, nil); a.status != http.StatusNotFound {
			t.Errorf("the checkout without opt-in has a flow: %d %s", a.status, a.body)
		}
		e.sent(t, noConsentNumber, 0)
		e.sent(t, suppressedNumber, 0)
	})
	t.Run("refused deliveries", func(t *testing.T) {
		t.Parallel()
		body, _, number := checkout(t, 7, nil)
		for name, c := range map[string]struct {
			body   []byte
			secret string
			status int
			code   string
		}{
			"signed with another secret": {body, "not the secret", http.StatusUnauthorized, "bad_signature"},
			"not JSON":                   {[]byte(`checkout`), testShopifySecret, http.StatusBadRequest, "invalid_payload"},
			"no token":                   {[]byte(`{"id":1}`), testShopifySecret, http.StatusBadRequest, "invalid_payload"},
		} {
			if a, _ := shopifyHook(t, e.server, shopify.TopicCheckoutCreate, c.body, c.secret); a.status != c.status || a.apiErr(t).Code != c.code {
				t.Errorf("%s: %d %s, want %d %s", name, a.status, a.body, c.status, c.code)
			}
		}
		if a := do(t, e.server, http.MethodPost, "/webhooks/shopify", body, http.Header{"X-Shopify-Topic": {shopify.TopicCheckoutCreate}}); a.status != http.StatusUnauthorized {
			t.Errorf("unsigned: %d %s, want 401", a.status, a.body)
		}
		e.sent(t, number, 0)
	})
}
