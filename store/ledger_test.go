package store_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/cartback/cartback/store"
)

// ledgerCases are the ledger's behaviours, each run on a fresh database of each kind.
var ledgerCases = []struct {
	name string
	run  func(t *testing.T, s *store.Store)
}{
	{"a flow's row, written in parts, read back", testLedgerRoundTrip},
	{"every write twice writes the same row", testLedgerIdempotent},
	{"the parts in any order", testLedgerAnyOrder},
	{"a purchase during the flow", testLedgerPurchaseDuring},
	{"the attribution window", testLedgerWindow},
	{"a purchase for a run without a row", testLedgerNoRow},
	{"totals by currency over a period", testLedgerTotals},
	{"refused values write nothing", testLedgerRefused},
}

func TestLedger(t *testing.T) {
	for _, c := range ledgerCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			onEachDatabase(t, func(t *testing.T, url string) { c.run(t, open(t, url)) })
		})
	}
}

const window = 7 * 24 * time.Hour

// t0 is a flow's start; the store keeps microseconds, in UTC.
var t0 = time.Date(2026, 11, 2, 9, 0, 0, 123456789, time.FixedZone("UTC-6", -6*3600))

func utc(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

func minor(v int64) *int64 { return &v }

func startFlow(t *testing.T, s *store.Store, runID, cartID, currency string, total int64, at time.Time) {
	t.Helper()
	err := s.RecordFlowStart(testContext(t), store.FlowStart{RunID: runID, WorkflowID: "cart-recovery/" + key("+525512345678")[:32],
		CartID: cartID, CustomerKey: key("+525512345678"), TotalMinor: total, Currency: currency, At: at})
	if err != nil {
		t.Fatal(err)
	}
}

func templateSent(t *testing.T, s *store.Store, runID string, at time.Time) {
	t.Helper()
	if err := s.RecordTemplateSent(testContext(t), runID, "cart-recovery/x", key("+525512345678"), at); err != nil {
		t.Fatal(err)
	}
}

func flowEnded(t *testing.T, s *store.Store, e store.FlowEnd) {
	t.Helper()
	if err := s.RecordFlowEnd(testContext(t), e); err != nil {
		t.Fatal(err)
	}
}

// purchased records a purchase as the starter would, which finds the flow ended once it reported.
func purchased(t *testing.T, s *store.Store, runID string, o store.Order) store.Attribution {
	t.Helper()
	ended := !flowRun(t, s, runID).EndedAt.IsZero()
	a, ok, err := s.RecordPurchase(testContext(t), runID, o, ended, window)
	if err != nil || !ok {
		t.Fatalf("RecordPurchase(%s): ok %v, %v", runID, ok, err)
	}
	return a
}

func flowRun(t *testing.T, s *store.Store, runID string) store.FlowRun {
	t.Helper()
	r, ok, err := s.FlowRun(testContext(t), runID)
	if err != nil || !ok {
		t.Fatalf("FlowRun(%s): ok %v, %v", runID, ok, err)
	}
	return r
}

func testLedgerRoundTrip(t *testing.T, s *store.Store) {
	k := key("+525512345678")
	wf := "cart-recovery/" + k[:32]
	startFlow(t, s, "run-1", "c_1", "MXN", 129900, t0)
	templateSent(t, s, "run-1", t0.Add(time.Hour))
	flowEnded(t, s, store.FlowEnd{RunID: "run-1", CartID: "c_1", Outcome: "coupon_sent", CouponCode: "SAVE-7KQ2", At: t0.Add(3 * time.Hour)})
	if a := purchased(t, s, "run-1", store.Order{ID: "o-77", At: t0.Add(26 * time.Hour), TotalMinor: minor(116910), Currency: "MXN"}); a != store.PurchaseAfter {
		t.Fatalf("a purchase a day after the coupon: %q, want %q", a, store.PurchaseAfter)
	}
	want := store.FlowRun{RunID: "run-1", WorkflowID: wf, CartID: "c_1", CustomerKey: k, CartTotalMinor: 129900, CartCurrency: "MXN",
		StartedAt: utc(t0), TemplateAt: utc(t0.Add(time.Hour)), EndedAt: utc(t0.Add(3 * time.Hour)),
		Outcome: "coupon_sent", CouponCode: "SAVE-7KQ2", PurchasedAt: utc(t0.Add(26 * time.Hour)), OrderID: "o-77",
		OrderTotalMinor: minor(116910), OrderCurrency: "MXN", Purchase: store.PurchaseAfter}
	if got := flowRun(t, s, "run-1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("the row:\n got %+v\nwant %+v", got, want)
	}
	if _, ok, err := s.FlowRun(testContext(t), "run-2"); err != nil || ok {
		t.Fatalf("another run has a row: %v %v", ok, err)
	}
}

// An activity retried, the storefront calling twice: the same row. A repost whose cart the flow
// took replaces the total and keeps the start.
func testLedgerIdempotent(t *testing.T, s *store.Store) {
	end := store.FlowEnd{RunID: "run-1", CartID: "c_1", Outcome: "reminder_sent", At: t0.Add(2 * time.Hour)}
	order := store.Order{ID: "o-1", At: t0.Add(5 * time.Hour)}
	write := func() {
		startFlow(t, s, "run-1", "c_1", "USD", 12998, t0)
		templateSent(t, s, "run-1", t0.Add(time.Hour))
		flowEnded(t, s, end)
		if a := purchased(t, s, "run-1", order); a != store.PurchaseAfter {
			t.Fatalf("attribution %q, want %q", a, store.PurchaseAfter)
		}
	}
	write()
	first := flowRun(t, s, "run-1")
	write()
	if again := flowRun(t, s, "run-1"); !reflect.DeepEqual(again, first) {
		t.Fatalf("written twice:\n got %+v\nwant %+v", again, first)
	}
	// A second purchase call, later and with a total: the first purchase stands, the total fills in.
	if a := purchased(t, s, "run-1", store.Order{ID: "o-2", At: t0.Add(30 * 24 * time.Hour), TotalMinor: minor(9999), Currency: "USD"}); a != store.PurchaseAfter {
		t.Fatalf("a second call changed the attribution to %q", a)
	}
	got := flowRun(t, s, "run-1")
	if got.OrderID != "o-1" || !got.PurchasedAt.Equal(utc(order.At)) || got.OrderTotalMinor == nil || *got.OrderTotalMinor != 9999 {
		t.Fatalf("after a second purchase call: %+v", got)
	}
	startFlow(t, s, "run-1", "c_1", "USD", 15000, t0.Add(10*time.Minute))
	if got := flowRun(t, s, "run-1"); got.CartTotalMinor != 15000 || !got.StartedAt.Equal(utc(t0)) {
		t.Fatalf("after a repost: total %d, started %v; want 15000 and %v", got.CartTotalMinor, got.StartedAt, utc(t0))
	}
}

// The template's record or the report may reach the store before the starter's row.
func testLedgerAnyOrder(t *testing.T, s *store.Store) {
	templateSent(t, s, "run-1", t0.Add(time.Minute))
	flowEnded(t, s, store.FlowEnd{RunID: "run-1", CartID: "c_1", Outcome: "no_reply", At: t0.Add(25 * time.Hour)})
	startFlow(t, s, "run-1", "c_1", "EUR", 500, t0)
	got := flowRun(t, s, "run-1")
	if got.CartID != "c_1" || got.CartTotalMinor != 500 || got.CartCurrency != "EUR" || !got.StartedAt.Equal(utc(t0)) ||
		!got.TemplateAt.Equal(utc(t0.Add(time.Minute))) || got.Outcome != "no_reply" || !got.EndedAt.Equal(utc(t0.Add(25*time.Hour))) {
		t.Fatalf("the row written backwards: %+v", got)
	}
}

func testLedgerPurchaseDuring(t *testing.T, s *store.Store) {
	// The storefront's call first (the flow still open), then the report.
	startFlow(t, s, "run-1", "c_1", "USD", 12998, t0)
	templateSent(t, s, "run-1", t0.Add(time.Hour))
	if a := purchased(t, s, "run-1", store.Order{ID: "o-1", At: t0.Add(2 * time.Hour), TotalMinor: minor(11000), Currency: "USD"}); a != store.PurchaseDuring {
		t.Fatalf("a purchase while the flow is open: %q, want %q", a, store.PurchaseDuring)
	}
	flowEnded(t, s, store.FlowEnd{RunID: "run-1", CartID: "c_1", Outcome: "purchased", Reason: "o-1", At: t0.Add(2*time.Hour + time.Second)})
	got := flowRun(t, s, "run-1")
	if got.Purchase != store.PurchaseDuring || got.OrderID != "o-1" || *got.OrderTotalMinor != 11000 || !got.PurchasedAt.Equal(utc(t0.Add(2*time.Hour))) {
		t.Fatalf("purchase, then report: %+v", got)
	}
	// The report first: it records the purchase; the storefront's call fills in the total.
	startFlow(t, s, "run-2", "c_2", "USD", 5000, t0)
	flowEnded(t, s, store.FlowEnd{RunID: "run-2", CartID: "c_2", Outcome: "purchased", Reason: "o-2", At: t0.Add(time.Hour)})
	if a := purchased(t, s, "run-2", store.Order{ID: "o-2", At: t0.Add(time.Hour - time.Second), TotalMinor: minor(4500), Currency: "USD"}); a != store.PurchaseDuring {
		t.Fatalf("the purchase the report recorded: %q, want %q", a, store.PurchaseDuring)
	}
	got = flowRun(t, s, "run-2")
	if got.Purchase != store.PurchaseDuring || got.OrderID != "o-2" || *got.OrderTotalMinor != 4500 || !got.PurchasedAt.Equal(utc(t0.Add(time.Hour))) {
		t.Fatalf("report, then purchase: %+v", got)
	}
}

// The window runs from the flow's last message: the follow-up (the end of a flow that sent one),
// else the template. Its last instant counts.
func testLedgerWindow(t *testing.T, s *store.Store) {
	template := t0.Add(time.Hour)
	cases := []struct {
		outcome    string
		ended      time.Duration // after the template
		noTemplate bool
		bought     time.Duration // after the template
		want       store.Attribution
	}{
		{outcome: "reminder_sent", ended: time.Hour, bought: time.Hour + window, want: store.PurchaseAfter},
		{outcome: "reminder_sent", ended: time.Hour, bought: time.Hour + window + time.Microsecond, want: store.PurchaseNotAttributed},
		{outcome: "coupon_sent", ended: 2 * time.Hour, bought: 2*time.Hour + window - time.Second, want: store.PurchaseAfter},
		{outcome: "no_reply", ended: 24 * time.Hour, bought: window, want: store.PurchaseAfter},
		{outcome: "no_reply", ended: 24 * time.Hour, bought: window + time.Second, want: store.PurchaseNotAttributed},
		{outcome: "opted_out", ended: time.Minute, bought: time.Hour, want: store.PurchaseAfter},
		{outcome: "undeliverable", ended: time.Minute, noTemplate: true, bought: time.Hour, want: store.PurchaseNotAttributed},
		// Bought before the template was out: the template did not win it back.
		{outcome: "cancelled", ended: time.Hour, bought: -time.Minute, want: store.PurchaseNotAttributed},
	}
	for i, c := range cases {
		run := "run-" + string(rune('a'+i))
		startFlow(t, s, run, "c_"+run, "USD", 100, t0)
		if !c.noTemplate {
			templateSent(t, s, run, template)
		}
		flowEnded(t, s, store.FlowEnd{RunID: run, CartID: "c_" + run, Outcome: c.outcome, At: template.Add(c.ended)})
		if a := purchased(t, s, run, store.Order{At: template.Add(c.bought)}); a != c.want {
			t.Errorf("%s, bought %v after the template: %q, want %q", c.outcome, c.bought, a, c.want)
		}
	}
	// The flow ended, its report not recorded yet: after, once the template was out.
	startFlow(t, s, "run-x", "c_x", "USD", 100, t0)
	templateSent(t, s, "run-x", template)
	startFlow(t, s, "run-y", "c_y", "USD", 100, t0)
	for run, want := range map[string]store.Attribution{"run-x": store.PurchaseAfter, "run-y": store.PurchaseNotAttributed} {
		if a, _, err := s.RecordPurchase(testContext(t), run, store.Order{At: template.Add(time.Hour)}, true, window); err != nil || a != want {
			t.Errorf("%s, ended, its end not recorded: %q %v, want %q", run, a, err, want)
		}
	}
}

func testLedgerNoRow(t *testing.T, s *store.Store) {
	a, ok, err := s.RecordPurchase(testContext(t), "run-before-the-ledger", store.Order{At: t0}, true, window)
	if err != nil || ok || a != "" {
		t.Fatalf("RecordPurchase of a run without a row: %q %v %v, want nothing", a, ok, err)
	}
	if _, ok, _ := s.FlowRun(testContext(t), "run-before-the-ledger"); ok {
		t.Fatal("RecordPurchase made a row")
	}
}

func testLedgerTotals(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	from, to := t0, t0.Add(24*time.Hour)
	flow := func(run, currency string, total int64, started time.Duration, outcome, coupon string, order *store.Order) {
		startFlow(t, s, run, "c_"+run, currency, total, t0.Add(started))
		templateSent(t, s, run, t0.Add(started+time.Hour))
		flowEnded(t, s, store.FlowEnd{RunID: run, CartID: "c_" + run, Outcome: outcome, CouponCode: coupon, At: t0.Add(started + 2*time.Hour)})
		if order != nil {
			purchased(t, s, run, *order)
		}
	}
	later := func(d time.Duration) time.Time { return t0.Add(d) }
	flow("u1", "USD", 10000, 0, "reminder_sent", "", &store.Order{At: later(5 * time.Hour)})                                                        // after: cart total
	flow("u2", "USD", 20000, time.Hour, "coupon_sent", "SAVE10", &store.Order{At: later(6 * time.Hour), TotalMinor: minor(18000), Currency: "USD"}) // after, coupon: order total
	flow("u3", "USD", 30000, 2*time.Hour, "coupon_sent", "SAVE10", &store.Order{At: later(30 * 24 * time.Hour)})                                    // not attributed
	flow("u4", "USD", 40000, 3*time.Hour, "no_reply", "", nil)
	flow("u5", "USD", 50000, 4*time.Hour, "opted_out", "", nil)
	flow("u6", "USD", 60000, 5*time.Hour, "reminder_sent", "", &store.Order{At: later(8 * time.Hour), TotalMinor: minor(5500), Currency: "EUR"}) // after, paid in EUR
	startFlow(t, s, "u7", "c_u7", "USD", 70000, t0.Add(6*time.Hour))
	templateSent(t, s, "u7", t0.Add(7*time.Hour))
	flowEnded(t, s, store.FlowEnd{RunID: "u7", CartID: "c_u7", Outcome: "purchased", Reason: "o-7", At: t0.Add(8 * time.Hour)}) // during
	flow("m1", "MXN", 99900, 23*time.Hour, "reminder_sent", "", &store.Order{At: later(26 * time.Hour)})
	// Outside the period: the first microsecond of to, and before from.
	flow("x1", "USD", 1, 24*time.Hour, "reminder_sent", "", &store.Order{At: later(27 * time.Hour)})
	flow("x2", "USD", 1, -time.Microsecond, "reminder_sent", "", &store.Order{At: later(3 * time.Hour)})
	// No start recorded (a flow from before the ledger): not counted.
	templateSent(t, s, "x3", t0.Add(time.Hour))

	got, err := s.LedgerTotals(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.LedgerTotal{
		{Currency: "EUR", RevenueMinor: 5500},
		{Currency: "MXN", FlowsStarted: 1, TemplatesSent: 1, ReminderSent: 1, PurchasedAfter: 1, RevenueMinor: 99900},
		{Currency: "USD", FlowsStarted: 7, TemplatesSent: 7, ReminderSent: 2, CouponSent: 2, NoReply: 1, OptedOut: 1,
			PurchasedDuring: 1, PurchasedAfter: 3, NotAttributed: 1, CouponPurchases: 1, RevenueMinor: 10000 + 18000 + 70000},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("totals:\n got %+v\nwant %+v", got, want)
	}
	if got, err := s.LedgerTotals(ctx, to.Add(time.Hour), to.Add(2*time.Hour)); err != nil || len(got) != 0 {
		t.Fatalf("an empty period: %+v %v", got, err)
	}
}

func testLedgerRefused(t *testing.T, s *store.Store) {
	ctx := testContext(t)
	k := key("+525512345678")
	for name, err := range map[string]error{
		"no run id":       s.RecordFlowStart(ctx, store.FlowStart{CustomerKey: k, Currency: "USD", At: t0}),
		"a phone as key":  s.RecordFlowStart(ctx, store.FlowStart{RunID: "r", CustomerKey: "+525512345678", Currency: "USD", At: t0}),
		"a bad currency":  s.RecordFlowStart(ctx, store.FlowStart{RunID: "r", CustomerKey: k, Currency: "usd", At: t0}),
		"no start time":   s.RecordFlowStart(ctx, store.FlowStart{RunID: "r", CustomerKey: k, Currency: "USD"}),
		"no template key": s.RecordTemplateSent(ctx, "r", "w", "", t0),
		"no outcome":      s.RecordFlowEnd(ctx, store.FlowEnd{RunID: "r", At: t0}),
		"no end time":     s.RecordFlowEnd(ctx, store.FlowEnd{RunID: "r", Outcome: "no_reply"}),
		"a total without its currency": func() error {
			_, _, err := s.RecordPurchase(ctx, "r", store.Order{At: t0, TotalMinor: minor(1)}, true, window)
			return err
		}(),
	} {
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, ok, _ := s.FlowRun(ctx, "r"); ok {
		t.Fatal("a refused write made a row")
	}
}
