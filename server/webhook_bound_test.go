package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/temporal"
	"go.temporal.io/server/temporaltest"

	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/workflows"
)

// chatter is n messages from waID that decide nothing (the flow keeps waiting), with ids from first.
func chatter(waID string, first, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = textMessage(waID, fmt.Sprintf("wamid.chatter.%s.%d", waID, first+i), fmt.Sprintf("is size %d in stock?", first+i))
	}
	return out
}

// One webhook signals at most maxEventsPerCustomer events to one customer's flow; the rest are
// acknowledged and counted in the log's summary, and a redelivery adds nothing.
func testBoundsSignalsPerFlow(t *testing.T, e *flowEnv) {
	log, hook := logtest.NewNullLogger()
	s := e.serverWithLog(t, log)
	const phone, waID = "+52 55 3000 0003", "5215530000003"
	started := e.start(t, "bound", phone)
	e.sent(t, phone, 1)

	body := payload(t, change(testPhoneNumberID, messages(chatter(waID, 0, maxEventsPerCustomer+10)...)))
	for range 2 {
		if a := signed(t, s, body, testAppSecret); a.status != http.StatusOK {
			t.Fatalf("webhook: %d %s", a.status, a.body)
		}
	}
	if got := signalCounts(t, e, started.WorkflowID, started.RunID)[workflows.ReplySignal]; got != maxEventsPerCustomer {
		t.Errorf("%d reply signals, want %d", got, maxEventsPerCustomer)
	}
	over := fmt.Sprintf("over %d events for one customer in one webhook, acknowledged", maxEventsPerCustomer)
	var summaries int
	for _, en := range hook.AllEntries() {
		if counts, ok := en.Data["counts"].(logrus.Fields); ok {
			summaries++
			if counts[over] != 10 {
				t.Errorf("summary %v, want 10 %q", counts, over)
			}
		}
	}
	if summaries != 2 {
		t.Errorf("%d summaries for two webhooks, want 2", summaries)
	}
}

// The bound drops chatter, never consent: a STOP after more than maxEventsPerCustomer messages in
// one body still suppresses the shopper and ends the flow.
func testStopPastTheBound(t *testing.T, e *flowEnv) {
	const phone, waID = "+52 55 3000 0004", "5215530000004"
	e.start(t, "bound-stop", phone)
	e.sent(t, phone, 1)

	flood := append(chatter(waID, 0, maxEventsPerCustomer+5), textMessage(waID, "wamid.bound.stop", "STOP"))
	e.hook(t, payload(t, change(testPhoneNumberID, messages(flood...))))
	e.optedOut(t, "bound-stop", "keyword")
	e.refused(t, e.server, "bound-stop-2", phone, http.StatusUnprocessableEntity, starter.RefusedSuppressed)
}

// A run whose history reached Temporal's signal limit refuses the signal with an InvalidArgument:
// the webhook answers 200 all the same (Meta would redeliver anything else for days, to the same
// refusal), logs it at error level, and delivers the other customers' events of the batch.
func TestWebhookSignalLimit(t *testing.T) {
	t.Parallel()
	const limit = 25
	e := startFlowEnv(t, temporaltest.WithBaseServerOptions(temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): []dynamicconfig.ConstrainedValue{{Value: true}}, // as temporaltest sets it
		dynamicconfig.MaximumSignalsPerExecution.Key():              []dynamicconfig.ConstrainedValue{{Value: limit}},
	})))
	log, hook := logtest.NewNullLogger()
	e.server.log = log
	const flooded, floodedWaID = "+52 55 1234 5678", "5215512345678"
	const other, otherWaID = "+55 11 98765 4321", "5511987654321"
	started := e.start(t, "flooded", flooded)
	e.start(t, "other", other)
	e.sent(t, flooded, 1)
	e.sent(t, other, 1)

	e.hook(t, payload(t, change(testPhoneNumberID, messages(chatter(floodedWaID, 0, maxEventsPerCustomer)...))))
	second := append(chatter(floodedWaID, maxEventsPerCustomer, maxEventsPerCustomer), textMessage(otherWaID, "wamid.other.1", "1"))
	if a := signed(t, e.server, payload(t, change(testPhoneNumberID, messages(second...))), testAppSecret); a.status != http.StatusOK {
		t.Fatalf("webhook past the signal limit: %d %s, want 200", a.status, a.body)
	}
	if got := signalCounts(t, e, started.WorkflowID, started.RunID)[workflows.ReplySignal]; got != limit {
		t.Errorf("%d reply signals, want the limit, %d", got, limit)
	}
	var alerts int
	for _, en := range hook.AllEntries() {
		if en.Level == logrus.ErrorLevel && strings.Contains(en.Message, "signal limit") {
			alerts++
		}
	}
	if alerts == 0 {
		t.Error("no error-level line about the signal limit")
	}
	if st := e.outcome(t, "other"); st.Outcome != workflows.OutcomeReminderSent {
		t.Errorf("the other customer's flow: %q, want reminder_sent", st.Outcome)
	}
}
