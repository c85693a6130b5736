package server

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/cartback/cartback/internal/teststore"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/workflows"
)

// TestLedgerEndToEnd: carts through every branch on a real Temporal server, purchases during a
// flow, after it and after the attribution window, then GET /v1/ledger's exact totals.
func TestLedgerEndToEnd(t *testing.T) {
	e := startFlowEnv(t)
	// Flows of a 2-second reply window, whose purchases count for a second after the last message.
	st, err := starter.New(e.client, starter.Options{IDKey: testIDKey, Namespace: e.ns, Consent: e.store, AttributionWindow: time.Second,
		Settings: workflows.Settings{ReplyWindow: 2 * time.Second, CouponCode: "SAVE10"}})
	if err != nil {
		t.Fatal(err)
	}
	short, err := New(st, Options{APIKey: testAPIKey, AppSecrets: []string{testAppSecret}, VerifyToken: testVerifyToken, PhoneNumberID: testPhoneNumberID})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second)

	// A positive reply, then the order, with its own total, a day later in the shopper's life.
	pos := e.start(t, "ledger-pos", "+16505550301")
	e.sent(t, "+16505550301", 1)
	e.hook(t, reply(t, "16505550301", "wamid.ledger-pos", "1"))
	e.ended(t, pos, workflows.OutcomeReminderSent)
	e.purchase(t, e.server, "ledger-pos", `{"order_id": "o-pos", "total": "80.00", "currency": "USD"}`, http.StatusOK, store.PurchaseAfter)

	// A negative reply, then the order without a total: the cart's counts.
	neg := e.start(t, "ledger-neg", "+16505550302")
	e.sent(t, "+16505550302", 1)
	e.hook(t, reply(t, "16505550302", "wamid.ledger-neg", "2"))
	e.ended(t, neg, workflows.OutcomeCouponSent)
	e.purchase(t, e.server, "ledger-neg", "", http.StatusOK, store.PurchaseAfter)

	// Bought while the flow waits for the reply: the flow ends purchased.
	during := e.start(t, "ledger-during", "+16505550303")
	e.sent(t, "+16505550303", 1)
	e.templated(t, during)
	// A repost once the template is out: the flow keeps its cart, and so does its row.
	if a := api(t, e.server, http.MethodPost, "/v1/carts", cartJSON(t, "ledger-during", "+16505550303", func(c map[string]any) { c["total"] = "99.90" })); a.status != http.StatusOK {
		t.Fatalf("repost: %d %s", a.status, a.body)
	}
	if row := e.row(t, during, func(store.FlowRun) bool { return true }); row.CartTotalMinor != 8990 {
		t.Errorf("after a fixed repost the row's total is %d, want the flow's 8990", row.CartTotalMinor)
	}
	e.purchase(t, e.server, "ledger-during", `{"order_id": "o-during"}`, http.StatusAccepted, store.PurchaseDuring)
	e.ended(t, during, workflows.OutcomePurchased)

	// STOP.
	stop := e.start(t, "ledger-stop", "+16505550304")
	e.sent(t, "+16505550304", 1)
	e.templated(t, stop)
	e.hook(t, reply(t, "16505550304", "wamid.ledger-stop", "STOP"))
	e.ended(t, stop, workflows.OutcomeOptedOut)

	// Silence, then an order later than the window after the template, the flow's last message.
	silentAnswer := api(t, short, http.MethodPost, "/v1/carts", cartJSON(t, "ledger-silent", "+16505550305", nil))
	var silent cartAnswer
	silentAnswer.decode(t, &silent)
	e.sent(t, "+16505550305", 1)
	row := e.ended(t, silent, workflows.OutcomeNoReply)
	time.Sleep(time.Until(row.TemplateAt.Add(1100 * time.Millisecond)))
	e.purchase(t, short, "ledger-silent", "", http.StatusOK, store.PurchaseNotAttributed)

	// A repost during the send delay replaces the flow's cart, and the row's total; cancelled.
	delayed := newServerWith(t, e.client, e.ns, e.store, 30*time.Second, workflows.Settings{
		ReplyWindow: time.Hour, CouponCode: "SAVE10", SendDelay: workflows.Duration(time.Hour), QuietHours: "off"})
	inEUR := func(total string) func(map[string]any) {
		return func(c map[string]any) {
			c["currency"], c["total"] = "EUR", total
			c["items"] = []any{map[string]any{"name": "Blue Trail Running Shoes", "quantity": 1, "unit_price": total}}
		}
	}
	a := api(t, delayed, http.MethodPost, "/v1/carts", cartJSON(t, "ledger-repost", "+16505550306", inEUR("50.00")))
	var reposted cartAnswer
	a.decode(t, &reposted)
	if a = api(t, delayed, http.MethodPost, "/v1/carts", cartJSON(t, "ledger-repost", "+16505550306", inEUR("45.00"))); a.status != http.StatusOK {
		t.Fatalf("repost: %d %s", a.status, a.body)
	}
	if row := e.row(t, reposted, func(store.FlowRun) bool { return true }); row.CartTotalMinor != 4500 || row.CartCurrency != "EUR" {
		t.Errorf("after a repost during the delay the row holds %d %s, want 4500 EUR", row.CartTotalMinor, row.CartCurrency)
	}
	if a = api(t, delayed, http.MethodDelete, "/v1/carts/ledger-repost", nil); a.status != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", a.status, a.body)
	}
	e.row(t, reposted, func(row store.FlowRun) bool { return row.Outcome == string(workflows.OutcomeCancelled) })

	// An order's total that is not an amount of its currency, and one without a currency.
	for body, field := range map[string]string{
		`{"total": "80.001", "currency": "USD"}`: "total",
		`{"total": "80"}`:                        "currency",
		`{"currency": "USD"}`:                    "total",
		`{"total": "80", "currency": "XYZ"}`:     "currency",
	} {
		a := api(t, e.server, http.MethodPost, "/v1/carts/ledger-pos/purchase", []byte(body))
		if a.status != http.StatusUnprocessableEntity || a.apiErr(t).Code != "invalid_purchase" || a.apiErr(t).Fields[field] == "" {
			t.Errorf("purchase %s: %d %s, want 422 invalid_purchase naming %s", body, a.status, a.body, field)
		}
	}
	if a := api(t, e.server, http.MethodPost, "/v1/carts/ledger-pos/purchase", []byte(`{"total": "-1", "currency": "USD"}`)); a.status != http.StatusBadRequest || a.apiErr(t).Fields["total"] == "" {
		t.Errorf("a negative total: %d %s, want 400 naming total", a.status, a.body)
	}

	a = api(t, e.server, http.MethodGet, "/v1/ledger?from="+before.UTC().Format(time.RFC3339)+"&to="+time.Now().Add(time.Second).UTC().Format(time.RFC3339), nil)
	if a.status != http.StatusOK {
		t.Fatalf("GET /v1/ledger: %d %s", a.status, a.body)
	}
	var got ledgerAnswer
	a.decode(t, &got)
	want := currencyTotals{Currency: "USD", FlowsStarted: 5, TemplatesSent: 5, NoReply: 1, OptedOut: 1, CouponPurchases: 1,
		RevenueWonBack: "259.80"} // 80.00 ordered, and the 89.90 carts of the coupon and of the purchase during the flow
	want.Replies.ReminderSent, want.Replies.CouponSent = 1, 1
	want.Purchases.DuringFlow, want.Purchases.AfterFlow, want.Purchases.NotAttributed = 1, 2, 1
	eur := currencyTotals{Currency: "EUR", FlowsStarted: 1, RevenueWonBack: "0.00"}
	if len(got.Currencies) != 2 || !reflect.DeepEqual(got.Currencies[0], eur) || !reflect.DeepEqual(got.Currencies[1], want) || got.AttributionWindow != "168h0m0s" {
		t.Fatalf("GET /v1/ledger: %s\nwant the totals %+v", a.body, want)
	}

	// The default period is the 30 days to now; an earlier period has none of these flows.
	a = api(t, e.server, http.MethodGet, "/v1/ledger", nil)
	a.decode(t, &got)
	if a.status != http.StatusOK || len(got.Currencies) != 2 || got.Currencies[1].FlowsStarted != 5 || got.To.Sub(got.From) != 30*24*time.Hour {
		t.Errorf("GET /v1/ledger without a period: %d %s", a.status, a.body)
	}
	a = api(t, e.server, http.MethodGet, "/v1/ledger?to="+before.UTC().Format(time.RFC3339), nil)
	a.decode(t, &got)
	if a.status != http.StatusOK || len(got.Currencies) != 0 {
		t.Errorf("GET /v1/ledger before the flows: %d %s, want no currencies", a.status, a.body)
	}
}

