package server

import (
	"net/http"
	"testing"

	"github.com/cartback/cartback/workflows"
)

// A malformed item in a batch loses only itself: the other customer's reply in the same body
// reaches its flow, and Meta gets 200 (a 400 would have it redeliver the whole batch for days).
func TestWebhookBatchWithMalformedItems(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	e.start(t, "batch-malformed", "+52 55 1234 5678")
	e.sent(t, "+52 55 1234 5678", 1)

	bad := textMessage("5215512345678", "wamid.batch.bad", "2")
	bad["timestamp"] = "yesterday"
	body := payload(t,
		change(testPhoneNumberID, messages(bad, map[string]any{"from": []any{"5215512345678"}}, textMessage("5215512345678", "wamid.batch.good", "1"))),
		change(testPhoneNumberID, statuses(map[string]any{"id": "wamid.x", "status": "failed", "recipient_id": "5215512345678",
			"errors": []any{map[string]any{"code": "131050"}}})),
	)
	if a := signed(t, e.server, body, testAppSecret); a.status != http.StatusOK {
		t.Fatalf("webhook: %d %s, want 200", a.status, a.body)
	}
	if st := e.outcome(t, "batch-malformed"); st.Outcome != workflows.OutcomeReminderSent {
		t.Errorf("outcome %q, want reminder_sent (the good reply, not the malformed \"2\")", st.Outcome)
	}
}
