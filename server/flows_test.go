package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"github.com/cartback/cartback/activities"
	"github.com/cartback/cartback/internal/teststore"
	"github.com/cartback/cartback/internal/testtemporal"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/whatsapp"
	"github.com/cartback/cartback/whatsapp/fakegraph"
	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

// flowEnv is a real Temporal server with a real worker whose sends go to a fake Graph API: only Meta
// is faked. The subtests of one test share it and keep apart by using distinct customers.
type flowEnv struct {
	server *Server
	graph  *fakegraph.Server
	client client.Client
	ns     string       // the client's namespace
	store  *store.Store // shared by the worker and the server, as in production
}

func startFlowEnv(t *testing.T, opts ...temporaltest.TestServerOption) *flowEnv {
	t.Helper()
	c, ns := testtemporal.StartWith(t, opts...)
	graph, graphHTTP := fakegraph.NewTestServer(fakegraph.Options{PhoneNumberID: testPhoneNumberID, Token: testGraphToken})
	t.Cleanup(graphHTTP.Close)
	wa, err := whatsapp.NewClient(whatsapp.Config{BaseURL: graphHTTP.URL, Version: "v23.0", PhoneNumberID: testPhoneNumberID, Token: testGraphToken})
	if err != nil {
		t.Fatal(err)
	}
	db := teststore.Open(t)
	w := worker.New(c, &activities.Activities{WhatsApp: wa, Consent: db, IDKey: testIDKey, TemplateName: "cart_check_in", TemplateLanguage: "en_US"}, 100)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return &flowEnv{server: newServer(t, c, ns, db, 30*time.Second), graph: graph, client: c, ns: ns, store: db}
}

// start posts a cart and returns the 202 answer.
func (e *flowEnv) start(t *testing.T, cartID, phone string) cartAnswer {
	t.Helper()
	a := api(t, e.server, http.MethodPost, "/v1/carts", cartJSON(t, cartID, phone, nil))
	if a.status != http.StatusAccepted {
		t.Fatalf("start %s: %d %s, want 202", cartID, a.status, a.body)
	}
	var got cartAnswer
	a.decode(t, &got)
	if got.CartID != cartID || got.WorkflowID == "" || got.RunID == "" || got.Status != statusStarted {
		t.Fatalf("start %s: %+v", cartID, got)
	}
	return got
}

// sent waits until the fake Graph API accepted n messages to phone and returns them.
func (e *flowEnv) sent(t *testing.T, phone string, n int) []fakegraph.Message {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := e.graph.MessagesTo(phone)
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) != n {
				t.Fatalf("messages to the customer: %d, want %d", len(got), n)
			}
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outcome waits until the cart's flow ended and returns its state.
func (e *flowEnv) outcome(t *testing.T, cartID string) workflows.State {
	t.Helper()
	return e.until(t, cartID, func(status string, st workflows.State) bool { return st.Outcome != "" && status != "running" })
}

