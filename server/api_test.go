package server

import (
	"bytes"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cartback/cartback/internal/teststore"
)

// These tests need no Temporal (but readyz's): every answer here is decided before any call to
// it, or is the answer to Temporal being unreachable.

func TestAPIRequiresTheKey(t *testing.T) {
	t.Parallel()
	// Byte for byte: the message reads <api key>, not \u003capi key\u003e.
	const unauthorized = `{"error":{"code":"unauthorized","message":"a valid Authorization: Bearer <api key> header is required"}}` + "\n"
	s := unreachableServer(t)
	routes := []struct{ method, target string }{
		{http.MethodPost, "/v1/carts"},
		{http.MethodGet, "/v1/carts/c1"},
		{http.MethodDelete, "/v1/carts/c1"},
		{http.MethodPost, "/v1/carts/c1/purchase"},
	}
	headers := map[string]string{
		"none":         "",
		"wrong key":    "Bearer nope",
		"longer key":   "Bearer " + testAPIKey + "x",
		"wrong scheme": "Basic " + testAPIKey,
		"no key":       "Bearer",
	}
	for _, r := range routes {
		for name, h := range headers {
			hdr := http.Header{}
			if h != "" {
				hdr.Set("Authorization", h)
			}
			a := do(t, s, r.method, r.target, cartJSON(t, "c1", "+16505551234", nil), hdr)
			if a.status != http.StatusUnauthorized || string(a.body) != unauthorized {
				t.Errorf("%s %s with %s: %d %s, want 401 %s", r.method, r.target, name, a.status, a.body, unauthorized)
			}
		}
	}
}

