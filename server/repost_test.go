package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/cartback/cartback/workflows"
)

// testRepostDuringTheDelay: a flow started with an hour's send delay waits with nothing sent; a
// repost with another total answers 200 updated, the same repost again is no change (the starter
// compares with the flow's current cart, not with the first post), and a purchase during the
// delay ends the flow with nothing sent.
func testRepostDuringTheDelay(t *testing.T, e *flowEnv) {
	delayed := newServerWith(t, e.client, e.ns, e.store, 30*time.Second, workflows.Settings{
		ReplyWindow: time.Hour, CouponCode: "SAVE10", SendDelay: workflows.Duration(time.Hour), QuietHours: "off"})
	const phone, cart = "+16505550177", "delayed-1"
	if a := api(t, delayed, http.MethodPost, "/v1/carts", cartJSON(t, cart, phone, nil)); a.status != http.StatusAccepted {
		t.Fatalf("post: %d %s", a.status, a.body)
	}
	st := e.until(t, cart, func(_ string, st workflows.State) bool { return st.Step == workflows.StepScheduled })
	if st.ScheduledWhy != workflows.WhyDelay || st.TemplateMessageID != "" {
		t.Fatalf("state while waiting %+v", st)
	}
	moreSocks := func(c map[string]any) {
		c["items"] = append(c["items"].([]any), map[string]any{"name": "Socks", "quantity": 1, "unit_price": "5.00"})
		c["total"] = "94.90"
	}
	var got cartAnswer
	a := api(t, delayed, http.MethodPost, "/v1/carts", cartJSON(t, cart, phone, moreSocks))
	a.decode(t, &got)
	if a.status != http.StatusOK || !got.Changed || got.Repost != string(workflows.RepostUpdated) {
		t.Fatalf("repost with socks: %d %s, want 200 updated", a.status, a.body)
	}
	a = api(t, delayed, http.MethodPost, "/v1/carts", cartJSON(t, cart, phone, moreSocks))
	got = cartAnswer{}
	a.decode(t, &got)
	if a.status != http.StatusOK || got.Changed || got.Repost != "" {
		t.Fatalf("the same repost again: %d %s, want 200 with no change", a.status, a.body)
	}
	if a := api(t, delayed, http.MethodPost, "/v1/carts/"+cart+"/purchase", []byte(`{"order_id": "o-77"}`)); a.status != http.StatusAccepted {
		t.Fatalf("purchase: %d %s", a.status, a.body)
	}
	if st := e.outcome(t, cart); st.Outcome != workflows.OutcomePurchased || st.TemplateMessageID != "" {
		t.Fatalf("state %+v, want purchased with nothing sent", st)
	}
	if n := len(e.graph.MessagesTo(phone)); n != 0 {
		t.Fatalf("%d messages sent to a shopper who bought during the delay", n)
	}
}
