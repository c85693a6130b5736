package server

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/cartback/cartback/workflows"
)

// A malformed item in a batch loses only itself: the other customer's reply in the same body
// reaches its flow, and Meta gets 200 (a 400 would have it redeliver the whole batch for days).
func testBatchWithMalformedItems(t *testing.T, e *flowEnv) {
	e.start(t, "batch-malformed", "+52 55 3000 0001")
	e.sent(t, "+52 55 3000 0001", 1)

	bad := textMessage("5215530000001", "wamid.batch.bad", "2")
	bad["timestamp"] = "yesterday"
	body := payload(t,
		change(testPhoneNumberID, messages(bad, map[string]any{"from": []any{"5215530000001"}}, textMessage("5215530000001", "wamid.batch.good", "1"))),
		change(testPhoneNumberID, statuses(map[string]any{"id": "wamid.x", "status": "failed", "recipient_id": "5215530000001",
			"errors": []any{map[string]any{"code": "131050"}}})),
	)
	if a := signed(t, e.server, body, testAppSecret); a.status != http.StatusOK {
		t.Fatalf("webhook: %d %s, want 200", a.status, a.body)
	}
	if st := e.outcome(t, "batch-malformed"); st.Outcome != workflows.OutcomeReminderSent {
		t.Errorf("outcome %q, want reminder_sent (the good reply, not the malformed \"2\")", st.Outcome)
	}
}

// A webhook of 10,000 messages from strangers (no open flow) is a few log lines and a summary
// with the count per reason, not a line per message.
func testStrangersLogASummary(t *testing.T, e *flowEnv) {
	log, hook := logtest.NewNullLogger()
	s := e.serverWithLog(t, log)

	// 10,000 messages from 50 strangers: each gets maxEventsPerCustomer signals (no flow), the
	// rest are over the bound.
	const n, senders = 10000, 50
	msgs := make([]map[string]any, n)
	for i := range msgs {
		msgs[i] = textMessage(fmt.Sprintf("5215500%06d", i%senders), fmt.Sprintf("wamid.stranger.%d", i), "1")
	}
	msgs = append(msgs, map[string]any{"id": "wamid.bad", "timestamp": "soon"}, map[string]any{"id": "wamid.worse", "timestamp": "later"})
	body := payload(t, change(testPhoneNumberID, messages(msgs...)), change("999", messages(textMessage("16505551234", "wamid.other", "1"))))
	if a := signed(t, s, body, testAppSecret); a.status != http.StatusOK {
		t.Fatalf("webhook: %d %s, want 200", a.status, a.body)
	}
	entries := hook.AllEntries()
	if len(entries) > 10 {
		t.Fatalf("%d log lines for one webhook, want a handful and a summary", len(entries))
	}
	last := entries[len(entries)-1]
	counts, _ := last.Data["counts"].(logrus.Fields)
	want := logrus.Fields{
		"no active flow for this customer, acknowledged":                                                  senders * maxEventsPerCustomer,
		fmt.Sprintf("over %d events for one customer in one webhook, acknowledged", maxEventsPerCustomer): n - senders*maxEventsPerCustomer,
		"malformed part skipped, the rest delivered":                                                      2,
		"change acknowledged and ignored: phone_number_id is not ours":                                    1,
	}
	if !reflect.DeepEqual(counts, want) || last.Level != logrus.WarnLevel {
		t.Errorf("last line %s %q %v, want the summary %v at warning level (a malformed part is a warning)", last.Level, last.Message, last.Data, want)
	}
}