// The ledger needs the API key, and answers 503 while the store is down.
func TestLedgerNeedsTheKeyAndTheStore(t *testing.T) {
	t.Parallel()
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	db := teststore.Open(t)
	s := newServer(t, c, client.DefaultNamespace, db, 2*time.Second)
	if a := do(t, s, http.MethodGet, "/v1/ledger", nil, nil); a.status != http.StatusUnauthorized {
		t.Errorf("GET /v1/ledger without the key: %d %s, want 401", a.status, a.body)
	}
	if a := api(t, s, http.MethodGet, "/v1/ledger", nil); a.status != http.StatusOK || string(a.body) == "" {
		t.Errorf("GET /v1/ledger of an empty store: %d %s, want 200", a.status, a.body)
	}
	db.Close()
	if a := api(t, s, http.MethodGet, "/v1/ledger", nil); a.status != http.StatusServiceUnavailable || a.apiErr(t).Code != "unavailable" {
		t.Errorf("GET /v1/ledger with the store down: %d %s, want 503", a.status, a.body)
	}
}

func TestLedgerRefusesABadPeriod(t *testing.T) {
	t.Parallel()
	s := unreachableServer(t)
	for query, param := range map[string]string{
		"from=yesterday":          "from",
		"to=2026-13-01T00:00:00Z": "to",
		"from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z": "from",
		"from=2026-11-01": "from",
	} {
		a := api(t, s, http.MethodGet, "/v1/ledger?"+query, nil)
		if a.status != http.StatusBadRequest || a.apiErr(t).Code != "invalid_query" || a.apiErr(t).Fields[param] == "" {
			t.Errorf("GET /v1/ledger?%s: %d %s, want 400 naming %s", query, a.status, a.body, param)
		}
	}
}