// until polls the cart's state until done says so, and returns it.
func (e *flowEnv) until(t *testing.T, cartID string, done func(status string, st workflows.State) bool) workflows.State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		a := api(t, e.server, http.MethodGet, "/v1/carts/"+cartID, nil)
		var got struct {
			Status string
			State  workflows.State
		}
		if a.status == http.StatusOK {
			a.decode(t, &got)
			if done(got.Status, got.State) {
				return got.State
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("cart %s: gave up waiting; last %d %s", cartID, a.status, a.body)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// hook posts a signed webhook and wants 200.
func (e *flowEnv) hook(t *testing.T, body []byte) {
	t.Helper()
	if a := signed(t, e.server, body, testAppSecret); a.status != http.StatusOK {
		t.Fatalf("webhook: %d %s, want 200", a.status, a.body)
	}
}

func reply(t *testing.T, waID, id, text string) []byte {
	return payload(t, change(testPhoneNumberID, messages(textMessage(waID, id, text))))
}

// TestFlows runs every flow-changing path against one real Temporal server.
func TestFlows(t *testing.T) {
	e := startFlowEnv(t)

	t.Run("a repost during the send delay", func(t *testing.T) {
		t.Parallel()
		testRepostDuringTheDelay(t, e)
	})
	t.Run("storefront API", func(t *testing.T) {
		t.Parallel()
		const phone, cart = "+16505550101", "api-1"
		first := e.start(t, cart, phone)
		e.sent(t, phone, 1)

		again := api(t, e.server, http.MethodPost, "/v1/carts", cartJSON(t, cart, phone, nil))
		var same cartAnswer
		again.decode(t, &same)
		if again.status != http.StatusOK || same.Run != first.Run || same.Status != statusAlreadyExists || same.Changed {
			t.Errorf("same cart again: %d %s", again.status, again.body)
		}
		changed := api(t, e.server, http.MethodPost, "/v1/carts", cartJSON(t, cart, phone, func(c map[string]any) { c["total"] = "99.90" }))
		changed.decode(t, &same)
		if changed.status != http.StatusOK || same.Run != first.Run || !same.Changed || same.Repost != string(workflows.RepostFixed) {
			t.Errorf("changed cart again: %d %s", changed.status, changed.body)
		}
		busy := api(t, e.server, http.MethodPost, "/v1/carts", cartJSON(t, "api-2", "+1 650 555 0101", nil))
		if busy.status != http.StatusConflict || busy.apiErr(t).CartID != cart {
			t.Errorf("another cart of a busy customer: %d %s, want 409 naming %s", busy.status, busy.body, cart)
		}

		running := api(t, e.server, http.MethodGet, "/v1/carts/"+cart, nil)
		if running.status != http.StatusOK {
			t.Errorf("state: %d %s", running.status, running.body)
		}
		if a := api(t, e.server, http.MethodPost, "/v1/carts/"+cart+"/purchase", []byte(`{"order_id": "o-1"}`)); a.status != http.StatusAccepted {
			t.Errorf("purchase: %d %s, want 202", a.status, a.body)
		}
		if st := e.outcome(t, cart); st.Outcome != workflows.OutcomePurchased || st.Reason != "o-1" {
			t.Errorf("outcome %q %q, want purchased o-1", st.Outcome, st.Reason)
		}
		for method, target := range map[string]string{http.MethodPost: "/v1/carts/" + cart + "/purchase", http.MethodDelete: "/v1/carts/" + cart} {
			a := api(t, e.server, method, target, nil)
			var got cartAnswer
			a.decode(t, &got)
			if a.status != http.StatusOK || got.Status != statusAlreadyEnded {
				t.Errorf("%s after the end: %d %s, want 200 already_ended", method, a.status, a.body)
			}
		}
		// Once the flow ended, the same cart is still that flow, and the customer may get a new one.
		if a := api(t, e.server, http.MethodPost, "/v1/carts", cartJSON(t, cart, phone, nil)); a.status != http.StatusOK {
			t.Errorf("ended cart again: %d %s, want 200", a.status, a.body)
		}
		next := e.start(t, "api-2", phone)
		if next.WorkflowID != first.WorkflowID || next.RunID == first.RunID {
			t.Errorf("the customer's next cart: %+v, want a new run of %s", next, first.WorkflowID)
		}
		e.sent(t, phone, 2)
	})

	t.Run("unknown carts", func(t *testing.T) {
		t.Parallel()
		for method, target := range map[string]string{
			http.MethodGet: "/v1/carts/nope", http.MethodPost: "/v1/carts/nope/purchase", http.MethodDelete: "/v1/carts/nope",
		} {
			if a := api(t, e.server, method, target, nil); a.status != http.StatusNotFound {
				t.Errorf("%s %s: %d %s, want 404", method, target, a.status, a.body)
			}
		}
	})

	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		const phone, cart = "+16505550102", "cancel-1"
		e.start(t, cart, phone)
		e.sent(t, phone, 1)
		if a := api(t, e.server, http.MethodDelete, "/v1/carts/"+cart, nil); a.status != http.StatusAccepted {
			t.Errorf("cancel: %d %s, want 202", a.status, a.body)
		}
		if st := e.outcome(t, cart); st.Outcome != workflows.OutcomeCancelled {
			t.Errorf("outcome %q, want cancelled", st.Outcome)
		}
	})

	t.Run("text reply 1 sends the reminder", func(t *testing.T) {
		t.Parallel()
		const phone, cart = "+16505550103", "reply-1"
		e.start(t, cart, phone)
		e.sent(t, phone, 1)
		e.hook(t, reply(t, "16505550103", "wamid.reply-1", "1"))
		if st := e.outcome(t, cart); st.Outcome != workflows.OutcomeReminderSent {
			t.Errorf("outcome %q, want reminder_sent", st.Outcome)
		}
		if m := e.sent(t, phone, 2)[1]; m.Type != "text" {
			t.Errorf("follow-up %+v, want the reminder text", m)
		}
	})

	t.Run("button payload sends the coupon", func(t *testing.T) {
		t.Parallel()
		const phone, cart = "+16505550104", "button-1"
		e.start(t, cart, phone)
		e.sent(t, phone, 1)
		e.hook(t, payload(t, change(testPhoneNumberID, messages(buttonMessage("16505550104", "wamid.button-1", workflows.NegativePayload(cart), "2 - Something stopped me")))))
		if st := e.outcome(t, cart); st.Outcome != workflows.OutcomeCouponSent {
			t.Errorf("outcome %q, want coupon_sent", st.Outcome)
		}
		if m := e.sent(t, phone, 2)[1]; m.Text == nil || !strings.Contains(m.Text.Body, "SAVE10") {
			t.Errorf("follow-up %+v, want the coupon", m)
		}
	})

	t.Run("the same delivery three times sends one follow-up", func(t *testing.T) {
		t.Parallel()
		const phone, cart = "+16505550105", "dup-1"
		e.start(t, cart, phone)
		e.sent(t, phone, 1)
		body := reply(t, "16505550105", "wamid.dup-1", "A")
		for range 3 {
			e.hook(t, body)
		}
		if st := e.outcome(t, cart); st.Outcome != workflows.OutcomeReminderSent {
			t.Errorf("outcome %q, want reminder_sent", st.Outcome)
		}
		e.sent(t, phone, 2)
	})

	t.Run("a failed template status ends undeliverable", func(t *testing.T) {
		t.Parallel()
		const phone, cart = "+16505550106", "failed-1"
		started := e.start(t, cart, phone)
		template := e.sent(t, phone, 1)[0]
		// A delivered status routed by recipient, then the failure routed by the callback data.
		e.hook(t, payload(t, change(testPhoneNumberID, statuses(map[string]any{
			"id": template.ID, "status": "delivered", "timestamp": "1749416305", "recipient_id": "16505550106",
		}))))
		e.until(t, cart, func(_ string, st workflows.State) bool { return st.TemplateStatus == "delivered" })
		e.hook(t, payload(t, change(testPhoneNumberID, statuses(map[string]any{
			"id": template.ID, "status": "failed", "timestamp": "1749416306", "recipient_id": "16505550106",
			"biz_opaque_callback_data": started.WorkflowID,
			"errors":                   []any{map[string]any{"code": 131026, "title": "Message undeliverable"}},
		}))))
		st := e.outcome(t, cart)
		if st.Outcome != workflows.OutcomeUndeliverable || st.Reason != "131026" || st.TemplateStatus != "failed" {
			t.Errorf("state %+v, want undeliverable 131026", st)
		}
	})

	t.Run("every message of a batched payload is delivered", func(t *testing.T) {
		t.Parallel()
		phones := []string{"+16505550107", "+16505550108", "+16505550109"}
		for _, p := range phones {
			e.start(t, "batch-"+p[1:], p)
			e.sent(t, p, 1)
		}
		// Two entries; the first holds two messages in one change.
		body, err := json.Marshal(map[string]any{
			"object": "whatsapp_business_account",
			"entry": []any{
				map[string]any{"id": "1", "changes": []any{change(testPhoneNumberID, messages(
					textMessage(phones[0][1:], "wamid.batch-0", "1"), textMessage(phones[1][1:], "wamid.batch-1", "2")))}},
				map[string]any{"id": "2", "changes": []any{change(testPhoneNumberID, messages(
					textMessage(phones[2][1:], "wamid.batch-2", "1")))}},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		e.hook(t, body)
		want := []workflows.Outcome{workflows.OutcomeReminderSent, workflows.OutcomeCouponSent, workflows.OutcomeReminderSent}
		for i, p := range phones {
			if st := e.outcome(t, "batch-"+p[1:]); st.Outcome != want[i] {
				t.Errorf("customer %d: outcome %q, want %q", i, st.Outcome, want[i])
			}
		}
	})

	t.Run("a reply from an unknown phone is acknowledged", func(t *testing.T) {
		t.Parallel()
		e.hook(t, reply(t, "16505550199", "wamid.unknown-1", "1"))
		if got := e.graph.MessagesTo("+16505550199"); len(got) != 0 {
			t.Errorf("sent %d messages to a stranger", len(got))
		}
	})

	// Meta's wa_id is not the storefront's E.164 in some countries (see phone.Canonical): both
	// forms must reach the customer's flow.
	for _, tc := range []struct{ country, phone, waID string }{
		{"Mexico: wa_id keeps the old mobile 1", "+52 55 1234 5678", "5215512345678"},
		{"Brazil: wa_id of an account older than the ninth digit", "+55 11 98765 4321", "551187654321"},
		{"Argentina: storefront number without the mobile 9", "+54 11 2345 6789", "5491123456789"},
	} {
		t.Run(tc.country, func(t *testing.T) {
			t.Parallel()
			cart := "country-" + tc.waID
			e.start(t, cart, tc.phone)
			e.sent(t, tc.phone, 1)
			e.hook(t, reply(t, tc.waID, "wamid.country-"+tc.waID, "1"))
			if st := e.outcome(t, cart); st.Outcome != workflows.OutcomeReminderSent {
				t.Errorf("outcome %q, want reminder_sent", st.Outcome)
			}
		})
	}
}

// statuses is a change value holding delivery statuses.
func statuses(sts ...map[string]any) map[string]any {
	v := make([]any, len(sts))
	for i, s := range sts {
		v[i] = s
	}
	return map[string]any{"statuses": v}
}