func TestAnEmptyAPIKeyLetsNothingThrough(t *testing.T) {
	t.Parallel()
	s, err := New(unreachableServer(t).starter, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := do(t, s, http.MethodGet, "/v1/carts/c1", nil, http.Header{"Authorization": {"Bearer "}})
	if a.status != http.StatusUnauthorized {
		t.Errorf("empty key: %d, want 401", a.status)
	}
}

func TestStartRefusesBodiesThatAreNotCarts(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	const amount = `must be an amount: a number or a string such as \"64.99\", without sign or exponent`
	for _, tc := range []struct{ name, body, answer string }{
		{"not json", `{"cart_id": `,
			`{"error":{"code":"invalid_json","message":"the body is not JSON: line 1, column 13: unexpected end of the body"}}`},
		{"broken on line 3", "{\n  \"cart_id\": \"c1\",\n  \"total\": }",
			`{"error":{"code":"invalid_json","message":"the body is not JSON: line 3, column 12: unexpected '}' where a value should start"}}`},
		{"unknown field", `{"cart_id": "c1", "phone_number": "+16505551234"}`,
			`{"error":{"code":"invalid_json","message":"phone_number: unknown field","fields":{"phone_number":"unknown field"}}}`},
		{"unknown customer field", `{"customer": {"email": "s@example.com"}}`,
			`{"error":{"code":"invalid_json","message":"customer.email: unknown field","fields":{"customer.email":"unknown field"}}}`},
		{"wrong type", `{"cart_id": "c1", "items": [{"quantity": "two"}]}`,
			`{"error":{"code":"invalid_json","message":"items[0].quantity: must be a whole number","fields":{"items[0].quantity":"must be a whole number"}}}`},
		{"float price", `{"cart_id": "c1", "total": 1e2}`,
			`{"error":{"code":"invalid_json","message":"total: ` + amount + `","fields":{"total":"` + amount + `"}}}`},
		{"empty", ``, `{"error":{"code":"invalid_json","message":"the body is empty"}}`},
		{"not an object", `[{"cart_id": "c1"}]`, `{"error":{"code":"invalid_json","message":"the body must be a JSON object"}}`},
		{"trailing data", `{"cart_id": "c1"}{}`,
			`{"error":{"code":"invalid_json","message":"the body is not JSON: line 1, column 18: unexpected '{' after the end of the JSON value"}}`},
	} {
		a := api(t, s, http.MethodPost, "/v1/carts", []byte(tc.body))
		if a.status != http.StatusBadRequest || string(a.body) != tc.answer+"\n" {
			t.Errorf("%s: %d %s\nwant 400 %s", tc.name, a.status, a.body, tc.answer)
		}
	}
}

func TestStartListsInvalidFields(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	body := cartJSON(t, "c1", "+1 555", func(c map[string]any) {
		c["currency"] = "XYZ"
		c["items"] = []any{map[string]any{"name": "Shoes", "quantity": 0, "unit_price": "1.00"}}
		delete(c["customer"].(map[string]any), "opt_in")
	})
	a := api(t, s, http.MethodPost, "/v1/carts", body)
	if a.status != http.StatusUnprocessableEntity {
		t.Fatalf("%d %s, want 422", a.status, a.body)
	}
	e := a.apiErr(t)
	want := []string{"currency", "customer.opt_in", "customer.phone", "items[0].quantity"}
	if got := slices.Sorted(maps.Keys(e.Fields)); e.Code != "invalid_cart" || !slices.Equal(got, want) {
		t.Errorf("code %q fields %v, want invalid_cart %v", e.Code, got, want)
	}
	if bytes.Contains(a.body, []byte("555")) {
		t.Errorf("the answer repeats the number: %s", a.body)
	}
}

// TestOverflowingCartIs422: a cart whose line (unit price × quantity) overflows is refused by field,
// before any flow could fail on it.
func TestOverflowingCartIs422(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	body := cartJSON(t, "c1", "+52 55 1234 5678", func(c map[string]any) {
		c["currency"] = "MXN"
		c["items"] = []any{map[string]any{"name": "Shoes", "quantity": 10000, "unit_price": "922337203685477.58"}}
	})
	a := api(t, s, http.MethodPost, "/v1/carts", body)
	if a.status != http.StatusUnprocessableEntity {
		t.Fatalf("%d %s, want 422", a.status, a.body)
	}
	e := a.apiErr(t)
	if got := slices.Sorted(maps.Keys(e.Fields)); e.Code != "invalid_cart" || !slices.Equal(got, []string{"items[0].unit_price"}) ||
		!strings.Contains(e.Fields["items[0].unit_price"], "times the quantity") {
		t.Errorf("code %q fields %v, want invalid_cart items[0].unit_price", e.Code, e.Fields)
	}
}

func TestBodiesAreCapped(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	big := bytes.Repeat([]byte(" "), maxWebhookBody+1)
	if a := api(t, s, http.MethodPost, "/v1/carts", big); a.status != http.StatusRequestEntityTooLarge ||
		a.apiErr(t).Message != "the body is over 1048576 bytes" {
		t.Errorf("cart: %d %s, want 413", a.status, a.body)
	}
	if a := api(t, s, http.MethodPost, "/v1/carts/c1/purchase", big); a.status != http.StatusRequestEntityTooLarge {
		t.Errorf("purchase: %d, want 413", a.status)
	}
	if a := signed(t, s, big, testAppSecret); a.status != http.StatusRequestEntityTooLarge {
		t.Errorf("webhook: %d, want 413", a.status)
	}
}

func TestPurchaseRefusesABadBody(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	const badTime = `must be a time in RFC 3339 format such as \"2026-11-01T10:00:00Z\"`
	for _, tc := range []struct{ body, answer string }{
		{`{"order": 1}`, `{"error":{"code":"invalid_json","message":"order: unknown field","fields":{"order":"unknown field"}}}`},
		{`{"at": "yesterday"}`, `{"error":{"code":"invalid_json","message":"at: ` + badTime + `","fields":{"at":"` + badTime + `"}}}`},
		{`{"order_id": 17}`, `{"error":{"code":"invalid_json","message":"order_id: must be a string","fields":{"order_id":"must be a string"}}}`},
		{`[`, `{"error":{"code":"invalid_json","message":"the body is not JSON: line 1, column 2: unexpected end of the body"}}`},
		{`null`, `{"error":{"code":"invalid_json","message":"the body must be a JSON object"}}`},
	} {
		a := api(t, s, http.MethodPost, "/v1/carts/c1/purchase", []byte(tc.body))
		if a.status != http.StatusBadRequest || string(a.body) != tc.answer+"\n" {
			t.Errorf("%s: %d %s\nwant 400 %s", tc.body, a.status, a.body, tc.answer)
		}
	}
}

func TestCartIDsNoFlowCanHaveAreNotFound(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	for _, target := range []string{"/v1/carts/c'1", "/v1/carts/" + strings.Repeat("x", 101)} {
		if a := api(t, s, http.MethodGet, target, nil); a.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, a.status)
		}
	}
}