// templated waits until run r's template is on its ledger row: a purchase or a stop before the
// template's record would end the flow without it.
func (e *flowEnv) templated(t *testing.T, r cartAnswer) {
	t.Helper()
	e.row(t, r, func(row store.FlowRun) bool { return !row.TemplateAt.IsZero() })
}

// row polls run r's ledger row until done says so, and returns it.
func (e *flowEnv) row(t *testing.T, r cartAnswer, done func(store.FlowRun) bool) store.FlowRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		row, ok, err := e.store.FlowRun(ctx, r.RunID)
		if err != nil {
			t.Fatal(err)
		}
		if ok && done(row) {
			return row
		}
		select {
		case <-ctx.Done():
			t.Fatalf("cart %s: gave up waiting for its ledger row; last %+v", r.CartID, row)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ended waits until run r's outcome is on its ledger row (the report writes it after the flow
// ended), checks it, and returns the row.
func (e *flowEnv) ended(t *testing.T, r cartAnswer, want workflows.Outcome) store.FlowRun {
	t.Helper()
	row := e.row(t, r, func(row store.FlowRun) bool { return row.Outcome != "" })
	if row.Outcome != string(want) || row.CartID != r.CartID || row.WorkflowID != r.WorkflowID || row.StartedAt.IsZero() || row.TemplateAt.IsZero() {
		t.Fatalf("cart %s's ledger row: %+v, want outcome %s", r.CartID, row, want)
	}
	return row
}

// purchase posts a purchase of the cart through s and checks the answer.
func (e *flowEnv) purchase(t *testing.T, s *Server, cartID, body string, status int, attribution store.Attribution) {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	a := api(t, s, http.MethodPost, "/v1/carts/"+cartID+"/purchase", b)
	var got cartAnswer
	a.decode(t, &got)
	if a.status != status || got.Purchase != string(attribution) {
		t.Fatalf("purchase of %s: %d %s, want %d with purchase %s", cartID, a.status, a.body, status, attribution)
	}
}