func TestTemporalUnreachableIs503(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	checks := map[string]answer{
		"start":    api(t, s, http.MethodPost, "/v1/carts", cartJSON(t, "c1", "+16505551234", nil)),
		"state":    api(t, s, http.MethodGet, "/v1/carts/c1", nil),
		"purchase": api(t, s, http.MethodPost, "/v1/carts/c1/purchase", nil),
		"cancel":   api(t, s, http.MethodDelete, "/v1/carts/c1", nil),
		"readyz":   do(t, s, http.MethodGet, "/readyz", nil, nil),
		"webhook": signed(t, s, payload(t, change(testPhoneNumberID, messages(textMessage("16505551234", "wamid.1", "1")))),
			testAppSecret),
	}
	for name, a := range checks {
		if a.status != http.StatusServiceUnavailable || a.apiErr(t).Code != "unavailable" {
			t.Errorf("%s: %d %s, want 503", name, a.status, a.body)
		}
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	if a := do(t, unreachableServer(t), http.MethodGet, "/healthz", nil, nil); a.status != http.StatusOK {
		t.Errorf("healthz: %d, want 200 without Temporal", a.status)
	}
}

// readyz needs both of what every start and STOP needs: Temporal and cartback's store.
func TestReadyzNeedsTemporalAndTheStore(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	if a := do(t, e.server, http.MethodGet, "/readyz", nil, nil); a.status != http.StatusOK {
		t.Fatalf("readyz with both up: %d %s, want 200", a.status, a.body)
	}
	closed := teststore.Open(t)
	closed.Close()
	a := do(t, newServer(t, e.client, e.ns, closed, 2*time.Second), http.MethodGet, "/readyz", nil, nil)
	if a.status != http.StatusServiceUnavailable || a.apiErr(t).Code != "unavailable" {
		t.Errorf("readyz with the store closed: %d %s, want 503 unavailable", a.status, a.body)
	}
}

func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	if a := do(t, s, http.MethodGet, "/nope", nil, nil); a.status != http.StatusNotFound || a.apiErr(t).Code != "no_route" {
		t.Errorf("unknown path: %d %s", a.status, a.body)
	}
	if a := do(t, s, http.MethodPut, "/healthz", nil, nil); a.status != http.StatusMethodNotAllowed {
		t.Errorf("wrong method: %d %s", a.status, a.body)
	}
	// Every route's wrong method is a 405 naming the right ones, the /v1 routes too (mux alone
	// answers most of them 404).
	for target, allow := range map[string]string{
		"/webhooks/whatsapp":             "GET, POST",
		"/webhooks/shopify":              "POST",
		"/v1/carts":                      "POST",
		"/v1/carts/c1":                   "DELETE, GET",
		"/v1/carts/c1/purchase":          "POST",
		"/v1/coupons/check":              "POST",
		"/v1/ledger":                     "GET",
		"/v1/suppressions":               "GET, POST",
		"/v1/suppressions/" + testAPIKey: "DELETE",
	} {
		a := api(t, s, http.MethodPatch, target, nil)
		if a.status != http.StatusMethodNotAllowed || a.apiErr(t).Code != "method_not_allowed" || a.header.Get("Allow") != allow {
			t.Errorf("PATCH %s: %d Allow %q %s, want 405 Allow %q", target, a.status, a.header.Get("Allow"), a.body, allow)
		}
	}
	if a := do(t, s, http.MethodPatch, "/v1/carts", nil, nil); a.status != http.StatusUnauthorized {
		t.Errorf("PATCH /v1/carts without a key: %d, want 401 before any 405", a.status)
	}
}
